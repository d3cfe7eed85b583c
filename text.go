package parley

import (
	"fmt"
	"unicode/utf8"
)

// TextForm is the shape a human-readable field may take.
type TextForm int

const (
	// Line is a one-line field: a display name, a subject, a title.
	Line TextForm = iota
	// Lines is a field of paragraphs: an about text, a description, a
	// post. It may also hold newlines and tabs.
	Lines
)

// CheckText is the one check of every human-readable field (display
// names, group subjects, channel names, descriptions and posts, business
// profiles): text that other people see. It returns InvalidField(field)
// when s is not valid UTF-8, or holds a control character (NUL, C0 and
// C1, DEL; in Lines, newline, carriage return and tab are allowed), a line
// or paragraph separator in a Line, or a bidirectional embedding, override
// or isolate (U+202A to U+202E, U+2066 to U+2069), with which a name can
// display as another ("gpj.exe" shown as "exe.jpg"): display-name
// spoofing. The marks U+200E, U+200F and U+061C, which right-to-left
// text needs, stay allowed, as do joiners (emoji sequences). Lengths are
// each field's own rule.
func CheckText(field, s string, form TextForm) error {
	if !utf8.ValidString(s) {
		return InvalidField(field, field+" is not valid UTF-8")
	}
	for _, r := range s {
		if bad := badRune(r, form); bad != "" {
			return InvalidField(field, fmt.Sprintf("%s may not contain %s (U+%04X)", field, bad, r))
		}
	}
	return nil
}

// badRune names what r is when a field of form may not hold it.
func badRune(r rune, form TextForm) string {
	switch {
	case r == '\n' || r == '\r' || r == '\t':
		if form == Lines {
			return ""
		}
		return "a line break or tab"
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return "a control character"
	case r == 0x2028 || r == 0x2029:
		if form == Lines {
			return ""
		}
		return "a line break or tab"
	case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return "a bidirectional override"
	}
	return ""
}
