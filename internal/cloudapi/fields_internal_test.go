package cloudapi

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestRequestedFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"name,status", []string{"name", "status"}},
		{" about , email ", []string{"about", "email"}},
		{"analytics.start(1).end(2).granularity(DAY),name", []string{"analytics", "name"}},
		{"qr_image_url.format(SVG)", []string{"qr_image_url"}},
		{"components{text,type},id", []string{"components", "id"}},
	} {
		r := httptest.NewRequest("GET", "/v23.0/1?fields="+url.QueryEscape(tc.in), nil)
		if got := requestedFields(r); !slices.Equal(got, tc.want) {
			t.Errorf("requestedFields(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzRequestedFields(f *testing.F) {
	f.Add("name,status")
	f.Add("analytics.start(1).end(2),a{b,c}")
	f.Add(")(,,}{")
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("GET", "/v23.0/1", nil)
		r.URL.RawQuery = url.Values{"fields": {s}}.Encode()
		for _, name := range requestedFields(r) {
			if name == "" || strings.ContainsAny(name, ",({") {
				t.Errorf("requestedFields(%q) gave %q", s, name)
			}
		}
	})
}

// FuzzParseSelection: a fields= selection with modifiers never panics,
// and a parsed one names its field without modifiers.
func FuzzParseSelection(f *testing.F) {
	for _, s := range []string{
		`analytics.start(1685602800).end(1688194800).granularity(DAY).phone_numbers([]).country_codes(["US","BR"])`,
		`pricing_analytics.start(1).end(2).granularity(DAILY).dimensions(["PRICING_CATEGORY","PHONE"])`,
		`conversation_analytics.start(1).end(2).granularity(MONTHLY).dimensions([CONVERSATION_CATEGORY])`,
		`name`, `a.b(")")`, `a.b((c)`, `a.(1)`, `a{b,c}`, `a.b(1).b(2)`, `.x(1)`, `a.b("\")`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sel string) {
		name, mods, err := parseSelection(sel)
		if err != nil {
			return
		}
		if strings.ContainsAny(name, ".(") {
			t.Errorf("%q: name %q holds a modifier", sel, name)
		}
		for m, v := range mods {
			_ = listArg(v)
			if m == "" {
				t.Errorf("%q: an empty modifier name", sel)
			}
		}
	})
}
