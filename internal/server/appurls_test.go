package server

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
)

// TestLogAppURLs: the startup log names the three apps with URLs a
// browser on the machine can open, and says how to enable the operator
// console when no admin token is set.
func TestLogAppURLs(t *testing.T) {
	t.Parallel()
	public := &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}
	admin := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8081}
	for _, c := range []struct {
		name  string
		token bool
		want  []string
	}{
		{"with a token", true, []string{"url=http://localhost:8080/\n", "url=http://localhost:8080/business/\n", `msg="operator console" url=http://127.0.0.1:8081/admin/`}},
		{"without", false, []string{"url=http://localhost:8080/\n", "disabled: start with --admin-token TOKEN (env PARLEY_ADMIN_TOKEN)", "url=http://127.0.0.1:8081/admin/"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			logAppURLs(slog.New(slog.NewTextHandler(&buf, nil)), "http", public, admin, c.token)
			for _, w := range c.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, buf.String())
				}
			}
		})
	}
}
