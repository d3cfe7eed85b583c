package billing

import (
	"regexp"
	"testing"
)

// FuzzParsePeriod feeds arbitrary months to ParsePeriod (the period= and
// from=/to= query parameters of the billing routes): it never panics, and
// a month it accepts writes back as the same text.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-11", "0000-01", "9999-12", "2026-13", "2026-1", "26-11", "2026-11-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("ParsePeriod(%q) writes back as %q", s, p.String())
		}
		if back, err := ParsePeriod(p.String()); err != nil || back != p {
			t.Fatalf("ParsePeriod(%q) = %v does not round-trip: %v, %v", s, p, back, err)
		}
	})
}

// amount is what ParseMinor may accept: digits, then at most one dot and
// maybe more digits ("5." is 5).
var amount = regexp.MustCompile(`^[0-9]+(\.[0-9]*)?$`)

// FuzzParseMinor feeds arbitrary amounts and currencies to ParseMinor (a
// customer's order item_price, checked against the catalog): it never
// panics, accepts only a plain decimal with at most the currency's
// decimals, and an amount it accepts formats back to the same value.
func FuzzParseMinor(f *testing.F) {
	for _, s := range []struct{ amount, currency string }{
		{"12.99", "USD"}, {"12.9", "EUR"}, {"500", "JPY"}, {"1.234", "KWD"}, {"1.2345", "KWD"},
		{"-1", "USD"}, {"1e3", "USD"}, {".5", "USD"}, {"5.", "USD"}, {"1125899906842624", "BHD"},
	} {
		f.Add(s.amount, s.currency)
	}
	f.Fuzz(func(t *testing.T, s, currency string) {
		v, ok := ParseMinor(s, currency)
		if !ok {
			return
		}
		if !amount.MatchString(s) {
			t.Fatalf("ParseMinor(%q, %q) accepts what is not a plain decimal amount: %d", s, currency, v)
		}
		if v < 0 {
			t.Fatalf("ParseMinor(%q, %q) = %d, negative", s, currency, v)
		}
		if back, ok := ParseMinor(FormatMinor(v, currency), currency); !ok || back != v {
			t.Fatalf("ParseMinor(%q, %q) = %d; formatted %q reads %d, %v", s, currency, v, FormatMinor(v, currency), back, ok)
		}
	})
}
