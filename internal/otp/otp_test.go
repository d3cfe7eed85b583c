package otp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley"
)

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	l := Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	if err := l.SendCode(context.Background(), "+15551234567", "123456"); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	for k, want := range map[string]string{"level": "INFO", "msg": "one-time code", "phone": "+15551234567", "code": "123456"} {
		if got := line[k]; got != want {
			t.Errorf("%s: got %v, want %q", k, got, want)
		}
	}
	if err := (Log{}).SendCode(context.Background(), "+15551234567", "123456"); err == nil {
		t.Error("Log without a Logger: got nil error")
	}
}

// request is what the fake gateway saw.
type request struct {
	method, contentType, auth string
	body                      map[string]string
}

// gateway starts a real HTTP server that records each request and answers
// with status and answer.
func gateway(t *testing.T, status int, answer string) (*httptest.Server, <-chan request) {
	t.Helper()
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := request{method: r.Method, contentType: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization")}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req.body); err != nil {
			t.Errorf("gateway: decode body: %v", err)
		}
		got <- req
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestHTTP(t *testing.T) {
	srv, got := gateway(t, http.StatusAccepted, `{"id":"1"}`)
	h := HTTP{URL: srv.URL + "/sms", Client: srv.Client(), Token: "s3cret"}
	if err := h.SendCode(context.Background(), "+15551234567", "123456"); err != nil {
		t.Fatalf("SendCode: %v", err)
	}
	req := <-got
	if req.method != http.MethodPost {
		t.Errorf("method: got %s, want POST", req.method)
	}
	if req.contentType != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", req.contentType)
	}
	if req.auth != "Bearer s3cret" {
		t.Errorf("Authorization: got %q, want %q", req.auth, "Bearer s3cret")
	}
	want := map[string]string{"to": "+15551234567", "message": "Your Parley code is 123456", "code": "123456"}
	if len(req.body) != len(want) {
		t.Errorf("body: got %v, want %v", req.body, want)
	}
	for k, v := range want {
		if req.body[k] != v {
			t.Errorf("body %s: got %q, want %q", k, req.body[k], v)
		}
	}
}

func TestHTTPWithoutToken(t *testing.T) {
	srv, got := gateway(t, http.StatusOK, "")
	if err := (HTTP{URL: srv.URL}).SendCode(context.Background(), "+15551234567", "123456"); err != nil {
		t.Fatalf("SendCode: %v", err)
	}
	if req := <-got; req.auth != "" {
		t.Errorf("Authorization: got %q, want none", req.auth)
	}
}

func TestHTTPErrorStatus(t *testing.T) {
	srv, _ := gateway(t, http.StatusBadGateway, "upstream carrier down\n")
	err := HTTP{URL: srv.URL, Client: srv.Client()}.SendCode(context.Background(), "+15551234567", "123456")
	if got := parley.ErrorCode(err); got != parley.EUnavailable {
		t.Errorf("code: got %q (%v), want %q", got, err, parley.EUnavailable)
	}
	for _, want := range []string{"502", "upstream carrier down"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error: got %v, want it to contain %q", err, want)
		}
	}
	if msg := parley.ErrorMessage(err); strings.Contains(msg, "502") {
		t.Errorf("user-facing message %q shows the gateway's status", msg)
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A gateway that does not answer until the client is gone or
		// the test ends. Reading the body lets the server notice.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := HTTP{URL: srv.URL, Client: srv.Client()}.SendCode(ctx, "+15551234567", "123456")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want %v", err, context.DeadlineExceeded)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %s, want about 50ms", d)
	}
}

func TestHTTPUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := HTTP{URL: url}.SendCode(context.Background(), "+15551234567", "123456")
	if got := parley.ErrorCode(err); got != parley.EUnavailable {
		t.Errorf("got %v, want %s", err, parley.EUnavailable)
	}
}
