package business

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// Payment is one attempt of a person to pay an order, by idempotency
// key. Status is pending until the provider answers, then captured or
// failed. FeeMinor is the operator's fee on a captured payment
// (CommerceConfig); RefundedMinor the sum of its refunds that did not fail.
type Payment struct {
	ID            int64
	OrderID       int64
	Key           string
	Status        string
	Method        string
	AmountMinor   int64
	Currency      string
	ProviderRef   string
	FeeMinor      int64
	Error         string
	RefundedMinor int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Refund is a refund of all or part of a captured payment, by
// idempotency key: pending until the provider answers, then completed or
// failed.
type Refund struct {
	ID          int64
	PaymentID   int64
	OrderID     int64
	Key         string
	AmountMinor int64
	Currency    string
	Status      string
	ProviderRef string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// The statuses of payments and refunds.
const (
	PaymentPending   = "pending"
	PaymentCaptured  = "captured"
	PaymentFailed    = "failed"
	RefundPending    = "pending"
	RefundCompleted  = "completed"
	RefundFailed     = "failed"
	maxIdempotentKey = 128
)

// PaymentStore holds payments and refunds. It is part of OrderStore.
type PaymentStore interface {
	// BeginPayment inserts p as pending and sets p.ID, and returns true;
	// if the order has a payment with p.Key it fills p with it and returns
	// false. EConflict if the order has another payment that did not
	// fail (pending or captured): an order is paid once.
	BeginPayment(ctx context.Context, p *Payment) (bool, error)
	// SettlePayment moves a pending payment to status (captured or
	// failed) with the provider's reference, the fee and the error, and in
	// the same transaction appends ev to the order's timeline and enqueues
	// ws. It returns false, and writes nothing, if the payment was not
	// pending any more: a replayed provider answer settles nothing twice.
	SettlePayment(ctx context.Context, p Payment, ev OrderEvent, ws []*Webhook) (bool, error)
	// GetPayment returns a payment and its order, or ErrNotFound.
	GetPayment(ctx context.Context, id int64) (Payment, Order, error)
	// Payments returns an order's payments, oldest first, with
	// RefundedMinor.
	Payments(ctx context.Context, orderID int64) ([]Payment, error)
	// BeginRefund inserts r as pending and sets r.ID, and returns true;
	// if the payment has a refund with r.Key it fills r with it and
	// returns false. ELimit, and nothing written, if r.AmountMinor and the
	// payment's refunds that did not fail add up to more than it.
	BeginRefund(ctx context.Context, r *Refund) (bool, error)
	// SettleRefund moves a pending refund to r.Status with r.ProviderRef,
	// appends ev and enqueues ws in one transaction; false if it was not
	// pending any more.
	SettleRefund(ctx context.Context, r Refund, ev OrderEvent, ws []*Webhook) (bool, error)
	// Refunds returns an order's refunds, oldest first.
	Refunds(ctx context.Context, orderID int64) ([]Refund, error)
	// BusinessPayments returns the business's payments and refunds
	// created in [from, to), oldest first (its commerce statement).
	BusinessPayments(ctx context.Context, businessID int64, from, to time.Time) ([]Payment, []Refund, error)
}

// CommerceConfig is the operator's fee on payments in the chat: FeeBP
// basis points of each captured payment plus FeeFixedMinor, rounded by
// money.RevenueShare, at most the payment. Refunds do not return it
// (docs/COMMERCE.md, "Fees").
type CommerceConfig struct {
	FeeBP         int
	FeeFixedMinor int64
}

// Fee is the operator's fee on a captured payment of amount minor units.
func (c CommerceConfig) Fee(amount int64) int64 {
	fee := money.RevenueShare(amount, c.FeeBP) + c.FeeFixedMinor
	return max(0, min(fee, amount))
}

// payable reports why the order cannot be paid in the chat now, or nil.
func payable(o Order, now time.Time) error {
	switch {
	case o.PaymentConfig == "":
		return &parley.Error{Code: parley.EConflict, Message: "this order is paid by link, outside the chat", Details: map[string]any{"reason": "payment_link"}}
	case o.Status == OrderCanceled || o.Status == OrderCompleted:
		return &parley.Error{Code: parley.EConflict, Message: "this order is " + o.Status + "; it cannot be paid", Details: map[string]any{"reason": o.Status}}
	case !o.ExpiresAt.IsZero() && !now.Before(o.ExpiresAt):
		return &parley.Error{Code: parley.EOrderExpired, Message: "this order expired; ask the business for a new one"}
	}
	return nil
}

// Order returns the order sent in a chat of the person p, by reference
// id, with its payments, refunds and timeline. ENotFound if the person did
// not receive it.
func (os *Orders) Order(ctx context.Context, p parley.Principal, chatID int64, ref string) (wire.OrderView, error) {
	o, err := os.personOrder(ctx, p, chatID, ref)
	if err != nil {
		return wire.OrderView{}, err
	}
	return os.view(ctx, o)
}

func (os *Orders) personOrder(ctx context.Context, p parley.Principal, chatID int64, ref string) (Order, error) {
	o, err := os.b.st.GetOrderInChat(ctx, chatID, ref)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && o.CustomerID != p.AccountID) {
		return Order{}, &parley.Error{Code: parley.ENotFound, Message: "no such order in this chat", Details: map[string]any{"reference_id": ref}}
	} else if err != nil {
		return Order{}, fmt.Errorf("get order: %w", err)
	}
	return o, nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (os *Orders) view(ctx context.Context, o Order) (wire.OrderView, error) {
	v := wire.OrderView{ReferenceID: o.ReferenceID, MessageID: o.MessageID, Status: o.Status, Currency: o.Currency, TotalMinor: o.TotalMinor,
		Payable: payable(o, os.b.now()) == nil, Payments: []wire.OrderPayment{}, Timeline: []wire.OrderEvent{}}
	if !o.ExpiresAt.IsZero() {
		v.ExpiresAt = rfc3339(o.ExpiresAt)
	}
	var details wire.OrderParameters
	if json.Unmarshal(o.Details, &details) == nil {
		v.Details = &details
	}
	ps, err := os.b.st.Payments(ctx, o.ID)
	if err != nil {
		return v, fmt.Errorf("payments: %w", err)
	}
	for _, p := range ps {
		if p.Status == PaymentCaptured {
			v.PaidMinor += p.AmountMinor
			v.RefundedMinor += p.RefundedMinor
			v.Payable = false
		} else if p.Status == PaymentPending {
			v.Payable = false
		}
		v.Payments = append(v.Payments, wire.OrderPayment{ID: paymentID(p), Status: p.Status, AmountMinor: p.AmountMinor, Currency: p.Currency,
			Method: p.Method, RefundedMinor: p.RefundedMinor, CreatedAt: rfc3339(p.CreatedAt)})
	}
	evs, err := os.b.st.OrderEvents(ctx, o.ID)
	if err != nil {
		return v, fmt.Errorf("order events: %w", err)
	}
	v.Timeline = append(v.Timeline, wire.OrderEvent{Kind: "status", Status: OrderPending, At: rfc3339(o.CreatedAt)})
	for _, e := range evs {
		v.Timeline = append(v.Timeline, wire.OrderEvent{Kind: e.Kind, Status: e.Status, Description: e.Description, AmountMinor: e.AmountMinor, At: rfc3339(e.At)})
	}
	return v, nil
}

func paymentID(p Payment) string { return "pay_" + strconv.FormatInt(p.ID, 10) }
func refundID(r Refund) string   { return "rfnd_" + strconv.FormatInt(r.ID, 10) }

// Pay charges the person p for an order they received in chat chatID,
// through the operator's payment provider, once per idempotency key: a
// retried request returns the same payment (and charges a pending one
// again, which the provider takes once per key). The business gets
// Meta's payment status webhook; the person sees the payment in the
// thread. Errors: ENotFound (no such order for p), EInvalid (key or
// method), EConflict (paid already, canceled, or paid by link),
// EOrderExpired, EPaymentDeclined (the payment failed: it is recorded
// failed, and a new key may try again).
func (os *Orders) Pay(ctx context.Context, p parley.Principal, in wire.PayOrder) (wire.OrderPayment, error) {
	b := os.b
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > maxIdempotentKey {
		return wire.OrderPayment{}, parley.InvalidField("idempotency_key", "idempotency_key is required, at most 128 characters")
	}
	if in.PaymentMethod == "" {
		in.PaymentMethod = "card"
	}
	if len(in.PaymentMethod) > 64 {
		return wire.OrderPayment{}, parley.InvalidField("payment_method", "payment_method is at most 64 characters")
	}
	o, err := os.personOrder(ctx, p, in.ChatID, in.ReferenceID)
	if err != nil {
		return wire.OrderPayment{}, err
	}
	now := b.now()
	pay := Payment{OrderID: o.ID, Key: in.IdempotencyKey, Status: PaymentPending, Method: in.PaymentMethod, AmountMinor: o.TotalMinor,
		Currency: o.Currency, CreatedAt: now, UpdatedAt: now}
	// A known key returns its payment whatever the order's state now.
	created, err := b.st.BeginPayment(ctx, &pay)
	if parley.ErrorCode(err) == parley.EConflict {
		return wire.OrderPayment{}, &parley.Error{Code: parley.EConflict, Message: "this order is paid already, or a payment of it is under way", Details: map[string]any{"reason": "paid"}}
	} else if err != nil {
		return wire.OrderPayment{}, fmt.Errorf("begin payment: %w", err)
	}
	if created {
		if err := payable(o, now); err != nil {
			// Nothing was charged: the attempt is recorded failed so the
			// order stays payable by no one (it is expired or final).
			pay.Status, pay.Error, pay.UpdatedAt = PaymentFailed, parley.ErrorMessage(err), now
			if _, serr := b.st.SettlePayment(ctx, pay, OrderEvent{OrderID: o.ID, Kind: "payment", Status: PaymentFailed, Description: pay.Error, At: now}, nil); serr != nil {
				return wire.OrderPayment{}, fmt.Errorf("settle payment: %w", serr)
			}
			return wire.OrderPayment{}, err
		}
	}
	if pay.Status == PaymentPending {
		ref, cerr := b.payments.Charge(ctx, money.PaymentCharge{Key: orderPayKey + strconv.FormatInt(pay.ID, 10), AccountID: p.AccountID,
			Method: pay.Method, Amount: money.Money{Minor: pay.AmountMinor, Currency: pay.Currency}, Description: "order " + o.ReferenceID})
		switch parley.ErrorCode(cerr) {
		case "":
			if _, err := os.ProviderResult(ctx, pay.ID, true, ref, ""); err != nil {
				return wire.OrderPayment{}, err
			}
		case parley.EPaymentDeclined:
			if _, err := os.ProviderResult(ctx, pay.ID, false, "", parley.ErrorMessage(cerr)); err != nil {
				return wire.OrderPayment{}, err
			}
		default:
			return wire.OrderPayment{}, cerr // still pending: the same key retries
		}
		ps, err := b.st.Payments(ctx, o.ID)
		if err != nil {
			return wire.OrderPayment{}, fmt.Errorf("payments: %w", err)
		}
		for _, q := range ps {
			if q.ID == pay.ID {
				pay = q
			}
		}
	}
	out := wire.OrderPayment{ID: paymentID(pay), Status: pay.Status, AmountMinor: pay.AmountMinor, Currency: pay.Currency, Method: pay.Method,
		RefundedMinor: pay.RefundedMinor, CreatedAt: rfc3339(pay.CreatedAt)}
	if pay.Status == PaymentFailed {
		return out, &parley.Error{Code: parley.EPaymentDeclined, Message: "the payment failed: " + pay.Error, Details: map[string]any{"payment_id": out.ID}}
	}
	return out, nil
}

// orderPayKey is the prefix of the charge key of an order's payment
// ("order-pay:{payment id}"); the provider returns it in its callbacks.
const orderPayKey = "order-pay:"

// ProviderCallback settles the order payment that a provider's callback
// names by its charge key: false, nil when the key is not an order
// payment's (premium or a wallet top-up) or the payment is settled
// already (a replayed callback). ENotFound for a payment that does not
// exist.
func (os *Orders) ProviderCallback(ctx context.Context, key string, ok bool, ref, reason string) (bool, error) {
	rest, found := strings.CutPrefix(key, orderPayKey)
	if !found {
		return false, nil
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return false, parley.Errorf(parley.ENotFound, "no such payment")
	}
	return os.ProviderResult(ctx, id, ok, ref, reason)
}

// ProviderResult settles a pending payment with the provider's answer:
// captured (ok, with the provider's reference) or failed (with why). It
// is what the provider's callback calls; a replayed answer settles
// nothing twice and returns false. A capture charges the operator's fee,
// writes the money ledger, sends Meta's payment webhook to the business
// and a payment notice into the chat.
func (os *Orders) ProviderResult(ctx context.Context, paymentID int64, ok bool, ref, reason string) (bool, error) {
	b := os.b
	pay, o, err := os.paymentByID(ctx, paymentID)
	if err != nil {
		return false, err
	}
	if pay.Status != PaymentPending {
		return false, nil
	}
	now := b.now()
	pay.UpdatedAt, pay.ProviderRef = now, ref
	ev := OrderEvent{OrderID: o.ID, Kind: "payment", AmountMinor: pay.AmountMinor, At: now}
	if ok {
		pay.Status, pay.FeeMinor = PaymentCaptured, b.cfg.Commerce.Fee(pay.AmountMinor)
		ev.Status = PaymentCaptured
	} else {
		pay.Status, pay.Error = PaymentFailed, reason
		ev.Status, ev.Description = PaymentFailed, reason
	}
	n, err := b.st.GetNumber(ctx, o.NumberID)
	if err != nil {
		return false, fmt.Errorf("get number: %w", err)
	}
	st, err := os.paymentStatus(ctx, n, o, pay, nil)
	if err != nil {
		return false, err
	}
	w := newWebhook(now, o.BusinessID, "pay:"+strconv.FormatInt(pay.ID, 10)+":"+pay.Status, strconv.FormatInt(o.NumberID, 10)+":order:"+o.ReferenceID, "messages", st)
	changed, err := b.st.SettlePayment(ctx, pay, ev, []*Webhook{w})
	if err != nil || !changed {
		return false, err
	}
	b.enqueued()
	if ok {
		key := "order-pay:" + strconv.FormatInt(pay.ID, 10)
		es := []*money.LedgerEntry{{Key: key + ":payment", Kind: "commerce_payment", Minor: pay.AmountMinor, Currency: pay.Currency, Ref: orderRef(o), At: now}}
		if pay.FeeMinor > 0 {
			es = append(es, &money.LedgerEntry{Key: key + ":fee", Kind: "commerce_fee", Minor: pay.FeeMinor, Currency: pay.Currency, Ref: orderRef(o), At: now})
		}
		if _, err := b.st.AppendLedger(ctx, es); err != nil {
			return true, fmt.Errorf("append ledger: %w", err)
		}
		os.notice(ctx, n, o, fmt.Sprintf("Payment of %s %s received for order %s", formatMinor(pay.AmountMinor), pay.Currency, o.ReferenceID))
	}
	return true, nil
}

// orderRef names an order in the money ledger: the business and its reference id.
func orderRef(o Order) string {
	return "order:" + strconv.FormatInt(o.BusinessID, 10) + ":" + o.ReferenceID
}

func (os *Orders) paymentByID(ctx context.Context, id int64) (Payment, Order, error) {
	p, o, err := os.b.st.GetPayment(ctx, id)
	if err != nil {
		return Payment{}, Order{}, fmt.Errorf("get payment: %w", err)
	}
	return p, o, nil
}

// paymentStatus is Meta's payment status webhook value for a payment
// (and its refunds, when given).
func (os *Orders) paymentStatus(ctx context.Context, n BusinessNumber, o Order, p Payment, refunds []Refund) (wire.MessagesValue, error) {
	v := messagesValue(n)
	st := wire.StatusUpdate{ID: o.MessageID, Status: p.Status, Timestamp: unixString(p.UpdatedAt), Type: "payment",
		Payment: &wire.PaymentStatus{ReferenceID: o.ReferenceID, Amount: wire.Amount{Value: p.AmountMinor, Offset: 100}, Currency: p.Currency,
			Transaction: transaction(p, refunds)}}
	if a, err := os.b.st.GetAccount(ctx, o.CustomerID); err == nil {
		st.RecipientID = WaID(a.Phone)
	}
	v.Statuses = []wire.StatusUpdate{st}
	return v, nil
}

// transaction is a payment as Meta's transaction object.
func transaction(p Payment, refunds []Refund) *wire.PaymentTransaction {
	status := map[string]string{PaymentPending: "pending", PaymentCaptured: "success", PaymentFailed: "failed"}[p.Status]
	t := &wire.PaymentTransaction{ID: paymentID(p), Type: "parley", Status: status, CreatedTimestamp: p.CreatedAt.Unix(),
		UpdatedTimestamp: p.UpdatedAt.Unix(), Amount: wire.Amount{Value: p.AmountMinor, Offset: 100}, Currency: p.Currency,
		Method: &wire.PaymentMethod{Type: p.Method}}
	if p.Status == PaymentFailed {
		t.Error = &wire.PaymentError{Code: "payment_declined", Reason: p.Error}
	}
	for _, r := range refunds {
		if r.PaymentID != p.ID {
			continue
		}
		t.Refunds = append(t.Refunds, wire.PaymentRefund{ID: refundID(r), Amount: wire.Amount{Value: r.AmountMinor, Offset: 100}, Status: r.Status,
			SpeedProcessed: "normal", CreatedTimestamp: r.CreatedAt.Unix(), UpdatedTimestamp: r.UpdatedAt.Unix()})
	}
	return t
}

// notice sends a line into the order's chat from the business number, as
// an order_status message on the order's current status: the person sees
// payments and refunds in the thread. It is not billed, and a failure is
// logged: the payment itself stands.
func (os *Orders) notice(ctx context.Context, n BusinessNumber, o Order, text string) {
	b := os.b
	ctx = context.WithoutCancel(ctx)
	c := wire.Content{Text: text, Interactive: &wire.Interactive{Type: "order_status", Body: &wire.InteractiveText{Text: text},
		Action: wire.InteractiveAction{Name: "review_order", Parameters: &wire.CTAParameters{OrderParameters: wire.OrderParameters{
			ReferenceID: o.ReferenceID, Order: &wire.OrderDetails{Status: o.Status, Description: text}}}}}}
	body, err := json.Marshal(c)
	if err == nil {
		var chat chatpkg.Chat
		if chat, err = b.svc.DirectChat(ctx, n.AccountID, o.CustomerID); err == nil {
			err = b.sendBody(ctx, cloudPrincipal(n), chat, o.CustomerID, NewWamid(), chatpkg.KindMessage, "", body, nil)
		}
	}
	if err != nil {
		b.log.Warn("order notice not sent", "reference_id", o.ReferenceID, "err", err)
	}
}

// Lookup is Meta's payment lookup: the business's order by payment
// configuration and reference id, with its payment's status (new when
// no one has tried to pay yet) and transactions. Meta's 131009 for an
// unknown pair.
func (os *Orders) Lookup(ctx context.Context, biz Business, n BusinessNumber, config, ref string) (map[string]any, error) {
	o, err := os.b.st.GetOrder(ctx, biz.ID, ref)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && (o.PaymentConfig != config || o.NumberID != n.ID)) {
		return nil, orderInvalid("no order with payment configuration %q and reference_id %q", config, ref)
	} else if err != nil {
		return nil, fmt.Errorf("get order: %w", err)
	}
	ps, err := os.b.st.Payments(ctx, o.ID)
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	rs, err := os.b.st.Refunds(ctx, o.ID)
	if err != nil {
		return nil, fmt.Errorf("refunds: %w", err)
	}
	status := "new"
	txs := []*wire.PaymentTransaction{}
	for _, p := range ps {
		txs = append(txs, transaction(p, rs))
		if status != PaymentCaptured {
			status = p.Status
		}
	}
	return map[string]any{"payments": []map[string]any{{"reference_id": o.ReferenceID, "status": status,
		"amount": wire.Amount{Value: o.TotalMinor, Offset: 100}, "currency": o.Currency, "transactions": txs}}}, nil
}
