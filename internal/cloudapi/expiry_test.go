package cloudapi_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/servertest"
)

// TestExpiredMessageFails: a business message that expires before the
// customer's device fetches it ends with a failed status, is not charged,
// and its hold is released; the number's inbox pipeline goes on (the
// failed receipt is handled while the business's rating order is held, and
// once deadlocked there).
func TestExpiredMessageFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(e *env) {
		e.extra = append(e.extra, servertest.WithConfig(chat.Config{SweepInterval: 20 * time.Millisecond}))
	})
	e.createTemplate(map[string]any{"name": "order_ready", "category": "UTILITY", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "Your order is ready"}}})
	tpl := func() map[string]any {
		return map[string]any{"type": "template", "template": map[string]any{"name": "order_ready", "language": map[string]any{"code": "en"}}}
	}
	lost := e.send(tpl())
	e.hooks.status(lost, "sent")
	if w := e.wallet(); w.Held == 0 {
		t.Fatalf("wallet before expiry: got %+v, want the template's price held", w)
	}
	e.clock.Advance(31 * 24 * time.Hour) // past the 30-day retention: the sweep expires the envelope
	failed := e.hooks.status(lost, "failed")
	if len(failed.Errors) != 1 || failed.Errors[0].Code != 131026 || failed.Pricing != nil {
		t.Errorf("failed status: got errors %+v pricing %+v, want one 131026 error and no pricing", failed.Errors, failed.Pricing)
	}
	if w := e.wallet(); w.Held != 0 || w.Spend.Total != 0 {
		t.Errorf("wallet after expiry: got %+v, want nothing held or spent", w)
	}
	for _, u := range e.usage() {
		if u.MessageID == lost {
			t.Errorf("ledger: got %+v for the expired message, want no entry", u)
		}
	}
	next := e.send(tpl())
	e.receive(e.cust, next)
	if st := e.hooks.status(next, "delivered"); st.Pricing == nil || !st.Pricing.Billable {
		t.Errorf("the next message's status: got pricing %+v, want billable", st.Pricing)
	}
}
