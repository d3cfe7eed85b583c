// Package client is the public Go client of Parley's HTTP and WebSocket API.
// The command-line client, the end-to-end tests and anyone writing their own
// Parley program use it.
//
// A Client covers every endpoint in internal/httpapi/routes.go with a typed
// method; Connect and Stream cover the WebSocket at /v1/ws. Errors the server
// returns decode into *Error, whose Code is one of the stable codes listed
// in docs/API.md:
//
//	c := client.New("http://127.0.0.1:8080", client.WithToken(token))
//	_, err := c.OpenDirect(ctx, 42)
//	if client.ErrorCode(err) == "not_found" { ... }
//
// With end-to-end encryption (UseE2EE, docs/E2EE.md), SendBody and
// SendText encrypt each message for every recipient device and OpenBody
// decrypts; without it they send plaintext envelopes (one per recipient
// device), for programs and tests that have no end-to-end state.
//
// The package imports the JSON shapes of the API from package wire, the
// error codes from the kernel (github.com/parleyhq/parley) and
// coder/websocket; no domain package and nothing internal.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

// Client calls one Parley server as one device. It is safe for concurrent
// use. The zero value is not usable; call New.
type Client struct {
	base string
	hc   *http.Client

	mu        sync.RWMutex
	token     string
	e2e       *e2ee.Device            // end-to-end state; nil sends plaintext
	chatKinds map[int64]wire.ChatKind // direct or group, for choosing Olm or Megolm
}

// Option configures a Client.
type Option func(*Client)

// WithToken sets the device's bearer token (from Verify, saved earlier).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient sets the HTTP client used for requests and for the
// WebSocket handshake; http.DefaultClient by default.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a Client for the server at baseURL, such as
// "http://127.0.0.1:8080".
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the server's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Token returns the bearer token in use, or "" before Verify.
func (c *Client) Token() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token
}

// SetToken replaces the bearer token.
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
}

// Error is an error returned by the server: the HTTP status and the body
// {"error":{"code","message","details"}}. Code is one of the stable codes
// of docs/API.md (parley.Code values such as "not_found" or
// "devices_changed"); it is empty when the response was not Parley's JSON
// error shape (a proxy's error page, say), and Message then holds the start
// of the body.
type Error struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
}

// Error returns "code: message", or "http STATUS: body" without a code.
// A rate_limited error says how long to wait ("; try again in 30 seconds").
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("http %d: %s", e.Status, e.Message)
	}
	if wait := e.RetryAfter(); wait > 0 {
		return e.Code + ": " + e.Message + "; try again in " + waitText(wait)
	}
	return e.Code + ": " + e.Message
}

// RetryAfter returns how long a rate_limited error asks to wait
// (details.retry_after_seconds), or 0.
func (e *Error) RetryAfter() time.Duration {
	if e.Code != "rate_limited" {
		return 0
	}
	secs, _ := e.Details["retry_after_seconds"].(float64)
	return time.Duration(secs) * time.Second
}

// waitText says d for people, rounded up: "1 second", "5 minutes", "3 hours".
func waitText(d time.Duration) string {
	unit, n := "second", int64((d+time.Second-1)/time.Second)
	switch {
	case d > 2*time.Hour:
		unit, n = "hour", int64((d+time.Hour-1)/time.Hour)
	case d > 2*time.Minute:
		unit, n = "minute", int64((d+time.Minute-1)/time.Minute)
	}
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// ErrorCode returns the Code of the first *Error in err's chain, or "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// decodeError builds an *Error from a failed response.
func decodeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return errorFromBody(resp.StatusCode, body)
}

func errorFromBody(status int, body []byte) error {
	var wire struct {
		Error *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) == nil && wire.Error != nil && wire.Error.Code != "" {
		return &Error{Status: status, Code: wire.Error.Code, Message: wire.Error.Message, Details: wire.Error.Details}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &Error{Status: status, Message: msg}
}

// do sends a JSON request (in may be nil) and decodes a JSON response into
// out (which may be nil; a 204 leaves it as it is).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	resp, err := c.send(ctx, method, path, ctype, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// send sends a request with a raw body and returns a successful response,
// whose body the caller must close, or an error (an *Error for any status
// of 400 and over).
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("new request %s %s: %w", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if t := c.Token(); t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

// Health calls GET /healthz: nil when the server process is up.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil)
}

// Ready calls GET /readyz: nil when the server can take traffic (its
// database and bus are reachable); an *Error with Code "unavailable"
// otherwise.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/readyz", nil, nil)
}

func pathf(format string, args ...any) string {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = url.PathEscape(s)
		}
	}
	return fmt.Sprintf(format, args...)
}
