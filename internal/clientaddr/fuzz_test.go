package clientaddr

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// FuzzAddr sends arbitrary X-Forwarded-For headers through a trusted
// proxy and from an untrusted peer: the resolver never panics, an
// untrusted peer is always itself, and the answer through the proxy is
// either the proxy or an address the header named.
func FuzzAddr(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "198.51.100.1, 10.0.0.2", "garbage, 203.0.113.9", "::ffff:192.0.2.1", "", ",,,", "2001:db8::1%eth0", " 10.0.0.9 ,1.2.3.4"} {
		f.Add(s)
	}
	r := NewResolver([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	f.Fuzz(func(t *testing.T, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Forwarded-For", xff)
		req.RemoteAddr = "192.0.2.50:1234"
		if got := r.Addr(req); got != netip.MustParseAddr("192.0.2.50") {
			t.Fatalf("untrusted peer with X-Forwarded-For %q resolved to %v", xff, got)
		}
		req.RemoteAddr = "10.1.2.3:1234"
		got := r.Addr(req)
		if !got.IsValid() {
			t.Fatalf("X-Forwarded-For %q gave no address", xff)
		}
		if got.Is4In6() {
			t.Fatalf("X-Forwarded-For %q gave the mapped address %v", xff, got)
		}
		_ = Key(got)
	})
}

// FuzzParsePrefixes checks that ParsePrefixes never panics and that what
// it accepts prints to a list it accepts again, unchanged.
func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8, 192.0.2.7", "::1", "::ffff:10.0.0.1", "fe80::/10", "1.2.3.4/33", "", ",", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePrefixes(s)
		if err != nil {
			return
		}
		var txt string
		for i, p := range ps {
			if i > 0 {
				txt += ","
			}
			txt += p.String()
		}
		again, err := ParsePrefixes(txt)
		if err != nil || len(again) != len(ps) {
			t.Fatalf("ParsePrefixes(%q) printed as %q parses to %v, %v", s, txt, again, err)
		}
		for i := range ps {
			if again[i] != ps[i] {
				t.Fatalf("prefix %d: %v reparsed as %v", i, ps[i], again[i])
			}
		}
	})
}
