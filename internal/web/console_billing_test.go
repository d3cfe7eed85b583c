package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// usd formats micro-units as the consoles do in English: "$1,234.5678",
// 2 to 6 decimals.
func usd(micros int64) string {
	neg := micros < 0
	if neg {
		micros = -micros
	}
	frac := strings.TrimRight(fmt.Sprintf("%06d", micros%1_000_000), "0")
	for len(frac) < 2 {
		frac += "0"
	}
	whole := strconv.FormatInt(micros/1_000_000, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	s := "$" + whole + "." + frac
	if neg {
		s = "-" + s
	}
	return s
}

func TestUSD(t *testing.T) {
	for _, c := range []struct {
		in   int64
		want string
	}{{68800, "$0.0688"}, {50_000_000, "$50.00"}, {-1_500_000, "-$1.50"}, {1_234_567_891, "$1,234.567891"}, {0, "$0.00"}} {
		if got := usd(c.in); got != c.want {
			t.Errorf("usd(%d): got %q, want %q", c.in, got, c.want)
		}
	}
}

// billingView is the part of GET /{v}/{waba}/billing the test reads.
type billingView struct {
	Mode           string           `json:"mode"`
	Currency       string           `json:"currency"`
	Balance        int64            `json:"balance_micros"`
	PricingAmounts bool             `json:"pricing_amounts"`
	LowBalance     int64            `json:"low_balance_micros"`
	BudgetCaps     map[string]int64 `json:"budget_caps"`
	Spend          struct {
		Period     string           `json:"period"`
		Total      int64            `json:"total_micros"`
		ByCategory map[string]int64 `json:"by_category"`
	} `json:"spend"`
}

// seedUsage approves two templates and sends them to people who receive
// them, so that the business has rated marketing and utility spend.
func seedUsage(t *testing.T, e *consoleEnv, people int) (again func()) {
	t.Helper()
	for _, tp := range []struct{ name, category, text string }{
		{"spring_sale", "MARKETING", "Hi {{1}}, 20% off all shoes this week."},
		{"order_update", "UTILITY", "Your order {{1}} has shipped."},
	} {
		var created struct {
			ID string `json:"id"`
		}
		e.call("POST", fmt.Sprintf("/v23.0/%d/message_templates", e.bizID), e.token, map[string]any{"name": tp.name, "language": "en_US",
			"category": tp.category, "components": []map[string]any{{"type": "BODY", "text": tp.text}}}, &created)
		e.call("POST", "/admin/v1/templates/"+created.ID+"/review", consoleAdminToken, map[string]any{"status": "APPROVED"}, nil)
	}
	send := func(to, name, param string) {
		e.call("POST", fmt.Sprintf("/v23.0/%d/messages", e.numID), e.token, map[string]any{"messaging_product": "whatsapp", "to": to,
			"type": "template", "template": map[string]any{"name": name, "language": map[string]any{"code": "en_US"},
				"components": []any{map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": param}}}}}}, nil)
	}
	clients := make([]*client.Client, people)
	for i := range people {
		clients[i] = e.person(fmt.Sprintf("+1415555082%d", i))
	}
	again = func() {
		t.Helper()
		for i, c := range clients {
			sendTo(t, c, i, send)
		}
	}
	again()
	return again
}

// sendTo sends person i a marketing template, and every other one a
// utility template too, and acknowledges them from their phone.
func sendTo(t *testing.T, c *client.Client, i int, send func(to, name, param string)) {
	t.Helper()
	phone := fmt.Sprintf("+1415555082%d", i)
	send(phone, "spring_sale", "Ana")
	if i%2 == 0 {
		send(phone, "order_update", fmt.Sprintf("A-%d", 100+i))
	}
	// The person's phone takes its inbox: the templates are delivered.
	ctx := context.Background()
	es, err := c.Pending(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(es))
	for j, en := range es {
		ids[j] = en.ID
	}
	if err := c.Ack(ctx, ids...); err != nil {
		t.Fatal(err)
	}
}

// waitBilling polls the business's billing until ok accepts it.
func waitBilling(t *testing.T, e *consoleEnv, what string, ok func(billingView) bool) billingView {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var b billingView
		e.call("GET", fmt.Sprintf("/v23.0/%d/billing", e.bizID), e.token, nil, &b)
		if ok(b) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("billing never showed %s: %+v", what, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsoleBilling: a business that sent templates sees its month's
// spend by category in the Billing section, tops up its wallet (a
// declined card first), sets a budget cap, the pricing-amounts switch and
// a low-balance alert, and exports its charges as CSV. The operator sees
// the revenue in the dashboard, is refused a bad rate card with its line
// and uploads a good one, runs the simulator, and, a month later, issues
// the invoices, which the business then downloads.
func TestConsoleBilling(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	clock := &servertest.Clock{}
	e := newConsoleEnv(t, servertest.WithClock(clock))
	again := seedUsage(t, e, 3)
	// Three marketing and two utility templates, each rated at delivery on
	// the built-in per-message-2026-10 card's default market (the people
	// are +1 415: no price of their own): 3 × 0.05 and 2 × 0.008.
	before := waitBilling(t, e, "three marketing and two utility templates", func(b billingView) bool {
		return b.Spend.ByCategory["marketing"] == 150_000 && b.Spend.ByCategory["utility"] == 16_000 && b.Balance == -b.Spend.Total
	})
	t.Logf("seeded spend %s: %s (marketing %s, utility %s)", before.Spend.Period, usd(before.Spend.Total),
		usd(before.Spend.ByCategory["marketing"]), usd(before.Spend.ByCategory["utility"]))

	b := webtest.Start(t)
	biz := b.NewPage(t)
	signIn(biz, e.srv.URL+"/business/", e.token)
	goTo(biz, "billing")
	biz.WaitText("#bl-spend-total", usd(before.Spend.Total))
	biz.WaitText("tr.spend-marketing", usd(before.Spend.ByCategory["marketing"]))
	biz.WaitText("tr.spend-utility", usd(before.Spend.ByCategory["utility"]))
	biz.WaitVisible("#bl-spend-chart svg rect.bar")
	biz.WaitText("#bl-balance", usd(before.Balance))

	// A declined card: the error shows at the payment method.
	typeInto(biz, "#bl-amount", "25")
	typeInto(biz, "#bl-method", "decline")
	biz.Click("#bl-pay")
	biz.WaitText("#bl-method-err", "declined")
	// A good one: the balance grows by exactly 25.
	typeInto(biz, "#bl-method", "pm_card_visa")
	biz.Click("#bl-pay")
	biz.WaitText("#bl-balance", usd(before.Balance+25_000_000))

	// Budget cap, pricing amounts, low-balance alert.
	goTo(biz, "billing")
	typeInto(biz, "#bl-cap-marketing", "10")
	if !before.PricingAmounts {
		biz.Click("#bl-pricing")
	}
	typeInto(biz, "#bl-lowbalance", "5.5")
	biz.Click("#bl-save")
	after := waitBilling(t, e, "the new settings", func(b billingView) bool { return b.BudgetCaps["marketing"] == 10_000_000 })
	if !after.PricingAmounts || after.LowBalance != 5_500_000 {
		t.Errorf("settings after saving: pricing_amounts %v, low_balance_micros %d; want true, 5500000", after.PricingAmounts, after.LowBalance)
	}
	goTo(biz, "billing")
	biz.WaitText("tr.spend-marketing", "$10.00")
	// Clearing the field removes the cap.
	typeInto(biz, "#bl-cap-marketing", "")
	biz.Click("#bl-save")
	waitBilling(t, e, "no marketing cap", func(b billingView) bool { _, ok := b.BudgetCaps["marketing"]; return !ok })

	// The month's charges as CSV.
	goTo(biz, "billing")
	csv := download(t, e, biz, "#bl-csv", e.token)
	if !strings.Contains(csv, "marketing") || !strings.Contains(csv, "utility") {
		t.Errorf("charges CSV has no marketing and utility rows:\n%s", csv)
	}

	// The operator's dashboard shows the same money.
	op := b.NewPage(t)
	signIn(op, e.srv.AdminURL+"/admin/", consoleAdminToken)
	goTo(op, "revenue")
	op.WaitText("#rv-total", usd(before.Spend.Total))
	op.WaitVisible("#rv-chart-time svg rect.bar")
	op.WaitText("#rv-chart-category", "marketing")
	op.WaitText(fmt.Sprintf("tr.top-%d", e.bizID), usd(before.Spend.Total))

	// A rate card with an error on line 6 is refused, naming the line.
	good := "card acme-2027\nversion 1\nregime per_message_2026_10\ncurrency USD\neffective 2027-01-01\n" +
		"price * marketing 0.06\nprice * utility 0.009\nprice * authentication 0.009\n"
	typeInto(op, "#rv-card-text", strings.Replace(good, "marketing 0.06", "marketing 0.0600001", 1))
	op.Click("#rv-upload")
	op.WaitText("#rv-card-text-err", "line 6")
	typeInto(op, "#rv-card-text", good)
	op.Click("#rv-upload")
	op.WaitText("tr.card-acme-2027-v1", "acme-2027")
	op.Click(`button[aria-label="View acme-2027 v1"]`)
	op.WaitText("#rv-card-view pre", "price * utility 0.009")

	// What if every business were on conversation pricing?
	var sim struct {
		Base struct {
			Total int64 `json:"total_micros"`
		} `json:"base"`
		Alt struct {
			Total int64 `json:"total_micros"`
		} `json:"alt"`
	}
	e.call("POST", "/admin/v1/billing/simulate", consoleAdminToken, map[string]any{"from": before.Spend.Period, "to": before.Spend.Period, "model": "conversation-2024"}, &sim)
	goTo(op, "revenue")
	setMonth(op, "#sim-from", before.Spend.Period)
	setMonth(op, "#sim-to", before.Spend.Period)
	op.Select("#sim-model", "conversation-2024")
	op.Click("#sim-run")
	op.WaitText("#sim-base", usd(sim.Base.Total))
	op.WaitText("#sim-alt", usd(sim.Alt.Total))
	op.WaitText("#sim-change", usd(sim.Alt.Total-sim.Base.Total))
	op.WaitVisible("#sim-chart svg rect.bar")
	op.WaitText(fmt.Sprintf("tr.delta-%d", e.bizID), usd(sim.Base.Total))

	// The month is still open: no invoice run yet.
	setMonth(op, "#rv-run-period", before.Spend.Period)
	op.Click("#rv-run")
	op.WaitJS(`document.querySelector('#rv-run-period-err').textContent !== ''`, "the open-period error")

	// A month later the operator invoices it; the business downloads it.
	clock.Advance(32 * 24 * time.Hour)
	op.Click("#rv-run")
	op.WaitText("#rv-ran", "Invoices issued: 1")
	op.WaitText("#rv-run-result table", usd(before.Spend.Total))

	// The operator puts the business on a credit line of 100.
	goTo(op, "businesses")
	op.Click(`button[aria-label="Manage Acme Shoes"]`)
	op.WaitVisible("#bb-mode")
	op.Select("#bb-mode", "credit")
	typeInto(op, "#bb-credit", "100")
	op.Click("#bb-save")
	var wallet billingView
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.call("GET", fmt.Sprintf("/admin/v1/billing/businesses/%d", e.bizID), consoleAdminToken, nil, &wallet)
		if wallet.Mode == "credit" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if wallet.Mode != "credit" {
		t.Errorf("mode after the operator saved: %q, want credit", wallet.Mode)
	}

	goTo(biz, "overview")
	goTo(biz, "billing")
	biz.WaitText("#bl-mode", "Credit line")
	biz.WaitText("#bl-credit", "$100.00")
	biz.WaitText("#bl-invoices", before.Spend.Period)
	biz.WaitText("#bl-invoices", usd(before.Spend.Total))
	html := download(t, e, biz, `#bl-invoices a[data-format="html"]`, e.token)
	if !strings.Contains(html, "Acme Shoes") {
		t.Errorf("the HTML invoice does not name the business:\n%.400s", html)
	}
	if pdf := download(t, e, biz, `#bl-invoices a[data-format="pdf"]`, e.token); !strings.HasPrefix(pdf, "%PDF-") {
		t.Errorf("the PDF invoice starts %.10q, want %%PDF-", pdf)
	}

	// In French.
	webtest.Eval[bool](biz, `(s => { s.value = 'fr'; s.dispatchEvent(new Event('change')); return true })(document.querySelector('.console-top select'))`)
	goTo(biz, "billing")
	biz.WaitText("#view h1", "Facturation")
	biz.WaitText("#bl-wallet", "Solde")

	if dir := os.Getenv("PARLEY_SCREENSHOTS"); dir != "" {
		// Usage in the new month too, for the pictures.
		again()
		waitBilling(t, e, "spend in the new month", func(b billingView) bool { return b.Spend.ByCategory["utility"] == 16_000 })
		billingScreenshots(t, b, e, dir)
	}
}

// billingScreenshots saves the Billing and Revenue sections at desktop and
// phone sizes.
func billingScreenshots(t *testing.T, b *webtest.Browser, e *consoleEnv, dir string) {
	t.Helper()
	for _, size := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		for _, s := range []struct{ console, token, section, name, scroll string }{
			{"business", e.token, "billing", "business-billing", ""},
			{"admin", consoleAdminToken, "revenue", "admin-revenue", ""},
			{"admin", consoleAdminToken, "revenue", "admin-simulator", "#rv-sim"},
		} {
			p := b.NewPage(t)
			p.Viewport(size.w, size.h, size.mobile)
			signIn(p, e.srv.Endpoint("/"+s.console+"/"), s.token)
			goTo(p, s.section)
			if s.scroll != "" {
				setMonth(p, "#sim-from", time.Now().Format("2006-01"))
				setMonth(p, "#sim-to", time.Now().Format("2006-01"))
				p.Select("#sim-model", "conversation-2024")
				p.Click("#sim-run")
				p.WaitVisible("#sim-chart")
				webtest.Eval[bool](p, fmt.Sprintf(`(document.querySelector(%q).scrollIntoView(), true)`, s.scroll))
			}
			time.Sleep(150 * time.Millisecond)
			p.Screenshot(filepath.Join(dir, fmt.Sprintf("console-%s-%s.png", s.name, size.name)))
		}
	}
}

// download clicks a console's download link and waits until the page holds
// the file (the CSP keeps the page's own scripts, and so the test, from
// reading a blob: URL back); it returns the file as fetched from the same
// path with the token, after checking that the page got as many bytes.
func download(t *testing.T, e *consoleEnv, p *webtest.Page, sel, token string) string {
	t.Helper()
	p.Click(sel)
	p.WaitJS(fmt.Sprintf(`(a => a.href.startsWith('blob:') && a.dataset.bytes > 0)(document.querySelector(%q))`, sel), "the download of "+sel)
	path := webtest.Eval[string](p, fmt.Sprintf(`document.querySelector(%q).dataset.path`, sel))
	n := webtest.Eval[string](p, fmt.Sprintf(`document.querySelector(%q).dataset.bytes`, sel))
	req, _ := http.NewRequest("GET", e.srv.URL+"/v23.0"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strconv.Itoa(len(body)) != n {
		t.Errorf("GET %s: %d, %d bytes; the page saved %s bytes", path, resp.StatusCode, len(body), n)
	}
	return string(body)
}

// setMonth sets an <input type=month> (which takes no typed digits in
// headless Chromium) as a date picker would.
func setMonth(p *webtest.Page, sel, month string) {
	p.WaitVisible(sel)
	webtest.Eval[bool](p, fmt.Sprintf(`(e => { e.value = %q; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return e.value === %q })(document.querySelector(%q))`, month, month, sel))
}
