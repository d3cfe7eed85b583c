package parley

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckText checks that CheckText never panics, that what it accepts
// is valid UTF-8 without NUL or a bidi override, that a Line it accepts
// is also a valid Lines, and that a refusal names the field.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"Alice", "Alice\u202Egnp.exe", "a\x00b", "\xff", "שלום\u200F", "👨‍👩‍👧", "a\nb", "a\u2028b", "\u2066x\u2069"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multi bool) {
		form := Line
		if multi {
			form = Lines
		}
		err := CheckText("name", s, form)
		if err != nil {
			if c := ErrorCode(err); c != EInvalid {
				t.Fatalf("CheckText(%q): got code %q, want %q", s, c, EInvalid)
			}
			return
		}
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\u202E\u2066") {
			t.Fatalf("CheckText accepted %q", s)
		}
		if !multi && CheckText("name", s, Lines) != nil {
			t.Fatalf("%q is a valid Line but not valid Lines", s)
		}
	})
}
