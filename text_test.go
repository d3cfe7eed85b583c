package parley_test

import (
	"testing"

	"github.com/parleyhq/parley"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		name string
		s    string
		form parley.TextForm
		ok   bool
	}{
		{"plain", "Alice", parley.Line, true},
		{"accents and emoji", "Zoë 👩‍👩‍👧", parley.Line, true},
		{"right-to-left with marks", "שלום\u200f", parley.Line, true},
		{"empty", "", parley.Line, true},
		{"invalid UTF-8", "Al\xffice", parley.Line, false},
		{"NUL", "Ali\x00ce", parley.Line, false},
		{"escape", "\x1b[31mred", parley.Lines, false},
		{"C1 control", "a\u0085b", parley.Lines, false},
		{"DEL", "a\x7fb", parley.Line, false},
		{"right-to-left override", "gpj\u202eexe.", parley.Line, false},
		{"left-to-right embedding", "a\u202ab", parley.Lines, false},
		{"isolate", "a\u2067b\u2069", parley.Line, false},
		{"newline in a line", "two\nlines", parley.Line, false},
		{"newline in lines", "two\nlines\tand a tab\r\n", parley.Lines, true},
		{"line separator in a line", "a\u2028b", parley.Line, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parley.CheckText("display_name", tt.s, tt.form)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckText(%q): got %v, want ok %v", tt.s, err, tt.ok)
			}
			if err != nil {
				if parley.ErrorCode(err) != parley.EInvalid || parley.ErrorDetails(err)["field"] != "display_name" {
					t.Fatalf("got %v %v, want invalid_argument on field display_name", parley.ErrorCode(err), parley.ErrorDetails(err))
				}
			}
		})
	}
}
