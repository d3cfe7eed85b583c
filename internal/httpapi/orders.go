package httpapi

import (
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
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
