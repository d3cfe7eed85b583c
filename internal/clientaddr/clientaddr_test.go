package clientaddr

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestAddr(t *testing.T) {
	proxies, err := ParsePrefixes("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.1:5000", nil, "203.0.113.1"},
		{"untrusted peer's claim is ignored", "203.0.113.1:5000", []string{"198.51.100.1"}, "203.0.113.1"},
		{"trusted proxy", "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"right-most untrusted wins", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1, 192.0.2.7"}, "198.51.100.1"},
		{"several header lines", "192.0.2.7:1", []string{"6.6.6.6", "198.51.100.2"}, "198.51.100.2"},
		{"garbage stops at the last good hop", "10.1.2.3:5000", []string{"198.51.100.1, nonsense"}, "10.1.2.3"},
		{"only proxies", "10.1.2.3:5000", []string{"10.9.9.9"}, "10.9.9.9"},
		{"trusted proxy without header", "10.1.2.3:5000", nil, "10.1.2.3"},
		{"IPv4 in IPv6", "[::ffff:203.0.113.1]:5000", nil, "203.0.113.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.RemoteAddr = tc.peer
			for _, h := range tc.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := NewResolver(proxies).Addr(r).String(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	if got := Key(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); got != "2001:db8:1:2::/64" {
		t.Errorf("IPv6: got %s, want its /64", got)
	}
	if got := Key(netip.MustParseAddr("198.51.100.1")); got != "198.51.100.1" {
		t.Errorf("IPv4: got %s, want the address", got)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(2, time.Minute, func() time.Time { return now })
	for i := range 2 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d within the burst: refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("past the burst: got (%v, %v), want refused for at most a minute", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Errorf("another key: refused")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow("a"); !ok {
		t.Errorf("after a minute: refused")
	}
	if ok, _ := NewLimiter(-1, 0, nil).Allow("a"); !ok {
		t.Errorf("lifted limit: refused")
	}
}
