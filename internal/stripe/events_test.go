package stripe_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/parleyhq/parley/internal/stripe"
)

// signedEvent is a Stripe event of type typ about a PaymentIntent with
// metadata key, signed by stripe-go's test helper at t.
func signedEvent(typ, key, secret string, t time.Time) ([]byte, string) {
	body := fmt.Sprintf(`{"id":"evt_1","object":"event","type":%q,"api_version":"2025-03-31.basil","data":{"object":{"id":"pi_1","object":"payment_intent","status":"succeeded","metadata":{"parley_key":%q},"last_payment_error":{"message":"Your card was declined."}}}}`, typ, key)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: secret, Timestamp: t})
	return sp.Payload, sp.Header
}

// TestParseEvent: a signed succeeded or failed PaymentIntent event names
// its charge; a wrong secret, a stale signature, a changed body and a
// missing secret are errors; other events settle nothing.
func TestParseEvent(t *testing.T) {
	const secret = "whsec_test"
	now := time.Now()
	body, sig := signedEvent("payment_intent.succeeded", "order-pay:7", secret, now)
	ev, err := stripe.ParseEvent(body, sig, secret)
	if err != nil || ev != (stripe.PaymentEvent{Key: "order-pay:7", OK: true, Ref: "pi_1"}) {
		t.Fatalf("succeeded: %+v, %v", ev, err)
	}
	body, sig = signedEvent("payment_intent.payment_failed", "order-pay:8", secret, now)
	ev, err = stripe.ParseEvent(body, sig, secret)
	if err != nil || ev.OK || ev.Key != "order-pay:8" || ev.Reason != "Your card was declined." {
		t.Fatalf("failed: %+v, %v", ev, err)
	}
	for name, tc := range map[string]struct {
		body   []byte
		header string
		secret string
	}{
		"wrong secret": {body, sig, "whsec_other"},
		"no secret":    {body, sig, ""},
		"changed body": {append(append([]byte{}, body[:len(body)-1]...), ' ', '}'), sig, secret},
		"no header":    {body, "", secret},
	} {
		if _, err := stripe.ParseEvent(tc.body, tc.header, tc.secret); err == nil || errors.Is(err, stripe.ErrNotPayment) {
			t.Errorf("%s: got %v, want a signature error", name, err)
		}
	}
	old, oldSig := signedEvent("payment_intent.succeeded", "order-pay:7", secret, now.Add(-10*time.Minute))
	if _, err := stripe.ParseEvent(old, oldSig, secret); err == nil {
		t.Errorf("a signature ten minutes old: accepted")
	}
	other, otherSig := signedEvent("charge.refunded", "order-pay:7", secret, now)
	if _, err := stripe.ParseEvent(other, otherSig, secret); !errors.Is(err, stripe.ErrNotPayment) {
		t.Errorf("charge.refunded: got %v, want ErrNotPayment", err)
	}
	foreign, foreignSig := signedEvent("payment_intent.succeeded", "", secret, now)
	if _, err := stripe.ParseEvent(foreign, foreignSig, secret); !errors.Is(err, stripe.ErrNotPayment) {
		t.Errorf("a PaymentIntent without Parley's key: got %v, want ErrNotPayment", err)
	}
}
