package stripe

import (
	"encoding/json"
	"errors"
	"fmt"

	stripeapi "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// PaymentEvent is what a Stripe event says of a charge: the key Charge
// gave it (its metadata parley_key), and whether it succeeded (OK, with
// the PaymentIntent id) or failed (with Stripe's reason). Stripe sends
// it when a payment settles after Charge answered, or when Charge's
// answer never reached the server.
type PaymentEvent struct {
	Key    string
	OK     bool
	Ref    string
	Reason string
}

// ErrNotPayment is ParseEvent's answer for a genuine event that settles
// no charge (another type, or a PaymentIntent Parley did not create).
var ErrNotPayment = errors.New("stripe: the event settles no charge")

// ParseEvent checks a Stripe event's signature (the Stripe-Signature
// header, against the endpoint's signing secret, within Stripe's
// five-minute tolerance, by stripe-go) and returns what it says of a
// charge. A bad signature or body is an error; an event that is not
// payment_intent.succeeded or payment_intent.payment_failed of one of
// Parley's charges is ErrNotPayment.
func ParseEvent(payload []byte, header, secret string) (PaymentEvent, error) {
	if secret == "" {
		return PaymentEvent{}, errors.New("stripe: no signing secret is configured")
	}
	ev, err := webhook.ConstructEventWithOptions(payload, header, secret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return PaymentEvent{}, fmt.Errorf("stripe: %w", err)
	}
	var ok bool
	switch ev.Type {
	case "payment_intent.succeeded":
		ok = true
	case "payment_intent.payment_failed":
	default:
		return PaymentEvent{}, ErrNotPayment
	}
	var pi stripeapi.PaymentIntent
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &pi) != nil {
		return PaymentEvent{}, errors.New("stripe: the event holds no PaymentIntent")
	}
	key := pi.Metadata["parley_key"]
	if key == "" {
		return PaymentEvent{}, ErrNotPayment
	}
	out := PaymentEvent{Key: key, OK: ok, Ref: pi.ID}
	if !ok {
		out.Reason = "the payment failed"
		if e := pi.LastPaymentError; e != nil && e.Msg != "" {
			out.Reason = e.Msg
		}
	}
	return out, nil
}
