package cloudapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// TestOrdersPaymentsRefunds: a business sends an order_details message
// (Meta's validation: sums, offset, expiry, a reference id once per
// business), the person receives it as structured content and pays it in
// the chat through the sandbox provider, once per idempotency key; the
// business gets Meta's payment webhook and looks the payment up; it moves
// the order along with order_status messages (Meta's transitions) and
// refunds part, then the rest; a refund over what is left is refused;
// the person reads the whole timeline; an expired order cannot be paid.
func TestOrdersPaymentsRefunds(t *testing.T) {
	t.Parallel()
	cfg := business.Config{Commerce: business.CommerceConfig{FeeBP: 290, FeeFixedMinor: 30}}
	t.Run("sqlite", func(t *testing.T) { testOrdersPaymentsRefunds(t, newEnv(t, withBusinessConfig(cfg))) })
	t.Run("postgres", func(t *testing.T) { testOrdersPaymentsRefunds(t, newEnv(t, withBusinessConfig(cfg), withPostgres(t))) })
}

// orderDetails is an order_details message of two items: 2 × 500 and
// 1 × 1000 (on sale at 800), tax 180, shipping 200, discount 100: 2080.
func (e *env) orderDetails(ref string, edit func(p map[string]any, o map[string]any)) map[string]any {
	amt := func(v int64) map[string]any { return map[string]any{"value": v, "offset": 100} }
	o := map[string]any{"status": "pending",
		"items": []any{
			map[string]any{"retailer_id": "seat-12A", "name": "Seat 12A", "amount": amt(500), "quantity": 2},
			map[string]any{"retailer_id": "meal", "name": "Meal", "amount": amt(1000), "sale_amount": amt(800), "quantity": 1, "country_of_origin": "IN"},
		},
		"subtotal": amt(1800), "tax": amt(180), "shipping": amt(200), "discount": amt(100),
		"expiration": map[string]any{"timestamp": strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10), "description": "Seats are held for an hour"}}
	p := map[string]any{"reference_id": ref, "type": "digital-goods",
		"payment_settings": []any{map[string]any{"type": "payment_gateway", "payment_gateway": map[string]any{"type": "stripe", "configuration_name": "main"}}},
		"currency":         "USD", "total_amount": amt(2080), "order": o}
	if edit != nil {
		edit(p, o)
	}
	return map[string]any{"type": "interactive", "interactive": map[string]any{"type": "order_details",
		"body": map[string]any{"text": "Your tickets"}, "action": map[string]any{"name": "review_and_pay", "parameters": p}}}
}

func (e *env) orderStatus(ref, status string) map[string]any {
	return map[string]any{"type": "interactive", "interactive": map[string]any{"type": "order_status",
		"body": map[string]any{"text": "Update"}, "action": map[string]any{"name": "review_order",
			"parameters": map[string]any{"reference_id": ref, "order": map[string]any{"status": status, "description": "as planned"}}}}}
}

// people calls the people API as the customer.
func (e *env) people(method, path string, body any, wantStatus int, out any) []byte {
	e.t.Helper()
	status, b := e.do(method, path, e.cust.Token(), body)
	if status != wantStatus {
		e.t.Fatalf("%s %s: status %d %s, want %d", method, path, status, b, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("decode %s: %v", b, err)
		}
	}
	return b
}

func (e *env) paymentHook(ref, status string, refunds int) wire.StatusUpdate {
	e.t.Helper()
	v := e.hooks.wait(fmt.Sprintf("payment %s %s with %d refunds", ref, status, refunds), func(f string, v hookValue) bool {
		if f != "messages" || len(v.Statuses) != 1 || v.Statuses[0].Type != "payment" || v.Statuses[0].Payment == nil {
			return false
		}
		s := v.Statuses[0]
		return s.Payment.ReferenceID == ref && s.Status == status && s.Payment.Transaction != nil && len(s.Payment.Transaction.Refunds) == refunds
	})
	return v.Statuses[0]
}

func testOrdersPaymentsRefunds(t *testing.T, e *env) {
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Two seats to Mysore"})
	e.hooks.message(in)

	// Meta's validation, with its codes.
	bad := []struct {
		name string
		edit func(p, o map[string]any)
		code int
	}{
		{"total does not add up", func(p, o map[string]any) { p["total_amount"] = map[string]any{"value": 2000, "offset": 100} }, business.MetaParameterValue},
		{"subtotal is not the items", func(p, o map[string]any) { o["subtotal"] = map[string]any{"value": 2000, "offset": 100} }, business.MetaParameterValue},
		{"offset 1000", func(p, o map[string]any) { o["tax"] = map[string]any{"value": 180, "offset": 1000} }, business.MetaParameterValue},
		{"no currency", func(p, o map[string]any) { delete(p, "currency") }, business.MetaRequiredParameter},
		{"bad currency", func(p, o map[string]any) { p["currency"] = "rupees" }, business.MetaParameterValue},
		{"no reference", func(p, o map[string]any) { delete(p, "reference_id") }, business.MetaRequiredParameter},
		{"bad type", func(p, o map[string]any) { p["type"] = "services" }, business.MetaParameterValue},
		{"expires too soon", func(p, o map[string]any) {
			o["expiration"] = map[string]any{"timestamp": strconv.FormatInt(e.clock.Now().Add(time.Minute).Unix(), 10)}
		}, business.MetaParameterValue},
		{"status not pending", func(p, o map[string]any) { o["status"] = "shipped" }, business.MetaParameterValue},
		{"no payment settings", func(p, o map[string]any) { delete(p, "payment_settings") }, business.MetaParameterValue},
		{"sale above the price", func(p, o map[string]any) {
			o["items"].([]any)[1].(map[string]any)["sale_amount"] = map[string]any{"value": 1200, "offset": 100}
		}, business.MetaParameterValue},
	}
	for _, c := range bad {
		me := e.sendErr(e.orderDetails("bad-1", c.edit), 400, c.code)
		if me.Error.ErrorData.Details == "" {
			t.Errorf("%s: no details in %+v", c.name, me)
		}
	}

	wamid := e.send(e.orderDetails("trip-1", nil))
	e.sendErr(e.orderDetails("trip-1", nil), 400, business.MetaParameterValue) // the reference id is taken
	got := e.receive(e.cust, wamid)
	if got.Interactive == nil || got.Interactive.Type != "order_details" || got.Interactive.Action.Name != "review_and_pay" {
		t.Fatalf("customer got %+v", got)
	}
	p := got.Interactive.Action.Parameters
	if p == nil || p.ReferenceID != "trip-1" || p.TotalAmount == nil || p.TotalAmount.Value != 2080 || p.Order == nil || len(p.Order.Items) != 2 ||
		p.Order.Items[1].SaleAmount.Value != 800 || p.PaymentSettings[0].PaymentGateway.ConfigurationName != "main" {
		t.Fatalf("order parameters: %+v", p)
	}

	// The business looks the payment up before anyone paid: new.
	status, b := e.cloud("GET", fmt.Sprintf("/%d/payments/main/trip-1", e.num.ID), nil)
	var look struct {
		Payments []struct {
			ReferenceID  string                    `json:"reference_id"`
			Status       string                    `json:"status"`
			Amount       wire.Amount               `json:"amount"`
			Currency     string                    `json:"currency"`
			Transactions []wire.PaymentTransaction `json:"transactions"`
		} `json:"payments"`
	}
	strict(t, b, &look)
	if status != 200 || len(look.Payments) != 1 || look.Payments[0].Status != "new" || look.Payments[0].Amount.Value != 2080 {
		t.Fatalf("lookup before paying: %d %s", status, b)
	}
	e.cloudErr("GET", fmt.Sprintf("/%d/payments/other/trip-1", e.num.ID), nil, 400, business.MetaParameterValue, 0)

	// A declined card fails; a new key pays; the same key again is the same payment.
	e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "trip-1", IdempotencyKey: "try-1", PaymentMethod: "decline"}, http.StatusPaymentRequired, nil)
	e.paymentHook("trip-1", "failed", 0)
	var pay wire.OrderPayment
	e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "trip-1", IdempotencyKey: "try-2", PaymentMethod: "card"}, http.StatusOK, &pay)
	if pay.Status != "captured" || pay.AmountMinor != 2080 || pay.Currency != "USD" {
		t.Fatalf("payment: %+v", pay)
	}
	var again wire.OrderPayment
	e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "trip-1", IdempotencyKey: "try-2", PaymentMethod: "card"}, http.StatusOK, &again)
	if again != pay {
		t.Fatalf("same key: got %+v, want %+v", again, pay)
	}
	e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "trip-1", IdempotencyKey: "try-3"}, http.StatusConflict, nil)
	e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "nope", IdempotencyKey: "try-4"}, http.StatusNotFound, nil)
	e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "trip-1"}, http.StatusBadRequest, nil)
	st := e.paymentHook("trip-1", "captured", 0)
	tx := st.Payment.Transaction
	if st.ID != wamid || st.RecipientID != "14155550111" || st.Payment.Amount != (wire.Amount{Value: 2080, Offset: 100}) || st.Payment.Currency != "USD" ||
		tx.Status != "success" || tx.ID != pay.ID || tx.Method == nil || tx.Method.Type != "card" || tx.CreatedTimestamp == 0 {
		t.Fatalf("payment webhook: %+v %+v", st, tx)
	}

	// A second person cannot read or pay the order.
	other, _ := e.login("+14155550122", "Dev")
	if status, _ := e.do("GET", fmt.Sprintf("/v1/chats/%d/orders/trip-1", e.chatID), other.Token(), nil); status != http.StatusNotFound {
		t.Fatalf("another person reads the order: status %d", status)
	}

	// An order's status goes to its customer only.
	toOther := e.orderStatus("trip-1", "processing")
	toOther["to"] = "+14155550122"
	e.sendErr(toOther, 400, business.MetaParameterValue)

	// Order statuses: Meta's transitions.
	e.send(e.orderStatus("trip-1", "processing"))
	e.sendErr(e.orderStatus("trip-1", "pending"), 400, business.MetaParameterValue)
	e.sendErr(e.orderStatus("trip-404", "shipped"), 400, business.MetaParameterValue)
	e.send(e.orderStatus("trip-1", "shipped"))

	// Refunds: part, over what is left (refused), the same key again, the rest.
	refund := func(body map[string]any, want int) map[string]any {
		t.Helper()
		status, b := e.cloud("POST", fmt.Sprintf("/%d/payments_refund", e.num.ID), body)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		if status != want {
			t.Fatalf("refund %v: %d %s, want %d", body, status, b, want)
		}
		return out
	}
	amt := func(v int64) map[string]any { return map[string]any{"value": v, "offset": 100, "currency": "USD"} }
	r1 := refund(map[string]any{"reference_id": "trip-1", "payment_config_id": "main", "speed": "normal", "amount": amt(500), "idempotency_key": "r1"}, 200)
	if r1["status"] != "completed" {
		t.Fatalf("refund: %v", r1)
	}
	r1again := refund(map[string]any{"reference_id": "trip-1", "amount": amt(500), "idempotency_key": "r1"}, 200)
	if r1again["id"] != r1["id"] {
		t.Fatalf("same refund key: %v, want %v", r1again, r1)
	}
	over := refund(map[string]any{"reference_id": "trip-1", "amount": amt(1581), "idempotency_key": "r2"}, 400)
	if code := over["error"].(map[string]any)["code"].(float64); code != business.MetaParameterValue {
		t.Fatalf("refund over the paid amount: %v", over)
	}
	e.paymentHook("trip-1", "captured", 1)
	refund(map[string]any{"reference_id": "trip-1", "idempotency_key": "r3"}, 200) // the rest: 1580
	last := e.paymentHook("trip-1", "captured", 2)
	if rs := last.Payment.Transaction.Refunds; rs[1].Amount.Value != 1580 || rs[1].Status != "completed" {
		t.Fatalf("refunds in the webhook: %+v", rs)
	}
	refund(map[string]any{"reference_id": "trip-1", "amount": amt(1), "idempotency_key": "r4"}, 400)

	// The person's view: paid, refunded, and the timeline.
	var view wire.OrderView
	e.people("GET", fmt.Sprintf("/v1/chats/%d/orders/trip-1", e.chatID), nil, http.StatusOK, &view)
	var steps []string
	for _, ev := range view.Timeline {
		steps = append(steps, ev.Kind+":"+ev.Status)
	}
	want := "[status:pending payment:failed payment:captured status:processing status:shipped refund:completed refund:completed]"
	if fmt.Sprint(steps) != want || view.PaidMinor != 2080 || view.RefundedMinor != 2080 || view.Payable || view.Status != "shipped" ||
		view.Details == nil || view.Details.Order.Expiration == nil {
		t.Fatalf("order view: %+v\nsteps %v, want %s", view, steps, want)
	}
	// The refund reached the thread as an order_status message.
	testutilEventuallyNotice(t, e, "Refund of 15.80 USD for order trip-1")

	// The business's statement: paid, refunded, the operator's fee kept.
	status, b = e.cloud("GET", fmt.Sprintf("/%d/payments_statement", e.biz.ID), nil)
	var stmt business.Statement
	strict(t, b, &stmt)
	fee := int64((2080*290+5000)/10000 + 30)
	if status != 200 || stmt.PaidMinor != 2080 || stmt.RefundedMinor != 2080 || stmt.FeesMinor != fee || stmt.NetMinor != -fee || len(stmt.Transactions) != 2 {
		t.Fatalf("statement: %d %s (fee %d)", status, b, fee)
	}

	// The operator's dashboard: the fee is revenue (kept on refunds), the
	// volume is what was paid less refunds.
	var dash billing.Dashboard
	month := e.clock.Now().UTC().Format("2006-01")
	e.adminDo("GET", "/admin/v1/billing/dashboard?from="+month+"&to="+month, nil, &dash)
	if dash.ByModel[billing.ModelCommerceFees] != fee*10000 || dash.CommerceVolume != 0 {
		t.Fatalf("dashboard: fees %d volume %d, want %d and 0", dash.ByModel[billing.ModelCommerceFees], dash.CommerceVolume, fee*10000)
	}

	// An order that expired cannot be paid.
	e.send(e.orderDetails("trip-2", func(p, o map[string]any) {
		o["expiration"] = map[string]any{"timestamp": strconv.FormatInt(e.clock.Now().Add(330*time.Second).Unix(), 10)}
	}))
	e.clock.Advance(10 * time.Minute)
	e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "trip-2", IdempotencyKey: "late"}, http.StatusGone, nil)
}

// testutilEventuallyNotice waits for a business message in the
// customer's inbox whose text is want.
func testutilEventuallyNotice(t *testing.T, e *env, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		es, err := e.cust.Pending(e.ctx, 0, 200)
		if err != nil {
			t.Fatalf("pending: %v", err)
		}
		for _, en := range es {
			if b, err := client.DecodeBody(en); err == nil && b.Text == want && b.Interactive != nil && b.Interactive.Type == "order_status" {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no notice %q in the thread", want)
}

// lossyPayments is the sandbox with lost answers: the first lose charges
// are taken but answer unavailable, as a provider whose answer never
// reached the server.
type lossyPayments struct {
	*money.SandboxPayments
	lose atomic.Int32
}

func (p *lossyPayments) Charge(ctx context.Context, c money.PaymentCharge) (string, error) {
	ref, err := p.SandboxPayments.Charge(ctx, c)
	if err == nil && p.lose.Add(-1) >= 0 {
		return "", parley.Errorf(parley.EUnavailable, "the provider's answer was lost")
	}
	return ref, err
}

// keyedPayments is lossyPayments that remembers the last charge's key,
// as Stripe keeps it in the PaymentIntent's metadata.
type keyedPayments struct {
	lossyPayments
	mu  sync.Mutex
	key string
}

func (p *keyedPayments) Charge(ctx context.Context, c money.PaymentCharge) (string, error) {
	p.mu.Lock()
	p.key = c.Key
	p.mu.Unlock()
	return p.lossyPayments.Charge(ctx, c)
}

// TestStripeCallbackSettlesOnce: the provider charged but its answer was
// lost; Stripe's signed payment_intent.succeeded callback settles the
// pending payment (one captured webhook), a replay of it settles
// nothing, and a callback with a bad signature is refused.
func TestStripeCallbackSettlesOnce(t *testing.T) {
	t.Parallel()
	const secret = "whsec_parley_test"
	prov := &keyedPayments{lossyPayments: lossyPayments{SandboxPayments: money.NewSandboxPayments()}}
	prov.lose.Store(1)
	e := newEnv(t, func(e *env) {
		e.extra = append(e.extra, servertest.WithOptions(func(o *server.Options) { o.Payments = prov; o.StripeWebhookSecret = secret }))
	})
	e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hi"}))
	e.send(e.orderDetails("cb-1", nil))
	e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "cb-1", IdempotencyKey: "k", PaymentMethod: "card"},
		http.StatusServiceUnavailable, nil)
	prov.mu.Lock()
	key := prov.key
	prov.mu.Unlock()
	event := func(sec string) (int, []byte) {
		body := fmt.Sprintf(`{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_cb","object":"payment_intent","status":"succeeded","metadata":{"parley_key":%q}}}}`, key)
		sp := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: []byte(body), Secret: sec, Timestamp: time.Now()})
		req, _ := http.NewRequestWithContext(e.ctx, "POST", e.srv.URL+"/v1/payments/stripe/events", bytes.NewReader(sp.Payload))
		req.Header.Set("Stripe-Signature", sp.Header)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if status, b := event("whsec_forged"); status != http.StatusBadRequest {
		t.Fatalf("a forged callback: %d %s", status, b)
	}
	if status, b := event(secret); status != http.StatusOK || string(b) != `{"settled":true}`+"\n" {
		t.Fatalf("the callback: %d %q", status, b)
	}
	if status, b := event(secret); status != http.StatusOK || string(b) != `{"settled":false}`+"\n" {
		t.Fatalf("the replayed callback: %d %q", status, b)
	}
	e.paymentHook("cb-1", "captured", 0)
	var view wire.OrderView
	e.people("GET", fmt.Sprintf("/v1/chats/%d/orders/cb-1", e.chatID), nil, http.StatusOK, &view)
	if len(view.Payments) != 1 || view.Payments[0].Status != "captured" || prov.Charges() != 1 {
		t.Fatalf("after the callback: %+v, %d charges", view, prov.Charges())
	}
}

// TestPaymentAnswerLostPaysOnce: the provider charged but its answer was
// lost; the payment stays pending, the person's retry with the same key
// settles it, and the provider holds one charge, the business one
// captured webhook.
func TestPaymentAnswerLostPaysOnce(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			prov := &lossyPayments{SandboxPayments: money.NewSandboxPayments()}
			prov.lose.Store(1)
			opts := []envOption{func(e *env) {
				e.extra = append(e.extra, servertest.WithOptions(func(o *server.Options) { o.Payments = prov }))
			}}
			if name == "postgres" {
				opts = append(opts, withPostgres(t))
			}
			e := newEnv(t, opts...)
			e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hi"}))
			e.send(e.orderDetails("lost-1", nil))
			pay := wire.PayOrder{ChatID: e.chatID, ReferenceID: "lost-1", IdempotencyKey: "k", PaymentMethod: "card"}
			e.people("POST", "/v1/orders/pay", pay, http.StatusServiceUnavailable, nil)
			var view wire.OrderView
			e.people("GET", fmt.Sprintf("/v1/chats/%d/orders/lost-1", e.chatID), nil, http.StatusOK, &view)
			if len(view.Payments) != 1 || view.Payments[0].Status != "pending" || view.Payable {
				t.Fatalf("after a lost answer: %+v", view)
			}
			e.people("POST", "/v1/orders/pay", wire.PayOrder{ChatID: e.chatID, ReferenceID: "lost-1", IdempotencyKey: "other"}, http.StatusConflict, nil)
			var got wire.OrderPayment
			e.people("POST", "/v1/orders/pay", pay, http.StatusOK, &got)
			e.people("POST", "/v1/orders/pay", pay, http.StatusOK, &got)
			if got.Status != "captured" || prov.Charges() != 1 {
				t.Fatalf("retried payment: %+v, provider charges %d; want captured, 1", got, prov.Charges())
			}
			e.paymentHook("lost-1", "captured", 0)
			time.Sleep(200 * time.Millisecond) // room for a second webhook, were there one
			e.hooks.mu.Lock()
			captured := 0
			for _, h := range e.hooks.got {
				if f, v := h.change(); f == "messages" && len(v.Statuses) == 1 && v.Statuses[0].Type == "payment" && v.Statuses[0].Status == "captured" {
					captured++
				}
			}
			e.hooks.mu.Unlock()
			if captured != 1 {
				t.Fatalf("captured webhooks: %d, want 1", captured)
			}
		})
	}
}
