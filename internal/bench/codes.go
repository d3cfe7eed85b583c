package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
)

// Codes collects one-time codes so that the load generator can register
// accounts through the real API. It is an http.Handler that takes the
// requests an SMS gateway takes from the server (internal/otp.HTTP posts
// {"to", "message", "code"}), and a chat.CodeSender for a server in the
// same process.
type Codes struct {
	mu    sync.Mutex
	slots map[string]*codeSlot
}

type codeSlot struct {
	code  string
	ready chan struct{}
}

// NewCodes returns an empty Codes.
func NewCodes() *Codes { return &Codes{slots: map[string]*codeSlot{}} }

func (c *Codes) slot(phone string) *codeSlot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.slots[phone]
	if s == nil {
		s = &codeSlot{ready: make(chan struct{})}
		c.slots[phone] = s
	}
	return s
}

// SendCode records code for phone.
func (c *Codes) SendCode(ctx context.Context, phone, code string) error {
	s := c.slot(phone)
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-s.ready:
		s.code = code // a later code replaces an unread one
	default:
		s.code = code
		close(s.ready)
	}
	return nil
}

// ServeHTTP takes a code in the SMS gateway's request format.
func (c *Codes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		To   string `json:"to"`
		Code string `json:"code"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil || in.To == "" || in.Code == "" {
		http.Error(w, "want {\"to\", \"code\"}", http.StatusBadRequest)
		return
	}
	_ = c.SendCode(r.Context(), in.To, in.Code)
	w.WriteHeader(http.StatusNoContent)
}

// Wait returns the code sent to phone (E.164), waiting for it, and
// forgets it, so that the next Wait for phone waits for a new code.
func (c *Codes) Wait(ctx context.Context, phone string) (string, error) {
	s := c.slot(phone)
	select {
	case <-s.ready:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.slots[phone] == s {
		delete(c.slots, phone)
	}
	return s.code, nil
}
