package cloudapi_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

func TestBilling(t *testing.T) {
	t.Parallel()
	cfg := withBusinessConfig(business.Config{MarketingCap: 100})
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); testBilling(t, newEnv(t, cfg)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); testBilling(t, newEnv(t, cfg, withPostgres(t))) })
}

type walletJSON struct {
	Currency   string           `json:"currency"`
	Mode       string           `json:"mode"`
	Balance    int64            `json:"balance_micros"`
	Held       int64            `json:"held_micros"`
	Available  *int64           `json:"available_micros"`
	Card       string           `json:"card"`
	BudgetCaps map[string]int64 `json:"budget_caps"`
	Spend      struct {
		Total      int64            `json:"total_micros"`
		ByCategory map[string]int64 `json:"by_category"`
	} `json:"spend"`
}

func (e *env) wallet() walletJSON {
	e.t.Helper()
	code, b := e.cloud("GET", fmt.Sprintf("/%d/billing", e.biz.ID), nil)
	if code != 200 {
		e.t.Fatalf("wallet: %d %s", code, b)
	}
	var w walletJSON
	if err := json.Unmarshal(b, &w); err != nil {
		e.t.Fatal(err)
	}
	return w
}

// sendPriced sends and returns the wamid and the Parley-Price header.
func (e *env) sendPriced(msg map[string]any) (string, string) {
	e.t.Helper()
	msg["messaging_product"] = "whatsapp"
	msg["to"] = e.custPh
	b, _ := json.Marshal(msg)
	req, _ := http.NewRequestWithContext(e.ctx, "POST", fmt.Sprintf("%s/v23.0/%d/messages", e.srv.URL, e.num.ID), strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out sendResponse
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("send: %d %s %v", resp.StatusCode, raw, err)
	}
	strict(e.t, raw, &out)
	return out.Messages[0].ID, resp.Header.Get("Parley-Price")
}

func testBilling(t *testing.T, e *env) {
	e.createTemplate(map[string]any{"name": "promo", "category": "MARKETING", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "New in: {{1}}"}}})
	promo := map[string]any{"type": "template", "template": map[string]any{"name": "promo", "language": map[string]any{"code": "en_US"},
		"components": []any{map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": "boots"}}}}}}
	clone := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	quote := func(msg map[string]any) map[string]any {
		t.Helper()
		msg = clone(msg)
		msg["messaging_product"], msg["to"] = "whatsapp", e.custPh
		code, b := e.cloud("POST", fmt.Sprintf("/%d/message_quotes", e.num.ID), msg)
		var q map[string]any
		if err := json.Unmarshal(b, &q); code != 200 || err != nil {
			t.Fatalf("quote: %d %s", code, b)
		}
		return q
	}
	// The US customer is priced at the default market of per-message-2026-10: marketing 0.05.
	q := quote(promo)
	if q["amount_micros"] != 50000.0 || q["category"] != "marketing" || q["reason"] != "template" || q["allowed"] != true || q["card"] != billing.CardPerMessage26 {
		t.Errorf("dry-run quote: got %v", q)
	}
	// A prepaid wallet with no balance refuses paid sends, with nothing held.
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/billing/businesses/%d", e.biz.ID), map[string]any{"mode": "prepaid"}, nil)
	me := e.sendErr(clone(promo), 400, business.MetaPaymentIssue)
	if !strings.Contains(me.Error.ErrorData.Details, "insufficient balance") {
		t.Errorf("refusal: got %+v", me)
	}
	if q := quote(promo); q["allowed"] != false || q["refusal"].(map[string]any)["code"] != float64(business.MetaPaymentIssue) {
		t.Errorf("dry-run of a refused send: got %v", q)
	}
	// The business may not change its own mode.
	if code, b := e.cloud("PATCH", fmt.Sprintf("/%d/billing", e.biz.ID), map[string]any{"mode": "invoice"}); code != 400 {
		t.Errorf("business sets its mode: got %d %s", code, b)
	}
	// Top-ups: idempotent by key; a declined card is 131042.
	for range 2 {
		code, b := e.cloud("POST", fmt.Sprintf("/%d/billing/top_ups", e.biz.ID), map[string]any{"amount_micros": 120000, "payment_method": "pm_card_visa", "idempotency_key": "k1"})
		if code != 200 {
			t.Fatalf("top up: %d %s", code, b)
		}
	}
	if code, b := e.cloud("POST", fmt.Sprintf("/%d/billing/top_ups", e.biz.ID), map[string]any{"amount_micros": 1000000, "payment_method": "decline", "idempotency_key": "k2"}); code != 400 || !strings.Contains(string(b), "131042") {
		t.Errorf("declined top-up: got %d %s", code, b)
	}
	if code, _ := e.cloud("POST", fmt.Sprintf("/%d/billing/top_ups", e.biz.ID), map[string]any{"amount_micros": 1234, "payment_method": "pm_card_visa", "idempotency_key": "k3"}); code != 400 {
		t.Errorf("top-up of a fraction of a cent: got %d, want 400", code)
	}
	if w := e.wallet(); w.Balance != 120000 || w.Mode != "prepaid" || *w.Available != 120000 {
		t.Fatalf("wallet after top-up: got %+v", w)
	}
	// Amounts in webhooks, a low-balance warning at 0.06, a marketing cap of 0.10.
	code, b := e.cloud("PATCH", fmt.Sprintf("/%d/billing", e.biz.ID), map[string]any{"pricing_amounts": true, "low_balance_micros": 60000,
		"budget_caps": map[string]any{"marketing": 100000}})
	if code != 200 {
		t.Fatalf("billing settings: %d %s", code, b)
	}
	if code, _ := e.cloud("PATCH", fmt.Sprintf("/%d/billing", e.biz.ID), map[string]any{"budget_caps": map[string]any{"promos": 1}}); code != 400 {
		t.Errorf("cap of an unknown category: got %d, want 400", code)
	}

	var charged []int64
	for i := range 2 {
		wamid, price := e.sendPriced(clone(promo))
		if !strings.Contains(price, "micros=50000") || !strings.Contains(price, `category="marketing"`) || !strings.Contains(price, "billable=?1") {
			t.Errorf("Parley-Price of template %d: got %q", i, price)
		}
		e.receive(e.cust, wamid)
		st := e.hooks.status(wamid, "delivered")
		if st.Pricing == nil || st.Pricing.ParleyAmountMicros == nil || *st.Pricing.ParleyAmountMicros != 50000 || *st.Pricing.ParleyAmount != "0.05" ||
			st.Pricing.ParleyCurrency != "USD" || st.Pricing.ParleyReason != "template" {
			t.Errorf("delivered status pricing: got %+v", st.Pricing)
		}
		charged = append(charged, 50000)
	}
	if w := e.wallet(); w.Balance != 20000 || w.Spend.ByCategory["marketing"] != 100000 || w.Held != 0 {
		t.Errorf("wallet after two templates: got %+v", w)
	}
	e.hooks.wait("low balance", func(f string, v hookValue) bool { return f == "account_update" && v.Event == "LOW_BALANCE" })
	// The cap stops the third; without the cap the balance does.
	if me := e.sendErr(clone(promo), 400, business.MetaPaymentIssue); !strings.Contains(me.Error.ErrorData.Details, "budget cap") {
		t.Errorf("cap refusal: got %+v", me)
	}
	e.cloud("PATCH", fmt.Sprintf("/%d/billing", e.biz.ID), map[string]any{"budget_caps": map[string]any{"marketing": nil}})
	if me := e.sendErr(clone(promo), 400, business.MetaPaymentIssue); !strings.Contains(me.Error.ErrorData.Details, "insufficient balance") {
		t.Errorf("balance refusal: got %+v", me)
	}
	// A service reply in the window is charged at the utility rate (Oct 2026 rules).
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Do you have them in red?"})
	e.hooks.message(in)
	// The dry run, the header and both statuses agree: billable, regular.
	reply := map[string]any{"type": "text", "text": map[string]any{"body": "Yes, in red too."}}
	if q := quote(reply); q["amount_micros"] != 8000.0 || q["billable"] != true || q["pricing_type"] != "regular" || q["reason"] != "utility_rate" {
		t.Errorf("dry run of a service reply: got %v", q)
	}
	wamid, price := e.sendPriced(reply)
	if !strings.Contains(price, "micros=8000") || !strings.Contains(price, `reason="utility_rate"`) || !strings.Contains(price, "billable=?1") ||
		!strings.Contains(price, `type="regular"`) {
		t.Errorf("Parley-Price of a service reply: got %q", price)
	}
	e.receive(e.cust, wamid)
	if st := e.hooks.status(wamid, "sent"); st.Pricing == nil || !st.Pricing.Billable || st.Pricing.Type != "regular" || st.Pricing.Category != "service" {
		t.Errorf("service reply sent pricing: got %+v", st.Pricing)
	}
	if st := e.hooks.status(wamid, "delivered"); st.Pricing == nil || st.Pricing.ParleyAmountMicros == nil || *st.Pricing.ParleyAmountMicros != 8000 ||
		!st.Pricing.Billable || st.Pricing.Type != "regular" || st.Pricing.ParleyReason != "utility_rate" {
		t.Errorf("service reply pricing: got %+v", st.Pricing)
	}
	charged = append(charged, 8000)
	var want int64
	for _, c := range charged {
		want += c
	}

	// The invoice: only after the month has ended, once.
	period := billing.PeriodOf(e.clock.Now())
	status, body := e.do("POST", "/admin/v1/billing/invoice_runs", adminToken, map[string]any{"period": period.String()})
	if status != http.StatusConflict {
		t.Errorf("invoicing an open month: got %d %s", status, body)
	}
	e.clock.Advance(period.End().Sub(e.clock.Now()) + time.Hour)
	var run struct {
		Invoices int   `json:"invoices"`
		Total    int64 `json:"total_micros"`
	}
	e.adminDo("POST", "/admin/v1/billing/invoice_runs", map[string]any{"period": period.String()}, &run)
	if run.Invoices != 1 || run.Total != want {
		t.Errorf("invoice run: got %+v, want 1 invoice of %d", run, want)
	}
	if status, body := e.do("POST", "/admin/v1/billing/invoice_runs", adminToken, map[string]any{"period": period.String()}); status != http.StatusConflict ||
		!strings.Contains(string(body), "period_closed") {
		t.Errorf("re-invoicing: got %d %s", status, body)
	}
	code, b = e.cloud("GET", fmt.Sprintf("/%d/invoices", e.biz.ID), nil)
	var invs struct {
		Data []billing.Invoice `json:"data"`
	}
	if err := json.Unmarshal(b, &invs); code != 200 || err != nil || len(invs.Data) != 1 {
		t.Fatalf("invoices: %d %s", code, b)
	}
	inv := invs.Data[0]
	var lines int64
	for _, l := range inv.Lines {
		lines += l.Amount
	}
	if inv.Total != want || lines != want || inv.TotalMinor != billing.RoundMinor(want, "USD") || inv.Period != period {
		t.Errorf("invoice: got %+v, want total %d", inv, want)
	}
	// The invoice equals the rated ledger, CSV export included.
	code, b = e.cloud("GET", fmt.Sprintf("/%d/charges?period=%s&format=csv", e.biz.ID, period), nil)
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if code != 200 || err != nil || len(rows) < 2 {
		t.Fatalf("charges csv: %d %v %s", code, err, b)
	}
	var ledger int64
	for _, r := range rows[1:] {
		v, _ := strconv.ParseInt(r[14], 10, 64)
		ledger += v
	}
	if ledger != want {
		t.Errorf("rated ledger sums to %d, invoice %d", ledger, want)
	}
	// Re-rating the usage ledger from scratch gives the same total.
	var rerated int64
	r := billing.NewRater(billing.BuiltinCatalog(), func(int64) string { return billing.CardPerMessage26 })
	for _, u := range e.usage() {
		c, err := r.Rate(billing.Usage{Key: u.Key, BusinessID: e.biz.ID, Event: billing.Event(u.Event), Category: billing.Category(u.Category),
			Country: u.Country, PricingType: u.PricingType, At: u.At})
		if err != nil {
			t.Fatal(err)
		}
		rerated += c.Amount
	}
	if rerated != want {
		t.Errorf("re-rated ledger: got %d, want %d", rerated, want)
	}
	var audit billing.Audit
	e.adminDo("GET", "/admin/v1/billing/audit?period="+period.String(), nil, &audit)
	if audit.Stored != want || audit.Rerated != want || len(audit.Mismatches) != 0 || audit.Entries < 3 {
		t.Errorf("audit: got %+v, want %d both ways and no mismatch", audit, want)
	}
	for _, f := range []struct{ format, want string }{{"html", "<table>"}, {"pdf", "%PDF"}} {
		code, b := e.cloud("GET", fmt.Sprintf("/%d/invoices/%d?format=%s", e.biz.ID, inv.ID, f.format), nil)
		if code != 200 || !strings.Contains(string(b), f.want) {
			t.Errorf("invoice as %s: got %d %.80q", f.format, code, b)
		}
	}
	// A correction is a credit note: it credits the wallet.
	before := e.wallet().Balance
	e.adminDo("POST", fmt.Sprintf("/admin/v1/billing/invoices/%d/credit_notes", inv.ID), map[string]any{"amount_micros": 8000, "reason": "goodwill"}, nil)
	if w := e.wallet(); w.Balance != before+8000 {
		t.Errorf("credit note: balance %d, want %d", w.Balance, before+8000)
	}
	if status, _ := e.do("POST", fmt.Sprintf("/admin/v1/billing/invoices/%d/credit_notes", inv.ID), adminToken, map[string]any{"amount_micros": want, "reason": "too much"}); status != 400 {
		t.Errorf("credit beyond the total: got %d, want 400", status)
	}
	// The dashboard and the simulator read the same figures.
	var d billing.Dashboard
	e.adminDo("GET", fmt.Sprintf("/admin/v1/billing/dashboard?from=%s&to=%s", period, period), nil, &d)
	if d.ByModel["business_messaging"] != want || d.ByCategory["marketing"] != 100000 || d.ByCategory["utility"] != 8000 ||
		len(d.Top) != 1 || d.Top[0].Name != "Acme Shoes" || len(d.ByPeriod) != 1 {
		t.Errorf("dashboard: got %+v", d)
	}
	var sim billing.Simulation
	e.adminDo("POST", "/admin/v1/billing/simulate", map[string]any{"from": period.String(), "to": period.String(), "model": "per_message_2025_07"}, &sim)
	// Under July 2025 rules the service reply is free: only the templates are charged.
	if sim.Base.Total != want || sim.Alt.Total != 100000 || len(sim.Deltas) != 1 || sim.Deltas[0].Change != -8000 {
		t.Errorf("simulation: got base %d alt %d deltas %+v", sim.Base.Total, sim.Alt.Total, sim.Deltas)
	}
	if !strings.Contains(sim.SVG, "<svg") || len(sim.Report.Models) < 3 {
		t.Errorf("simulation chart and report: got %.60q, %d models", sim.SVG, len(sim.Report.Models))
	}
}

func TestRateCardsAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := billing.PeriodOf(e.clock.Now()) + 1
	bad := fmt.Sprintf("card ops\nversion 1\nregime per_message_2026_10\ncurrency USD\neffective %s\nprice * marketing 0.05\nprice * utility 0.01 upto 100\nprice * utility 0.009 from 50\nprice * authentication 0.01\n", next.Start().Format(time.DateOnly))
	status, b := e.do("POST", "/admin/v1/billing/cards", adminToken, nil)
	if status != 400 {
		t.Errorf("empty card: got %d %s", status, b)
	}
	req := func(text string) (int, map[string]any) {
		r, _ := http.NewRequestWithContext(e.ctx, "POST", e.srv.AdminURL+"/admin/v1/billing/cards", strings.NewReader(text))
		r.Header.Set("Authorization", "Bearer "+adminToken)
		r.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, out := req(bad)
	if status != 400 || !strings.Contains(fmt.Sprint(out), "line 8") {
		t.Errorf("overlapping tiers: got %d %v", status, out)
	}
	past := strings.Replace(strings.Replace(bad, "from 50", "from 100", 1), next.Start().Format(time.DateOnly), "2020-01-01", 1)
	if status, out := req(past); status != 400 || !strings.Contains(fmt.Sprint(out), "in advance") {
		t.Errorf("a card in the past: got %d %v", status, out)
	}
	good := strings.Replace(bad, "from 50", "from 100", 1)
	if status, out := req(good); status != 201 || out["name"] != "ops" {
		t.Errorf("good card: got %d %v", status, out)
	}
	if status, _ := req(good); status != 409 {
		t.Errorf("same version again: got %d, want 409", status)
	}
	var cards struct {
		Cards []billing.RateCardInfo `json:"cards"`
	}
	e.adminDo("GET", "/admin/v1/billing/cards", nil, &cards)
	found := false
	for _, c := range cards.Cards {
		found = found || (c.Name == "ops" && c.Source == "operator")
	}
	if !found || len(cards.Cards) < 5 {
		t.Errorf("cards: got %+v", cards.Cards)
	}
	// The business moves to the card from next month; the card survives a restart.
	var w walletJSON
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/billing/businesses/%d", e.biz.ID), map[string]any{"card": "ops"}, &w)
	if w.Card != billing.CardPerMessage26 {
		t.Errorf("card this month: got %q", w.Card)
	}
	e.restart()
	e.clock.Advance(next.Start().Sub(e.clock.Now()) + time.Hour)
	if w := e.wallet(); w.Card != "ops" {
		t.Errorf("card next month: got %q, want ops", w.Card)
	}
}

// TestBillingRegimes sends under per-message pricing (July 2025 rules)
// and then conversation-based pricing, and checks each quote, charge and
// the invoice that has both.
func TestBillingRegimes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBusinessConfig(business.Config{MarketingCap: 100, Billing: billing.Config{DefaultCard: billing.CardPerMessage25}}))
	e.createTemplate(map[string]any{"name": "promo", "category": "MARKETING", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Sale"}}})
	promo := func() map[string]any {
		return map[string]any{"type": "template", "template": map[string]any{"name": "promo", "language": map[string]any{"code": "en_US"}}}
	}
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hello"})
	e.hooks.message(in)
	steps := []struct {
		name   string
		msg    map[string]any
		micros int64
		reason string
	}{
		{"service reply, July 2025", map[string]any{"type": "text", "text": map[string]any{"body": "hi"}}, 0, "free_customer_service"},
		{"marketing template, July 2025", promo(), 50000, "template"},
		{"switch to CBP", nil, 0, ""},
		{"marketing template opens a conversation", promo(), 50000, "conversation"},
		{"marketing template in the conversation", promo(), 0, "in_conversation"},
	}
	var want int64
	for _, s := range steps {
		if s.msg == nil {
			e.adminDo("PATCH", fmt.Sprintf("/admin/v1/businesses/%d", e.biz.ID), map[string]any{"pricing_model": "CBP"}, nil)
			continue
		}
		wamid, price := e.sendPriced(s.msg)
		if !strings.Contains(price, fmt.Sprintf("micros=%d,", s.micros)) || !strings.Contains(price, fmt.Sprintf("reason=%q", s.reason)) {
			t.Errorf("%s: Parley-Price %q, want %d micros for %s", s.name, price, s.micros, s.reason)
		}
		e.receive(e.cust, wamid)
		e.hooks.status(wamid, "delivered")
		want += s.micros
	}
	period := billing.PeriodOf(e.clock.Now())
	e.clock.Advance(period.End().Sub(e.clock.Now()) + time.Hour)
	e.adminDo("POST", "/admin/v1/billing/invoice_runs", map[string]any{"period": period.String()}, nil)
	var invs struct {
		Data []billing.Invoice `json:"data"`
	}
	e.adminDo("GET", "/admin/v1/billing/invoices?period="+period.String(), nil, &invs)
	if len(invs.Data) != 1 || invs.Data[0].Total != want {
		t.Fatalf("invoice: got %+v, want total %d", invs.Data, want)
	}
	cards := map[string]int64{}
	for _, l := range invs.Data[0].Lines {
		cards[l.Card] += l.Amount
	}
	if cards["per-message-2025-07@1"] != 50000 || cards["conversation-2024@2"] != 50000 {
		t.Errorf("invoice lines by card: got %v", cards)
	}
}
