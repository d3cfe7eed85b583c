package billing

import (
	"testing"

	"pgregory.net/rapid"
)

func TestMinorFormat(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{12999, "USD", "129.99"},
		{500, "USD", "5.00"},
		{7, "EUR", "0.07"},
		{0, "USD", "0.00"},
		{500, "JPY", "500"},
		{1234, "KWD", "1.234"},
	}
	for _, tt := range tests {
		if got := FormatMinor(tt.minor, tt.currency); got != tt.want {
			t.Errorf("FormatMinor(%d, %s): got %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"129.99", "USD", 12999, true},
		{"5", "USD", 500, true},
		{"5.5", "USD", 550, true},
		{"5.555", "USD", 0, false},
		{"500", "JPY", 500, true},
		{"500.5", "JPY", 0, false},
		{"-1", "USD", 0, false},
		{"1e3", "USD", 0, false},
		{"", "USD", 0, false},
		// Found by FuzzParseMinor: ParseInt takes a sign.
		{"+0", "USD", 0, false},
		{"+5", "USD", 0, false},
		{"1.+5", "USD", 0, false},
		{"1.-0", "USD", 0, false},
		{"5.", "USD", 500, true},
	} {
		got, ok := ParseMinor(tt.in, tt.currency)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseMinor(%q, %s): got %d, %v; want %d, %v", tt.in, tt.currency, got, ok, tt.want, tt.ok)
		}
	}
}

// TestMinorRoundTrip: a price written for a customer or a webhook reads
// back to the same minor units, in every currency's precision.
func TestMinorRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.Int64Range(0, 1<<40).Draw(t, "minor")
		cur := rapid.SampledFrom([]string{"USD", "EUR", "JPY", "KWD", "INR"}).Draw(t, "currency")
		got, ok := ParseMinor(FormatMinor(v, cur), cur)
		if !ok || got != v {
			t.Fatalf("ParseMinor(FormatMinor(%d, %s)) = %d, %v", v, cur, got, ok)
		}
	})
}
