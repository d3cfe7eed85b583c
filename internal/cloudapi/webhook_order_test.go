package cloudapi_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/internal/webhook"
)

// withWebhooks sets the dispatcher's options instead of newEnv's fast
// retries.
func withWebhooks(o webhook.Options) envOption {
	return func(e *env) { e.webhooks = &o }
}

// TestRefusedWebhookHoldsNothingBack: the endpoint refuses one webhook
// (401) for good; the later webhooks of the same conversation still arrive
// at once, in order, while the refused one waits for its retry (an hour
// away here, as after a few failures in production) and is delivered when
// it comes.
func TestRefusedWebhookHoldsNothingBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withWebhooks(webhook.Options{Poll: 20 * time.Millisecond, BaseBackoff: time.Hour, MaxBackoff: time.Hour,
		Timeout: 2 * time.Second}))
	e.hooks.refuse.Store(func(b []byte) bool { return bytes.Contains(b, []byte("refuse me")) })
	refused := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "refuse me"})
	start := time.Now()
	var later []string
	for i := range 5 {
		later = append(later, e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: fmt.Sprintf("later %d", i)}))
	}
	for _, id := range later {
		e.hooks.message(id)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("later webhooks took %v behind a refused one, want a few seconds at most", took)
	}
	// The later ones kept their order among themselves.
	e.hooks.mu.Lock()
	var order []string
	for _, h := range e.hooks.got {
		if _, v := h.change(); len(v.Messages) == 1 {
			order = append(order, v.Messages[0].ID)
		}
	}
	e.hooks.mu.Unlock()
	if strings.Join(order, ",") != strings.Join(later, ",") {
		t.Errorf("delivered %v, want %v in that order", order, later)
	}
	// The refused one is pending, with its 401 recorded, due again later.
	var log struct {
		Webhooks []adminapi.Webhook `json:"webhooks"`
	}
	e.adminDo("GET", fmt.Sprintf("/admin/v1/businesses/%d/webhooks", e.biz.ID), nil, &log)
	var first adminapi.Webhook
	for _, w := range log.Webhooks {
		if bytes.Contains(w.Payload, []byte(refused)) {
			first = w
		}
	}
	if first.Status != "pending" || first.Attempts != 1 || !strings.Contains(first.LastError, "401") {
		t.Fatalf("refused webhook: got %+v, want pending after one attempt refused with 401", first)
	}
	// Once the endpoint accepts it (here replayed, as an operator would
	// instead of waiting the hour), it arrives.
	e.hooks.refuse.Store(func([]byte) bool { return false })
	e.adminDo("POST", fmt.Sprintf("/admin/v1/businesses/%d/webhooks/%d/replay", e.biz.ID, first.ID), nil, nil)
	e.hooks.message(refused)
}

// TestWebhooksInOrderWhileAccepted: while the endpoint accepts, the
// webhooks of one conversation arrive in the order they were made.
func TestWebhooksInOrderWhileAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var ids []string
	for i := range 8 {
		ids = append(ids, e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: fmt.Sprintf("m%d", i)}))
	}
	e.hooks.message(ids[len(ids)-1])
	testutil.Eventually(t, "all messages", func() bool {
		e.hooks.mu.Lock()
		defer e.hooks.mu.Unlock()
		return len(e.hooks.got) >= len(ids)
	})
	e.hooks.mu.Lock()
	defer e.hooks.mu.Unlock()
	var order []string
	for _, h := range e.hooks.got {
		if _, v := h.change(); len(v.Messages) == 1 {
			order = append(order, v.Messages[0].ID)
		}
	}
	if strings.Join(order, ",") != strings.Join(ids, ",") {
		t.Errorf("delivered %v, want %v", order, ids)
	}
}
