// Package flowendpoint calls businesses' WhatsApp Flow endpoints as
// WhatsApp does (docs/FLOWS.md, "The endpoint protocol"): each request
// is encrypted for the business's public key (internal/flowcrypto),
// signed with the app secret (X-Hub-Signature-256, as webhooks are) and
// POSTed to the Flow's endpoint_uri; the answer is decrypted with the
// request's key. The endpoint's HTTP errors are Meta's: 421 (it cannot
// decrypt: the public key is read again and the request sent once more),
// 427 (the flow token is no longer valid) and 432 (the signature did not
// check). Every call is measured per Flow (Health).
package flowendpoint

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/flowcrypto"
)

// The outcomes of a call that did not answer a payload.
var (
	// ErrKeyRefused: the endpoint answered 421 twice, the second time
	// after the public key was read again.
	ErrKeyRefused = errors.New("flow endpoint: cannot decrypt the request (421); upload the endpoint's current public key")
	// ErrTokenInvalid: the endpoint answered 427, the flow token is no
	// longer valid; the Flow is closed for this person.
	ErrTokenInvalid = errors.New("flow endpoint: the flow token is no longer valid (427)")
	// ErrSignature: the endpoint answered 432, the request's signature
	// did not check.
	ErrSignature = errors.New("flow endpoint: the request signature did not check (432)")
	// ErrBadResponse: a 200 whose body does not decrypt to JSON.
	ErrBadResponse = errors.New("flow endpoint: the response cannot be decrypted")
)

// StatusError is any other HTTP status from the endpoint.
type StatusError struct{ Status int }

func (e *StatusError) Error() string { return fmt.Sprintf("flow endpoint: HTTP %d", e.Status) }

// Call is one request to a Flow endpoint.
type Call struct {
	FlowID    int64
	URL       string
	AppSecret string
	// Key returns the business's public key; refresh is true after the
	// endpoint answered 421, when the key must be read again.
	Key     func(ctx context.Context, refresh bool) (*rsa.PublicKey, error)
	Payload []byte // the action's JSON (ping, INIT, data_exchange, BACK, an error notification)
}

// Client calls Flow endpoints. Its zero value is not usable: use New.
type Client struct {
	http   *http.Client
	health *Health
}

// New returns a client that calls through hc (which should refuse
// non-public addresses: internal/webhook's guarded client) and records
// every call in health (nil: none).
func New(hc *http.Client, health *Health) *Client {
	return &Client{http: hc, health: health}
}

// Sign is the X-Hub-Signature-256 header of a body: "sha256=" and the
// hex HMAC-SHA256 of the body under the app secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Do sends the call and returns the decrypted answer. The time and the
// outcome go to the client's Health under the Flow's id.
func (c *Client) Do(ctx context.Context, call Call) ([]byte, error) {
	start := time.Now()
	out, err := c.do(ctx, call)
	if c.health != nil {
		c.health.Record(call.FlowID, time.Since(start), err)
	}
	return out, err
}

func (c *Client) do(ctx context.Context, call Call) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		key, err := call.Key(ctx, attempt > 0)
		if err != nil {
			return nil, fmt.Errorf("flow endpoint key: %w", err)
		}
		body, sess, err := flowcrypto.EncryptRequest(key, call.Payload)
		if err != nil {
			return nil, err
		}
		raw, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, call.URL, bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("flow endpoint request: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", Sign(call.AppSecret, raw))
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("flow endpoint: %w", err)
		}
		text, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("flow endpoint: read the answer: %w", err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			pt, err := sess.DecryptResponse(text)
			if err != nil || !json.Valid(pt) {
				return nil, ErrBadResponse
			}
			return pt, nil
		case 421:
			if attempt == 0 {
				continue
			}
			return nil, ErrKeyRefused
		case 427:
			return nil, ErrTokenInvalid
		case 432:
			return nil, ErrSignature
		default:
			return nil, &StatusError{Status: resp.StatusCode}
		}
	}
}
