package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/parleyhq/parley/internal/clientaddr"
)

// TestForwardedProtoSettled: handlers behind hsts see X-Forwarded-Proto
// only when a trusted proxy sent it.
func TestForwardedProtoSettled(t *testing.T) {
	t.Parallel()
	res := clientaddr.NewResolver([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	for _, tt := range []struct {
		peer, proto, want string
	}{
		{"192.0.2.1:5000", "https", ""},
		{"10.0.0.1:5000", "https", "https"},
		{"10.0.0.1:5000", "http", ""},
		{"10.0.0.1:5000", "http, https", "https"},
	} {
		var seen string
		h := hsts(res, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Header.Get("X-Forwarded-Proto") }))
		r := httptest.NewRequest("GET", "/v23.0/1", nil)
		r.RemoteAddr = tt.peer
		r.Header.Set("X-Forwarded-Proto", tt.proto)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if seen != tt.want {
			t.Errorf("peer %s, X-Forwarded-Proto %q: handler saw %q, want %q", tt.peer, tt.proto, seen, tt.want)
		}
		if got := w.Header().Get("Strict-Transport-Security") != ""; got != (tt.want == "https") {
			t.Errorf("peer %s, X-Forwarded-Proto %q: HSTS %v", tt.peer, tt.proto, got)
		}
	}
}
