package cloudapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

var traceID = regexp.MustCompile(`"fbtrace_id":"[^"]*"`)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestWebhookVerificationHidesReason: whatever makes a webhook
// verification fail (nothing listening, an address webhooks may not
// reach, an endpoint that answers 404 or does not echo the challenge),
// the business and the operator are told the same sentence; the reason,
// which would make the handshake a port scanner of the reachable ranges,
// is only logged (issue 13, defect 10).
func TestWebhookVerificationHidesReason(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	e := newEnv(t, func(e *env) {
		e.extra = append(e.extra, servertest.WithOptions(func(o *server.Options) {
			o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		}))
	})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/hook"
	closed.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	noEcho := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) }))
	t.Cleanup(noEcho.Close)

	targets := []struct{ name, url, reason string }{
		{"nothing listening", closedURL, "refused"},
		{"not a reachable address", "http://10.255.255.1:9/hook", "public"},
		{"answers 404", notFound.URL, "404"},
		{"does not echo", noEcho.URL, "hub.challenge"},
	}
	first := map[string]string{} // the body each surface answers, by path
	for _, tt := range targets {
		t.Run(tt.name, func(t *testing.T) {
			for _, surface := range []struct {
				method, path, token string
				body                map[string]any
			}{
				{"POST", fmt.Sprintf("/v23.0/%d/subscribed_apps", e.biz.ID), e.token, map[string]any{"override_callback_uri": tt.url, "verify_token": "vt"}},
				{"PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", e.biz.ID), adminToken, map[string]any{"callback_url": tt.url, "verify_token": "vt"}},
			} {
				status, raw := e.do(surface.method, surface.path, surface.token, surface.body)
				var out struct {
					Error json.RawMessage `json:"error"`
				}
				if err := json.Unmarshal(raw, &out); err != nil || status != 400 || len(out.Error) == 0 {
					t.Fatalf("%s %s: got %d %s, want 400 with an error", surface.method, surface.path, status, raw)
				}
				// The trace id (Meta's fbtrace_id) differs per answer.
				body := traceID.ReplaceAllString(string(raw), "")
				if first[surface.path] == "" {
					first[surface.path] = body
				}
				if body != first[surface.path] {
					t.Errorf("%s %s to %s: got %s, want the same answer as for every failure, %s", surface.method, surface.path, tt.url, body, first[surface.path])
				}
				for _, leak := range []string{"refused", "dial", "127.0.0.1", "10.255", "public", "404", "timeout"} {
					if strings.Contains(body, leak) {
						t.Errorf("%s %s: answer %s repeats %q", surface.method, surface.path, body, leak)
					}
				}
			}
			if !strings.Contains(logs.String(), "webhook verification failed") || !strings.Contains(logs.String(), tt.reason) {
				t.Errorf("log lacks the verification failure with %q:\n%s", tt.reason, logs.String())
			}
		})
	}
}
