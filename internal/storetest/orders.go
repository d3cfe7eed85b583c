package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// testOrders: an order's reference id is unique within its business; its
// status moves by compare-and-set with a timeline; an order is paid once
// (one live payment, each key once); a payment settles once; refunds
// never add up to more than was paid, even when two race.
func testOrders(t *testing.T, s Store) {
	ctx := t.Context()
	acme, other := newBusiness(t, s, "Acme"), newBusiness(t, s, "Other")
	o := business.Order{BusinessID: acme.ID, NumberID: 7, ReferenceID: "ref-1", Currency: "USD", TotalMinor: 1000, PaymentConfig: "cfg",
		Status: business.OrderPending, ExpiresAt: at(time.Hour), Details: []byte(`{"reference_id":"ref-1"}`), CreatedAt: t0}
	ok(t, "create order", s.CreateOrder(ctx, &o))
	dup := o
	wantCode(t, "same reference id in the business", s.CreateOrder(ctx, &dup), parley.EConflict)
	elsewhere := o
	elsewhere.BusinessID = other.ID
	ok(t, "same reference id in another business", s.CreateOrder(ctx, &elsewhere))
	ok(t, "link the order to its message", s.CommitBusiness(ctx, &business.Batch{OrderLinks: []business.OrderLink{{OrderID: o.ID, ChatID: 42, CustomerID: 9, MessageID: "wamid.x"}}}))
	got, err := s.GetOrder(ctx, acme.ID, "ref-1")
	ok(t, "get order", err)
	o.ChatID, o.CustomerID, o.MessageID = 42, 9, "wamid.x"
	wantDiff(t, "order", got, o)
	inChat, err := s.GetOrderInChat(ctx, 42, "ref-1")
	ok(t, "get order in chat", err)
	wantDiff(t, "order in chat", inChat, o)
	_, err = s.GetOrderInChat(ctx, 43, "ref-1")
	wantCode(t, "order in another chat", err, parley.ENotFound)

	ok(t, "set status", s.SetOrderStatus(ctx, o.ID, business.OrderPending, business.OrderEvent{Kind: "status", Status: business.OrderProcessing, At: at(time.Second)}))
	wantCode(t, "set status from a stale one", s.SetOrderStatus(ctx, o.ID, business.OrderPending,
		business.OrderEvent{Kind: "status", Status: business.OrderShipped, At: at(time.Second)}), parley.EConflict)
	ok(t, "set a status whose message fails", s.SetOrderStatus(ctx, o.ID, business.OrderProcessing,
		business.OrderEvent{Kind: "status", Status: business.OrderShipped, At: at(2 * time.Second)}))
	ok(t, "undo it", s.UndoOrderStatus(ctx, o.ID, business.OrderProcessing, business.OrderShipped))
	wantCode(t, "undo it twice", s.UndoOrderStatus(ctx, o.ID, business.OrderProcessing, business.OrderShipped), parley.EConflict)
	if got, err := s.GetOrder(ctx, o.BusinessID, o.ReferenceID); err != nil || got.Status != business.OrderProcessing {
		t.Fatalf("after the undo the order is %q (%v), want processing", got.Status, err)
	}
	if evs, err := s.OrderEvents(ctx, o.ID); err != nil || len(evs) != 1 || evs[0].Status != business.OrderProcessing {
		t.Fatalf("after the undo the timeline is %+v (%v), want the one processing entry", evs, err)
	}

	p := business.Payment{OrderID: o.ID, Key: "k1", Status: business.PaymentPending, Method: "card", AmountMinor: 1000, Currency: "USD", CreatedAt: t0, UpdatedAt: t0}
	created, err := s.BeginPayment(ctx, &p)
	ok(t, "begin payment", err)
	if !created || p.ID == 0 {
		t.Fatalf("begin payment: created %v, id %d", created, p.ID)
	}
	again := business.Payment{OrderID: o.ID, Key: "k1", Status: business.PaymentPending, Method: "other", AmountMinor: 1, Currency: "USD", CreatedAt: t0, UpdatedAt: t0}
	created, err = s.BeginPayment(ctx, &again)
	ok(t, "begin payment again", err)
	if created || again.ID != p.ID || again.Method != "card" {
		t.Fatalf("same key: created %v, got %+v, want payment %d", created, again, p.ID)
	}
	second := business.Payment{OrderID: o.ID, Key: "k2", Status: business.PaymentPending, Method: "card", AmountMinor: 1000, Currency: "USD", CreatedAt: t0, UpdatedAt: t0}
	_, err = s.BeginPayment(ctx, &second)
	wantCode(t, "second live payment", err, parley.EConflict)

	p.Status, p.ProviderRef, p.FeeMinor, p.UpdatedAt = business.PaymentCaptured, "prov-1", 30, at(2*time.Second)
	ev := business.OrderEvent{OrderID: o.ID, Kind: "payment", Status: business.PaymentCaptured, AmountMinor: 1000, At: at(2 * time.Second)}
	w := &business.Webhook{BusinessID: acme.ID, Key: "pay-webhook-1", ConvKey: "c", Payload: []byte(`{}`), Status: business.WebhookPending, NextAttemptAt: t0, CreatedAt: t0}
	changed, err := s.SettlePayment(ctx, p, ev, []*business.Webhook{w})
	ok(t, "settle payment", err)
	if !changed || w.ID == 0 {
		t.Fatalf("settle payment: changed %v, webhook id %d", changed, w.ID)
	}
	changed, err = s.SettlePayment(ctx, p, ev, []*business.Webhook{{BusinessID: acme.ID, Key: "pay-webhook-2", ConvKey: "c", Payload: []byte(`{}`),
		Status: business.WebhookPending, NextAttemptAt: t0, CreatedAt: t0}})
	ok(t, "settle payment again", err)
	if changed {
		t.Fatal("a settled payment settled again")
	}
	gp, gotOrder, err := s.GetPayment(ctx, p.ID)
	ok(t, "get payment", err)
	wantDiff(t, "payment", gp, p)
	wantDiff(t, "payment's order", gotOrder.ID, o.ID)

	r1 := business.Refund{PaymentID: p.ID, OrderID: o.ID, Key: "r1", AmountMinor: 400, Currency: "USD", Status: business.RefundPending, CreatedAt: t0, UpdatedAt: t0}
	created, err = s.BeginRefund(ctx, &r1)
	ok(t, "begin refund", err)
	if !created {
		t.Fatal("refund not created")
	}
	r1again := business.Refund{PaymentID: p.ID, OrderID: o.ID, Key: "r1", AmountMinor: 999, Currency: "USD", Status: business.RefundPending, CreatedAt: t0, UpdatedAt: t0}
	created, err = s.BeginRefund(ctx, &r1again)
	ok(t, "begin refund again", err)
	if created || r1again.ID != r1.ID || r1again.AmountMinor != 400 {
		t.Fatalf("same refund key: created %v, got %+v", created, r1again)
	}
	over := business.Refund{PaymentID: p.ID, OrderID: o.ID, Key: "over", AmountMinor: 601, Currency: "USD", Status: business.RefundPending, CreatedAt: t0, UpdatedAt: t0}
	_, err = s.BeginRefund(ctx, &over)
	wantCode(t, "refund over what is left", err, parley.ELimit)
	r1.Status, r1.UpdatedAt = business.RefundCompleted, at(3*time.Second)
	changed, err = s.SettleRefund(ctx, r1, business.OrderEvent{OrderID: o.ID, Kind: "refund", Status: business.RefundCompleted, AmountMinor: 400, At: at(3 * time.Second)}, nil)
	ok(t, "settle refund", err)
	if !changed {
		t.Fatal("refund not settled")
	}
	// Two refunds of 400 race for the 600 left: one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := business.Refund{PaymentID: p.ID, OrderID: o.ID, Key: []string{"a", "b"}[i], AmountMinor: 400, Currency: "USD", Status: business.RefundPending, CreatedAt: t0, UpdatedAt: t0}
			_, errs[i] = s.BeginRefund(ctx, &r)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two racing refunds over the paid amount: errors %v and %v, want exactly one refused", errs[0], errs[1])
	}
	ps, err := s.Payments(ctx, o.ID)
	ok(t, "payments", err)
	if len(ps) != 1 || ps[0].RefundedMinor != 800 {
		t.Fatalf("payments: %+v, want one with 800 refunded", ps)
	}
	rs, err := s.Refunds(ctx, o.ID)
	ok(t, "refunds", err)
	if len(rs) != 2 {
		t.Fatalf("refunds: %d, want 2", len(rs))
	}
	evs, err := s.OrderEvents(ctx, o.ID)
	ok(t, "order events", err)
	kinds := ""
	for _, e := range evs {
		kinds += e.Kind + ":" + e.Status + " "
	}
	wantDiff(t, "timeline", kinds, "status:processing payment:captured refund:completed ")
	bp, br, err := s.BusinessPayments(ctx, acme.ID, t0, at(time.Hour))
	ok(t, "business payments", err)
	if len(bp) != 1 || len(br) != 2 {
		t.Fatalf("business payments: %d payments, %d refunds; want 1 and 2", len(bp), len(br))
	}
	wantCode(t, "delete a paid order", s.DeleteOrder(ctx, o.ID), parley.ENotFound)
	ok(t, "delete an unpaid order", s.DeleteOrder(ctx, elsewhere.ID))
	_, err = s.GetOrder(ctx, other.ID, "ref-1")
	wantCode(t, "deleted order", err, parley.ENotFound)
}
