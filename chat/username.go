package chat

import (
	"strings"

	"github.com/parleyhq/parley"
)

// usernameSuffixes are the endings that make a username look like a web
// address, which WhatsApp refuses.
var usernameSuffixes = []string{".com", ".org", ".net", ".edu", ".gov", ".mil", ".us", ".in", ".html"}

// ValidUsername checks a username against WhatsApp's format rules, which
// Parley follows so that the usernames in the Cloud API's webhooks look
// like Meta's: 3 to 35 characters among English letters, digits, periods
// and underscores, at least one letter, no period at either end nor two in
// a row, not starting with "www" nor ending like a web address (".com",
// ".org"...). Case does not count: it returns the lower-case form, which
// is the one stored and compared. "" is valid (no username). EInvalid
// otherwise, with details.field "username".
func ValidUsername(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	bad := func(why string) (string, error) {
		return "", &parley.Error{Code: parley.EInvalid, Message: "username " + why, Details: map[string]any{"field": "username"}}
	}
	u := strings.ToLower(s)
	if len(u) < 3 || len(u) > 35 {
		return bad("must be 3 to 35 characters")
	}
	letter := false
	for _, r := range u {
		switch {
		case r >= 'a' && r <= 'z':
			letter = true
		case r >= '0' && r <= '9', r == '.', r == '_':
		default:
			return bad("may contain only English letters, digits, periods and underscores")
		}
	}
	switch {
	case !letter:
		return bad("must contain a letter")
	case strings.HasPrefix(u, ".") || strings.HasSuffix(u, "."):
		return bad("must not start or end with a period")
	case strings.Contains(u, ".."):
		return bad("must not contain two periods in a row")
	case strings.HasPrefix(u, "www"):
		return bad(`must not start with "www"`)
	}
	for _, suf := range usernameSuffixes {
		if strings.HasSuffix(u, suf) {
			return bad("must not end like a web address (" + suf + ")")
		}
	}
	return u, nil
}
