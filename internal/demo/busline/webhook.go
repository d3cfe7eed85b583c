package busline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/wire"
)

// handshake answers the server's GET verification of the webhook URL.
func (d *Demo) handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != d.verify {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}

// webhook takes the server's webhooks. What they ask for is done before
// the answer, so the server's delivery order is the order of handling;
// a failure is logged and not retried (the answer is 200), as the demo
// would rather miss a step than do one twice.
func (d *Demo) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !d.signed(r, body) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var env struct {
		Entry []struct {
			Changes []struct {
				Field string          `json:"field"`
				Value json.RawMessage `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			if c.Field != "messages" {
				continue
			}
			var v wire.MessagesValue
			if err := json.Unmarshal(c.Value, &v); err != nil {
				continue
			}
			for _, m := range v.Messages {
				if d.first("m:" + m.ID) {
					if err := d.onMessage(ctx, m); err != nil {
						d.log.Warn("busline: message", "from", m.From, "type", m.Type, "err", err)
					}
				}
			}
			for _, s := range v.Statuses {
				if s.Type == "payment" && s.Payment != nil {
					if err := d.onPayment(ctx, s); err != nil {
						d.log.Warn("busline: payment", "reference", s.Payment.ReferenceID, "status", s.Status, "err", err)
					}
				}
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

// first reports whether key is seen for the first time.
func (d *Demo) first(key string) bool {
	d.seenMu.Lock()
	defer d.seenMu.Unlock()
	if d.seen[key] {
		return false
	}
	d.seen[key] = true
	return true
}

// onMessage answers a customer: a finished Flow gets its order, a cancel
// (the button or the word) a refund, a text the Flow.
func (d *Demo) onMessage(ctx context.Context, m wire.InboundMessage) error {
	if in := m.Interactive; in != nil {
		switch {
		case in.NfmReply != nil:
			return d.onFlowDone(ctx, m.From, in.NfmReply.ResponseJSON)
		case in.ButtonReply != nil && strings.HasPrefix(in.ButtonReply.ID, "cancel:"):
			return d.cancel(ctx, m.From, strings.TrimPrefix(in.ButtonReply.ID, "cancel:"))
		}
	}
	if m.Button != nil && strings.EqualFold(strings.TrimSpace(m.Button.Text), "cancel") {
		return d.cancel(ctx, m.From, "")
	}
	if m.Text != nil {
		words := strings.Fields(strings.ToUpper(m.Text.Body))
		if len(words) > 0 && words[0] == "CANCEL" {
			ref := ""
			if len(words) > 1 {
				ref = words[1]
			}
			return d.cancel(ctx, m.From, ref)
		}
	}
	// What a person writes gets the Flow: a text, the link's first
	// message, a welcome request. A message the business cannot read
	// ("unknown": an end-to-end encrypted one, from a client that
	// encrypts to every device) gets it too, but once in a while only:
	// such a client may answer the Flow with another unreadable message,
	// and a Flow for each would never end.
	switch {
	case m.Type == "text", m.Type == "request_welcome", m.Referral != nil:
		return d.sendFlow(ctx, m.From)
	case m.Type == "unknown" && d.st.flowSentSince(m.From, d.o.Now().Add(-10*time.Minute)) == 0:
		return d.sendFlow(ctx, m.From)
	}
	return nil
}

// sendFlow sends the booking Flow under a new flow token.
func (d *Demo) sendFlow(ctx context.Context, to string) error {
	token := "bus-" + randomHex(12)
	d.st.newSession(token, to, d.o.Now())
	_, err := d.g.send(ctx, d.numberID, to, map[string]any{"type": "interactive", "interactive": map[string]any{
		"type":   "flow",
		"header": map[string]string{"type": "text", "text": "Busline"},
		"body":   map[string]string{"text": "Welcome to Busline! Find your bus, pick your seat and pay, all in this chat."},
		"footer": map[string]string{"text": "Reply CANCEL to cancel a booking"},
		"action": map[string]any{"name": "flow", "parameters": map[string]any{
			"flow_message_version": "3", "flow_token": token, "flow_id": d.flowID,
			"flow_cta": "Book a seat", "flow_action": "data_exchange"}}}})
	return err
}

// onFlowDone sends the order of the booking the finished Flow holds.
func (d *Demo) onFlowDone(ctx context.Context, from, responseJSON string) error {
	var resp struct {
		FlowToken string `json:"flow_token"`
		Booking   string `json:"booking"`
	}
	if err := json.Unmarshal([]byte(responseJSON), &resp); err != nil {
		return fmt.Errorf("response_json: %w", err)
	}
	sess, ok := d.st.session(resp.FlowToken)
	if !ok || sess.WaID != from || sess.Ref == "" {
		return errors.New("a finished flow that holds no booking")
	}
	b, ok := d.st.booking(sess.Ref)
	if !ok || b.Status != Held || b.Passenger == "" {
		_, err := d.g.send(ctx, d.numberID, from, text("Your seat hold ran out before the booking was finished. Send any message to start again."))
		return err
	}
	now := d.o.Now()
	expires := b.HeldUntil
	if expires.Sub(now) < 6*time.Minute { // Meta's orders expire at least 5 minutes ahead
		expires = now.Add(6 * time.Minute)
		_, _ = d.st.update(b.Ref, func(x *Booking) error { x.HeldUntil = expires; return nil })
	}
	amount := map[string]int64{"value": b.Trip.FareMinor, "offset": 100}
	wamid, err := d.g.send(ctx, d.numberID, from, map[string]any{"type": "interactive", "interactive": map[string]any{
		"type": "order_details",
		"body": map[string]string{"text": fmt.Sprintf("%s, seat %s for %s. Pay to get your ticket.", b.Trip.Title(), b.Seat, b.Passenger)},
		"action": map[string]any{"name": "review_and_pay", "parameters": map[string]any{
			"reference_id": b.Ref, "type": "digital-goods", "currency": "INR", "total_amount": amount,
			"payment_settings": []map[string]any{{"type": "payment_gateway",
				"payment_gateway": map[string]string{"type": "stripe", "configuration_name": PaymentConfig}}},
			"order": map[string]any{"status": "pending",
				"items": []map[string]any{{"retailer_id": b.Trip.ID + "-" + b.Seat, "name": "Seat " + b.Seat + ", " + b.Trip.Title(),
					"amount": amount, "quantity": 1}},
				"subtotal": amount, "tax": map[string]int64{"value": 0, "offset": 100},
				"expiration": map[string]string{"timestamp": strconv.FormatInt(expires.Unix(), 10),
					"description": "Your seat is held until then"}}}}}})
	if err != nil {
		return fmt.Errorf("order_details: %w", err)
	}
	_, err = d.st.update(b.Ref, func(x *Booking) error { x.OrderWamid = wamid; return nil })
	return err
}

// onPayment sends the ticket once a booking's payment is captured.
// Refunds ride on the same webhook again (with the transaction's
// refunds): a booking already paid or cancelled is left alone.
func (d *Demo) onPayment(ctx context.Context, s wire.StatusUpdate) error {
	ref := s.Payment.ReferenceID
	if s.Status == "failed" {
		b, ok := d.st.booking(ref)
		if ok && b.Status == Held {
			_, err := d.g.send(ctx, d.numberID, b.WaID, text("The payment did not go through. You can pay again from the order above."))
			return err
		}
		return nil
	}
	if s.Status != "captured" {
		return nil
	}
	b, changed, err := d.st.confirm(ref, d.o.Now())
	if errors.Is(err, ErrSeatTaken) {
		// The hold ran out while the person paid and someone else took
		// the seat: the money goes back.
		if err := d.g.call(ctx, http.MethodPost, "/"+d.numberID+"/payments_refund", map[string]any{"reference_id": ref,
			"payment_config_id": PaymentConfig, "idempotency_key": "lost-" + ref}, nil); err != nil {
			return fmt.Errorf("refund a lost seat: %w", err)
		}
		_, err := d.g.send(ctx, d.numberID, b.WaID, text(fmt.Sprintf("Sorry, your hold on seat %s ran out and the seat was taken before you paid. Your payment is refunded.", b.Seat)))
		return err
	} else if err != nil || !changed {
		return err
	}
	pdf, err := Ticket(b)
	if err != nil {
		return err
	}
	media, err := d.g.upload(ctx, d.numberID, "busline-"+b.Ref+".pdf", "application/pdf", pdf)
	if err != nil {
		return fmt.Errorf("upload the ticket: %w", err)
	}
	if _, err := d.g.send(ctx, d.numberID, b.WaID, map[string]any{"type": "document", "document": map[string]string{
		"id": media, "filename": "busline-" + b.Ref + ".pdf", "caption": fmt.Sprintf("Your ticket %s: %s, seat %s", b.Ref, b.Trip.Title(), b.Seat)}}); err != nil {
		return fmt.Errorf("send the ticket: %w", err)
	}
	if _, err := d.g.send(ctx, d.numberID, b.WaID, orderStatus(b.Ref, "completed", "Ticket "+b.Ref+" issued")); err != nil {
		return fmt.Errorf("order_status: %w", err)
	}
	_, err = d.g.send(ctx, d.numberID, b.WaID, map[string]any{"type": "interactive", "interactive": map[string]any{
		"type": "button", "body": map[string]string{"text": "Plans changed? Cancel before departure for a full refund."},
		"action": map[string]any{"buttons": []map[string]any{{"type": "reply", "reply": map[string]string{"id": "cancel:" + b.Ref, "title": "Cancel booking"}}}}}})
	return err
}

// cancel cancels the customer's booking ref (their next trip when ref is
// empty), refunds it and frees the seat.
func (d *Demo) cancel(ctx context.Context, from, ref string) error {
	now := d.o.Now()
	var b Booking
	var ok bool
	if ref == "" {
		b, ok = d.st.latestPaid(from, now)
	} else {
		b, ok = d.st.booking(ref)
		ok = ok && b.WaID == from
	}
	if !ok || b.Status == Cancelled {
		_, err := d.g.send(ctx, d.numberID, from, text("There is no booking to cancel."))
		return err
	}
	if b.Status == Held {
		_, err := d.st.update(b.Ref, func(x *Booking) error { x.Status = Cancelled; return nil })
		if err != nil {
			return err
		}
		if b.OrderWamid != "" { // the order can no longer be paid
			if _, err := d.g.send(ctx, d.numberID, from, orderStatus(b.Ref, "canceled", "Cancelled before payment")); err != nil {
				return fmt.Errorf("order_status: %w", err)
			}
		}
		_, err = d.g.send(ctx, d.numberID, from, text(fmt.Sprintf("Booking %s is cancelled and seat %s released. Nothing was charged.", b.Ref, b.Seat)))
		return err
	}
	if !b.Trip.Departure.After(now) {
		_, err := d.g.send(ctx, d.numberID, from, text(fmt.Sprintf("Booking %s has left already and cannot be cancelled.", b.Ref)))
		return err
	}
	var refund struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := d.g.call(ctx, http.MethodPost, "/"+d.numberID+"/payments_refund", map[string]any{"reference_id": b.Ref,
		"payment_config_id": PaymentConfig, "speed": "normal", "idempotency_key": "cancel-" + b.Ref}, &refund); err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	if refund.Status != "completed" {
		_, err := d.g.send(ctx, d.numberID, from, text(fmt.Sprintf("The refund of booking %s did not go through; the booking stands. Please try again later.", b.Ref)))
		return err
	}
	if _, err := d.st.update(b.Ref, func(x *Booking) error { x.Status = Cancelled; return nil }); err != nil {
		return err
	}
	_, err := d.g.send(ctx, d.numberID, from, text(fmt.Sprintf("Booking %s is cancelled: %s is refunded to you and seat %s is free again.",
		b.Ref, rupees(b.Trip.FareMinor), b.Seat)))
	return err
}

func text(body string) map[string]any {
	return map[string]any{"type": "text", "text": map[string]string{"body": body}}
}

// orderStatus is an order_status message moving order ref to status.
func orderStatus(ref, status, description string) map[string]any {
	return map[string]any{"type": "interactive", "interactive": map[string]any{
		"type": "order_status", "body": map[string]string{"text": description},
		"action": map[string]any{"name": "review_order", "parameters": map[string]any{"reference_id": ref,
			"order": map[string]string{"status": status, "description": description}}}}}
}
