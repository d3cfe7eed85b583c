package storetest

import (
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
)

// billingTests are the conformance tests of parley.BillingStore.
var billingTests = []struct {
	name string
	fn   func(t *testing.T, s Store)
}{
	{"Wallets", testWallets},
	{"Charges", testCharges},
	{"Invoices", testInvoices},
	{"RateCards", testRateCards},
}

func testWallets(t *testing.T, s Store) {
	ctx := t.Context()
	b := newBusiness(t, s, "wallet")
	if _, err := s.GetBillingAccount(ctx, b.ID); parley.ErrorCode(err) != parley.ENotFound {
		t.Fatalf("no wallet yet: got %v, want not found", err)
	}
	a := billing.Account{BusinessID: b.ID, Mode: billing.WalletPrepaid, Currency: "USD", CreditLimit: 5, LowBalance: 100,
		PricingAmounts: true, BudgetCaps: map[string]int64{"marketing": 1000}}
	ok(t, "put settings", s.PutBillingSettings(ctx, a))
	for i := range 2 {
		added, err := s.AddWalletTx(ctx, &billing.WalletTx{BusinessID: b.ID, Key: "top:1", Kind: "top_up", Amount: 150, Currency: "USD", At: t0})
		ok(t, "top up", err)
		if want := i == 0; added != want {
			t.Errorf("top up %d with the same key: got added %v, want %v", i+1, added, want)
		}
	}
	got, err := s.GetBillingAccount(ctx, b.ID)
	ok(t, "get wallet", err)
	a.Balance = 150
	wantDiff(t, "wallet", got, a)
	ok(t, "low notified", s.SetLowNotified(ctx, b.ID, true))
	// A credit that lifts the balance above the threshold re-arms the warning.
	_, err = s.AddWalletTx(ctx, &billing.WalletTx{BusinessID: b.ID, Key: "adj:1", Kind: "adjustment", Amount: -100, Currency: "USD", Note: "n", At: at(time.Second)})
	ok(t, "adjust", err)
	got, err = s.GetBillingAccount(ctx, b.ID)
	ok(t, "GetBillingAccount", err)
	if got.Balance != 50 || !got.LowNotified {
		t.Errorf("after a debit: got %+v", got)
	}
	_, err = s.AddWalletTx(ctx, &billing.WalletTx{BusinessID: b.ID, Key: "top:2", Kind: "top_up", Amount: 100, Currency: "USD", At: at(2 * time.Second)})
	ok(t, "top up", err)
	got, err = s.GetBillingAccount(ctx, b.ID)
	ok(t, "GetBillingAccount", err)
	if got.Balance != 150 || got.LowNotified {
		t.Errorf("after a top-up over the threshold: got %+v", got)
	}
	ts, err := s.ListWalletTx(ctx, b.ID, 0, 10)
	ok(t, "list wallet tx", err)
	if len(ts) != 3 || ts[0].Key != "top:2" || ts[2].Key != "top:1" {
		t.Errorf("wallet tx newest first: got %+v", ts)
	}
	if err := s.SetLowNotified(ctx, 999999, true); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("low notified of no wallet: got %v", err)
	}
}

func charge(biz int64, key string, cat billing.Category, amount int64, at time.Time) billing.Charge {
	reason := billing.ReasonTemplate
	if amount == 0 {
		reason = billing.ReasonFreeWindow
	}
	return billing.Charge{Key: key, BusinessID: biz, Card: "c", Version: 1, Regime: billing.PerMessage2026, Period: billing.PeriodOf(at),
		Category: cat, Country: "BR", Market: "BR", Tier: 0, TierLabel: "0+", Amount: amount, Currency: "USD", Reason: reason, At: at}
}

func testCharges(t *testing.T, s Store) {
	ctx := t.Context()
	b := newBusiness(t, s, "charges")
	p := billing.PeriodOf(t0)
	cs := []billing.Charge{charge(b.ID, "m1", billing.Marketing, 68800, t0), charge(b.ID, "m2", billing.Marketing, 68800, at(time.Second)),
		charge(b.ID, "s1", billing.Service, 0, at(2*time.Second))}
	ok(t, "commit", s.CommitBusiness(ctx, &business.Batch{Charges: cs}))
	// A charge committed again is neither stored nor debited twice.
	ok(t, "commit again", s.CommitBusiness(ctx, &business.Batch{Charges: cs[:1]}))
	a, err := s.GetBillingAccount(ctx, b.ID)
	ok(t, "wallet", err)
	if a.Balance != -137600 || a.Currency != "USD" || a.Mode != billing.WalletInvoice {
		t.Errorf("wallet after charges: got %+v", a)
	}
	got, err := s.MonthCharges(ctx, b.ID, p)
	ok(t, "month charges", err)
	wantDiff(t, "month charges", got, cs)
	other, err := s.MonthCharges(ctx, b.ID, p+1)
	ok(t, "MonthCharges", err)
	if len(other) != 0 {
		t.Errorf("next month: got %d charges", len(other))
	}
	page, err := s.ListCharges(ctx, 0, p, 0, 2)
	ok(t, "list charges", err)
	if len(page) != 2 || page[0].Key != "m1" || page[1].ID <= page[0].ID {
		t.Fatalf("first page: got %+v", page)
	}
	rest, err := s.ListCharges(ctx, b.ID, p, page[1].ID, 2)
	ok(t, "list charges after", err)
	if len(rest) != 1 || rest[0].Key != "s1" {
		t.Errorf("second page: got %+v", rest)
	}
	tot, err := s.ChargeTotals(ctx, b.ID, p, p)
	ok(t, "totals", err)
	want := []billing.ChargeTotal{
		{BusinessID: b.ID, Period: p, Category: billing.Marketing, Market: "BR", Tier: "0+", Card: "c@1", Reason: billing.ReasonTemplate, Unit: 68800, Units: 2, Amount: 137600, Currency: "USD"},
		{BusinessID: b.ID, Period: p, Category: billing.Service, Market: "BR", Tier: "0+", Card: "c@1", Reason: billing.ReasonFreeWindow, Unit: 0, Units: 1, Amount: 0, Currency: "USD"},
	}
	if len(tot) == 2 && tot[0].Category != billing.Marketing {
		tot[0], tot[1] = tot[1], tot[0]
	}
	wantDiff(t, "totals", tot, want)
}

func testInvoices(t *testing.T, s Store) {
	ctx := t.Context()
	b := newBusiness(t, s, "invoices")
	p := billing.PeriodOf(t0)
	in := &billing.Invoice{BusinessID: b.ID, Period: p, Status: "closed", Currency: "USD", Total: 137600, TotalMinor: 14, IssuedAt: t0,
		Lines: []billing.Line{{Category: billing.Marketing, Market: "BR", Tier: "0+", Card: "c@1", Reason: billing.ReasonTemplate, Units: 2, Unit: 68800, Amount: 137600}}}
	closed, err := s.InvoicePeriodClosed(ctx, p)
	ok(t, "InvoicePeriodClosed", err)
	if closed {
		t.Fatal("period closed before the run")
	}
	ok(t, "close period", s.CloseInvoicePeriod(ctx, p, []*billing.Invoice{in}, t0))
	if err := s.CloseInvoicePeriod(ctx, p, nil, t0); parley.ErrorCode(err) != parley.EConflict {
		t.Errorf("closing twice: got %v, want conflict", err)
	}
	closed, err = s.InvoicePeriodClosed(ctx, p)
	ok(t, "InvoicePeriodClosed", err)
	if !closed {
		t.Error("period not closed after the run")
	}
	n := billing.CreditNote{InvoiceID: in.ID, Amount: 600, Reason: "goodwill", At: at(time.Hour)}
	ok(t, "credit note", s.AddCreditNote(ctx, &n))
	got, err := s.GetInvoice(ctx, in.ID)
	ok(t, "get invoice", err)
	in.Credits, in.Notes = 600, []billing.CreditNote{n}
	wantDiff(t, "invoice", got, *in)
	a, err := s.GetBillingAccount(ctx, b.ID)
	ok(t, "GetBillingAccount", err)
	if a.Balance != 600 {
		t.Errorf("credit note credits the wallet: balance %d, want 600", a.Balance)
	}
	list, err := s.ListInvoices(ctx, b.ID, 0)
	ok(t, "list invoices", err)
	wantDiff(t, "list", list, []billing.Invoice{*in})
	if err := s.AddCreditNote(ctx, &billing.CreditNote{InvoiceID: 999999, Amount: 1, Reason: "x", At: t0}); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("credit note of no invoice: got %v", err)
	}
	if _, err := s.GetInvoice(ctx, 999999); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("no invoice: got %v", err)
	}
}

func testRateCards(t *testing.T, s Store) {
	ctx := t.Context()
	r := billing.RateCardRecord{Name: "ops", Version: 1, Text: "card ops\n", Effective: at(time.Hour), CreatedAt: t0}
	ok(t, "put card", s.PutRateCard(ctx, r))
	if err := s.PutRateCard(ctx, r); parley.ErrorCode(err) != parley.EConflict {
		t.Errorf("same version twice: got %v", err)
	}
	rs, err := s.ListRateCards(ctx)
	ok(t, "list cards", err)
	wantDiff(t, "cards", rs, []billing.RateCardRecord{r})
	b := newBusiness(t, s, "cards")
	a1 := billing.CardAssignment{BusinessID: b.ID, Card: "ops", From: at(time.Hour)}
	a2 := billing.CardAssignment{BusinessID: b.ID, Card: "other", From: at(2 * time.Hour)}
	ok(t, "assign", s.SetBusinessCard(ctx, a2))
	ok(t, "assign", s.SetBusinessCard(ctx, billing.CardAssignment{BusinessID: b.ID, Card: "x", From: a1.From}))
	ok(t, "reassign", s.SetBusinessCard(ctx, a1))
	as, err := s.CardAssignments(ctx)
	ok(t, "assignments", err)
	wantDiff(t, "assignments", as, []billing.CardAssignment{a1, a2})
}
