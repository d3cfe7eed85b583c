package business

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// RefundRequest is a business's refund of an order: AmountMinor of its
// captured payment (0: all that is left), once per Key ("" for no
// idempotency, as on Meta).
type RefundRequest struct {
	ReferenceID string
	Config      string // the payment configuration, when given: it must be the order's
	AmountMinor int64
	Currency    string
	Key         string
}

// Refund refunds all or part of the order's captured payment through the
// operator's payment provider. A refund over what is left (the amount
// paid less the refunds that did not fail) is refused with Meta's 131009
// and writes nothing. The business gets the refund in Meta's payment
// webhook (the transaction's refunds), the person sees it in the thread,
// and the money ledger records it (the operator's fee is kept:
// docs/COMMERCE.md, "Fees").
func (os *Orders) Refund(ctx context.Context, biz Business, n BusinessNumber, in RefundRequest) (Refund, error) {
	b := os.b
	if len(in.Key) > maxIdempotentKey {
		return Refund{}, orderInvalid("idempotency_key is longer than 128 characters")
	}
	o, err := b.st.GetOrder(ctx, biz.ID, in.ReferenceID)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && (o.NumberID != n.ID || (in.Config != "" && in.Config != o.PaymentConfig))) {
		return Refund{}, orderInvalid("no order with reference_id %q on this number", in.ReferenceID)
	} else if err != nil {
		return Refund{}, fmt.Errorf("get order: %w", err)
	}
	if in.Currency != "" && in.Currency != o.Currency {
		return Refund{}, orderInvalid("amount.currency must be the order's, %s", o.Currency)
	}
	ps, err := b.st.Payments(ctx, o.ID)
	if err != nil {
		return Refund{}, fmt.Errorf("payments: %w", err)
	}
	var pay *Payment
	for i := range ps {
		if ps[i].Status == PaymentCaptured {
			pay = &ps[i]
		}
	}
	if pay == nil {
		return Refund{}, orderInvalid("order %q has no captured payment to refund", o.ReferenceID)
	}
	amount := in.AmountMinor
	if amount == 0 {
		amount = pay.AmountMinor - pay.RefundedMinor
	}
	if amount <= 0 {
		return Refund{}, orderInvalid("order %q is refunded in full already", o.ReferenceID)
	}
	now := b.now()
	key := in.Key
	if key == "" {
		key = "auto:" + randomHex(12)
	}
	r := Refund{PaymentID: pay.ID, OrderID: o.ID, Key: key, AmountMinor: amount, Currency: o.Currency, Status: RefundPending, CreatedAt: now, UpdatedAt: now}
	created, err := b.st.BeginRefund(ctx, &r)
	if parley.ErrorCode(err) == parley.ELimit {
		return Refund{}, orderInvalid("a refund of %s %s is more than is left to refund of order %q (%s of %s refunded)", formatMinor(amount), o.Currency,
			o.ReferenceID, formatMinor(pay.RefundedMinor), formatMinor(pay.AmountMinor))
	} else if err != nil {
		return Refund{}, fmt.Errorf("begin refund: %w", err)
	}
	if !created && r.Status != RefundPending {
		return r, nil // the same key again: the same refund
	}
	refunder, ok := b.payments.(money.PaymentRefunder)
	if !ok {
		return Refund{}, parley.Errorf(parley.EUnavailable, "the payment provider cannot refund")
	}
	ref, rerr := refunder.Refund(ctx, "order-refund:"+strconv.FormatInt(r.ID, 10), pay.ProviderRef, money.Money{Minor: r.AmountMinor, Currency: r.Currency})
	switch parley.ErrorCode(rerr) {
	case "":
		r.Status, r.ProviderRef = RefundCompleted, ref
	case parley.EPaymentDeclined, parley.EInvalid:
		r.Status = RefundFailed
	default:
		return Refund{}, rerr // still pending: the same key retries
	}
	r.UpdatedAt = b.now()
	if err := os.settleRefund(ctx, n, o, *pay, r); err != nil {
		return Refund{}, err
	}
	return r, nil
}

// settleRefund records the provider's answer to a refund: the timeline,
// Meta's payment webhook with the refund, the money ledger and a notice
// in the thread. A second answer for the same refund changes nothing.
func (os *Orders) settleRefund(ctx context.Context, n BusinessNumber, o Order, pay Payment, r Refund) error {
	b := os.b
	rs, err := b.st.Refunds(ctx, o.ID)
	if err != nil {
		return fmt.Errorf("refunds: %w", err)
	}
	for i := range rs {
		if rs[i].ID == r.ID {
			rs[i] = r
		}
	}
	v, err := os.paymentStatus(ctx, n, o, pay, rs)
	if err != nil {
		return err
	}
	w := newWebhook(r.UpdatedAt, o.BusinessID, "refund:"+strconv.FormatInt(r.ID, 10)+":"+r.Status, strconv.FormatInt(o.NumberID, 10)+":order:"+o.ReferenceID, "messages", v)
	ev := OrderEvent{OrderID: o.ID, Kind: "refund", Status: r.Status, AmountMinor: r.AmountMinor, At: r.UpdatedAt}
	changed, err := b.st.SettleRefund(ctx, r, ev, []*Webhook{w})
	if err != nil || !changed {
		return err
	}
	b.enqueued()
	if r.Status != RefundCompleted {
		return nil
	}
	if _, err := b.st.AppendLedger(ctx, []*money.LedgerEntry{{Key: "order-refund:" + strconv.FormatInt(r.ID, 10), Kind: "commerce_refund",
		Minor: r.AmountMinor, Currency: r.Currency, Ref: orderRef(o), At: r.UpdatedAt}}); err != nil {
		return fmt.Errorf("append ledger: %w", err)
	}
	os.notice(ctx, n, o, fmt.Sprintf("Refund of %s %s for order %s", formatMinor(r.AmountMinor), r.Currency, o.ReferenceID))
	return nil
}

// Statement is a business's commerce statement over a period: its
// payments and refunds, with the totals and the operator's fees.
type Statement struct {
	Currency      string                     `json:"currency,omitempty"`
	PaidMinor     int64                      `json:"paid_minor"`
	RefundedMinor int64                      `json:"refunded_minor"`
	FeesMinor     int64                      `json:"fees_minor"`
	NetMinor      int64                      `json:"net_minor"`
	Transactions  []*wire.PaymentTransaction `json:"transactions"`
}

// Statement returns the business's payments and refunds created in
// [from, to) in its statement.
func (os *Orders) Statement(ctx context.Context, biz Business, from, to time.Time) (Statement, error) {
	ps, rs, err := os.b.st.BusinessPayments(ctx, biz.ID, from, to)
	if err != nil {
		return Statement{}, fmt.Errorf("business payments: %w", err)
	}
	s := Statement{Transactions: []*wire.PaymentTransaction{}}
	for _, p := range ps {
		s.Currency = p.Currency
		if p.Status == PaymentCaptured {
			s.PaidMinor += p.AmountMinor
			s.FeesMinor += p.FeeMinor
		}
		s.Transactions = append(s.Transactions, transaction(p, rs))
	}
	for _, r := range rs {
		if r.Status == RefundCompleted {
			s.RefundedMinor += r.AmountMinor
		}
	}
	s.NetMinor = s.PaidMinor - s.RefundedMinor - s.FeesMinor
	return s, nil
}
