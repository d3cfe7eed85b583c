package billing

import (
	"testing"

	"github.com/parleyhq/parley"
)

// FuzzParse feeds arbitrary rate card text to Parse: it never panics,
// every refusal has a code, and a card it accepts parses again from its
// own source to the same card.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"conversation-2024", "per-message-2025-07", "per-message-2026-10"} {
		if src, ok := BuiltinText(name, 1); ok {
			f.Add(src)
		}
	}
	f.Add("card x 1\ncurrency USD\n")
	f.Add("# only a comment\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse(src)
		if err != nil {
			if parley.ErrorCode(err) == "" {
				t.Fatalf("Parse error %v has no code", err)
			}
			return
		}
		again, err := Parse(c.Source)
		if err != nil {
			t.Fatalf("a parsed card does not parse again: %v", err)
		}
		if again.ID() != c.ID() {
			t.Fatalf("reparsed card is %s, want %s", again.ID(), c.ID())
		}
	})
}

// FuzzParseMicros checks that an amount Parse accepts formats back to an
// amount that parses to the same value.
func FuzzParseMicros(f *testing.F) {
	for _, s := range []string{"0", "0.0123", "1.5", "-2", "1e3", "0.0000001", "99999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseMicros(s)
		if err != nil {
			return
		}
		back, err := ParseMicros(FormatMicros(v))
		if err != nil || back != v {
			t.Fatalf("ParseMicros(%q) = %d, formatted %q parses to %d, %v", s, v, FormatMicros(v), back, err)
		}
	})
}
