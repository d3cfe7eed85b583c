package chat

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		code     parley.Code
	}{
		{"+14155550123", "+14155550123", ""},
		{" +1 415-555-0123 ", "+14155550123", ""},
		{"+33 6 12 34 56 78", "+33612345678", ""},
		{"4155550123", "", parley.EInvalid},
		{"+1234", "", parley.EInvalid},
		{"", "", parley.EInvalid},
		{"+999999999999", "", parley.EInvalid},
		{"+" + strings.Repeat("1", 40), "", parley.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizePhone(tt.in)
			if c := parley.ErrorCode(err); c != tt.code {
				t.Fatalf("got code %q, want %q (err %v)", c, tt.code, err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzNormalizePhone checks that any input either fails with
// invalid_argument or yields an E.164 number that normalizes to itself.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+14155550123", "+33612345678", "+1 (415) 555-0123", "+", "++1", "+0000", "+1\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizePhone(in)
		if err != nil {
			if c := parley.ErrorCode(err); c != parley.EInvalid {
				t.Fatalf("got code %q, want invalid_argument", c)
			}
			return
		}
		if !strings.HasPrefix(got, "+") || len(got) > 16 {
			t.Fatalf("NormalizePhone(%q) = %q, not E.164", in, got)
		}
		again, err := NormalizePhone(got)
		if err != nil || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}

func TestValidMessageID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"a", true}, {"wamid.HBg:x_y-z", true}, {strings.Repeat("a", 64), true},
		{"", false}, {strings.Repeat("a", 65), false}, {"a b", false}, {"é", false}, {"a/b", false},
	} {
		if got := ValidMessageID(tt.id); got != tt.want {
			t.Errorf("ValidMessageID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
