package webhook

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestGuardCheck(t *testing.T) {
	allow := []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
	for _, tt := range []struct {
		ip string
		ok bool
	}{
		{"93.184.216.34", true}, {"2606:4700::6810:85e5", true}, {"10.9.1.2", true},
		{"127.0.0.1", false}, {"::1", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"100.64.0.1", false}, {"0.0.0.0", false}, {"::", false}, {"fe80::1", false},
		{"fc00::1", false}, {"224.0.0.1", false}, {"255.255.255.255", false}, {"::ffff:127.0.0.1", false}, {"64:ff9b::a00:1", false},
	} {
		err := Guard{Allow: allow}.Check(netip.MustParseAddr(tt.ip))
		if (err == nil) != tt.ok {
			t.Errorf("Check(%s): got %v, want allowed %v", tt.ip, err, tt.ok)
		}
	}
}

// TestClientRefusesLoopback dials a real loopback server: refused by
// default, served once loopback is allowed, and never through a redirect.
func TestClientRefusesLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	_, err := NewClient(nil, 0).Get(srv.URL)
	if err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Fatalf("loopback by default: got %v, want refused", err)
	}
	c := NewClient([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, 0)
	resp, err := c.Get(srv.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("loopback allowed: got %v", err)
	}
	resp.Body.Close()
	resp, err = c.Get(srv.URL + "/redirect")
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: got %v, want the 302 itself", err)
	}
	resp.Body.Close()
}

func TestParseAllow(t *testing.T) {
	p, err := ParseAllow(" 127.0.0.0/8, 10.1.2.3 ,::1")
	if err != nil || len(p) != 3 || p[1].String() != "10.1.2.3/32" {
		t.Errorf("ParseAllow: got %v %v", p, err)
	}
	if _, err := ParseAllow("localhost"); err == nil {
		t.Error("ParseAllow(localhost): want an error")
	}
}
