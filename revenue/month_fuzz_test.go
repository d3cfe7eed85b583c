package revenue

import (
	"testing"

	"github.com/parleyhq/parley"
)

// FuzzParseMonth feeds arbitrary months to ParseMonth (the {month} of the
// owner's statement route, donation and cost months): it never panics,
// every refusal is EInvalid, and an accepted month is a calendar month
// from 2000 to 9999 that writes back as the same text.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-11", "1999-12", "2000-01", "9999-12", "2026-00", "2026-1", "", "2026-11\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := ParseMonth("month", s)
		if err != nil {
			if parley.ErrorCode(err) != parley.EInvalid {
				t.Fatalf("ParseMonth(%q): %v", s, err)
			}
			return
		}
		if start.Format("2006-01") != s || start.Day() != 1 || !end.Equal(start.AddDate(0, 1, 0)) || start.Location().String() != "UTC" {
			t.Fatalf("ParseMonth(%q) = %v, %v", s, start, end)
		}
		if y := start.Year(); y < 2000 || y > 9999 {
			t.Fatalf("ParseMonth(%q) accepts the year %d", s, y)
		}
	})
}
