package webhook

import "testing"

// FuzzParseAllow checks that ParseAllow never panics and that every
// prefix it accepts is masked (its address is the network's).
func FuzzParseAllow(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "127.0.0.1/32,::1/128", "10.1.2.3/8", "::ffff:10.0.0.0/104", "", "x", "1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseAllow(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("ParseAllow(%q) accepted %v, not a valid masked prefix", s, p)
			}
		}
	})
}
