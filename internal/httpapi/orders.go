package httpapi

import (
	"errors"
	"io"
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/stripe"
	"github.com/parleyhq/parley/wire"
)

// A person's side of orders in the chat (docs/COMMERCE.md): the order a
// business sent, with its payments and timeline, and paying it.

// getOrder answers GET /v1/chats/{chat}/orders/{reference}.
func getOrder(b *business.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		chatID, err := pathID(r, "chat")
		if err != nil {
			return err
		}
		v, err := b.Orders().Order(r.Context(), p, chatID, r.PathValue("reference"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// payOrder answers POST /v1/orders/pay {chat_id, reference_id,
// idempotency_key, payment_method}: 200 with the payment (captured), the
// same payment for a known key.
func payOrder(b *business.Service) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p parley.Principal) error {
		var in wire.PayOrder
		if err := decode(w, r, maxJSON, &in); err != nil {
			return err
		}
		if in.ChatID <= 0 {
			return parley.InvalidField("chat_id", "chat_id is required")
		}
		if in.ReferenceID == "" {
			return parley.InvalidField("reference_id", "reference_id is required")
		}
		pay, err := b.Orders().Pay(r.Context(), p, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, pay)
		return nil
	}
}

// maxProviderEvent bounds a payment provider's callback body; Stripe's
// PaymentIntent events are a few kilobytes.
const maxProviderEvent = 64 << 10

// stripeEvents answers POST /v1/payments/stripe/events: Stripe's signed
// callback for a charge that settled after it answered, or whose answer
// never reached the server (docs/COMMERCE.md, "Failure modes"). No token:
// the Stripe-Signature header over the body, with the endpoint's signing
// secret, is the credential. 200 for an event that settles nothing new
// (another event type, a replay), so that Stripe stops sending it; 400
// for a bad signature or body; 404 when no signing secret is configured.
func stripeEvents(b *business.Service, secret string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if secret == "" {
			return parley.Errorf(parley.ENotFound, "Stripe events are not configured on this server (--stripe-webhook-secret)")
		}
		payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProviderEvent))
		if err != nil {
			return parley.Errorf(parley.ETooLarge, "the event is larger than %d bytes", maxProviderEvent)
		}
		ev, err := stripe.ParseEvent(payload, r.Header.Get("Stripe-Signature"), secret)
		switch {
		case errors.Is(err, stripe.ErrNotPayment):
			writeJSON(w, http.StatusOK, map[string]bool{"settled": false})
			return nil
		case err != nil:
			return parley.Errorf(parley.EInvalid, "the event's signature or body does not check: %v", err)
		}
		settled, err := b.Orders().ProviderCallback(r.Context(), ev.Key, ev.OK, ev.Ref, ev.Reason)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]bool{"settled": settled})
		return nil
	}
}
