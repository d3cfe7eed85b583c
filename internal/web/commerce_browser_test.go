package web_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/flowcrypto"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/internal/webhook"
	"github.com/parleyhq/parley/wire"
)

// seatCount is the size of the test's seat map: thousands of seats in one
// CheckboxGroup, which the sheet must draw lazily.
const seatCount = 3000

// busFlowJSON is the bus company's dynamic Flow: a search (two dropdowns
// and a date), a seat map with the passenger's name (its back button asks
// the endpoint, refresh_on_back), and a confirmation with a required
// opt-in and a conditional caption.
const busFlowJSON = `{
  "version": "7.0", "data_api_version": "3.0",
  "routing_model": {"SEARCH": ["SEATS"], "SEATS": ["CONFIRM"]},
  "screens": [
    {"id": "SEARCH", "title": "Find a bus",
     "data": {"cities": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}, "__example__": [{"id": "blr", "title": "Bangalore"}]}},
     "layout": {"type": "SingleColumnLayout", "children": [{"type": "Form", "name": "search", "children": [
       {"type": "TextHeading", "text": "Where to?"},
       {"type": "Dropdown", "name": "from", "label": "From", "data-source": "${data.cities}", "required": true},
       {"type": "Dropdown", "name": "to", "label": "To", "data-source": "${data.cities}", "required": true},
       {"type": "DatePicker", "name": "date", "label": "Date", "required": true},
       {"type": "Footer", "label": "Search", "on-click-action": {"name": "data_exchange", "payload": {"from": "${form.from}", "to": "${form.to}", "date": "${form.date}"}}}
     ]}]}},
    {"id": "SEATS", "title": "Pick your seats", "refresh_on_back": true,
     "data": {"trip": {"type": "string", "__example__": "08:00"},
              "seats": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}, "__example__": [{"id": "S0001", "title": "Seat 1"}]}},
     "layout": {"type": "SingleColumnLayout", "children": [
       {"type": "TextSubheading", "text": "${data.trip}"},
       {"type": "CheckboxGroup", "name": "seats", "label": "Seats", "data-source": "${data.seats}", "required": true, "max-selected-items": 2},
       {"type": "TextInput", "name": "passenger", "label": "Passenger name", "required": true, "min-chars": 2},
       {"type": "Footer", "label": "Continue", "on-click-action": {"name": "data_exchange", "payload": {"seats": "${form.seats}", "passenger": "${form.passenger}"}}}
     ]}},
    {"id": "CONFIRM", "title": "Confirm", "terminal": true, "success": true,
     "data": {"summary": {"type": "string", "__example__": "Seat 12"}},
     "layout": {"type": "SingleColumnLayout", "children": [
       {"type": "TextBody", "text": "${data.summary}"},
       {"type": "OptIn", "name": "terms", "label": "I accept the terms of carriage", "required": true},
       {"type": "If", "condition": "${form.terms}", "then": [{"type": "TextCaption", "text": "Thank you for travelling with us"}]},
       {"type": "Footer", "label": "Book", "on-click-action": {"name": "complete", "payload": {"terms": "${form.terms}", "summary": "${data.summary}"}}}
     ]}}
  ]
}`

// rateFlowJSON is a static Flow (no endpoint): two screens joined by
// navigate, a Switch on a radio group, chips, and a complete whose
// payload reads the first screen's form.
const rateFlowJSON = `{
  "version": "6.0",
  "screens": [
    {"id": "TRIP", "title": "Your trip",
     "layout": {"type": "SingleColumnLayout", "children": [
       {"type": "RadioButtonsGroup", "name": "rating", "label": "How was it?", "required": true,
        "data-source": [{"id": "good", "title": "Good"}, {"id": "bad", "title": "Not good"}]},
       {"type": "Switch", "value": "${form.rating}", "cases": {
         "good": [{"type": "TextBody", "text": "Glad to hear it"}],
         "bad": [{"type": "TextArea", "name": "comment", "label": "What went wrong?", "required": true}]}},
       {"type": "Footer", "label": "Next", "on-click-action": {"name": "navigate", "next": {"type": "screen", "name": "MORE"}, "payload": {}}}
     ]}},
    {"id": "MORE", "title": "One more thing", "terminal": true,
     "layout": {"type": "SingleColumnLayout", "children": [
       {"type": "ChipsSelector", "name": "liked", "label": "What you liked", "data-source": [{"id": "seat", "title": "Seat"}, {"id": "time", "title": "On time"}]},
       {"type": "Footer", "label": "Send", "on-click-action": {"name": "complete", "payload": {
         "rating": "${screen.TRIP.form.rating}", "comment": "${screen.TRIP.form.comment}", "liked": "${form.liked}"}}}
     ]}}
  ]
}`

// busFlowEndpoint is the business's Flow endpoint, written as a business
// writes it with flowcrypto's business side: it checks the signature,
// decrypts, and answers each action. actions records what it was asked.
type busFlowEndpoint struct {
	mu      sync.Mutex
	actions []string
	srv     *httptest.Server
}

func newBusFlowEndpoint(t *testing.T, secret string, key *rsa.PrivateKey) *busFlowEndpoint {
	ep := &busFlowEndpoint{}
	cities := []map[string]string{{"id": "blr", "title": "Bangalore"}, {"id": "mys", "title": "Mysore"}, {"id": "chn", "title": "Chennai"}}
	seats := make([]map[string]any, seatCount)
	for i := range seats {
		seats[i] = map[string]any{"id": fmt.Sprintf("S%04d", i+1), "title": fmt.Sprintf("Seat %d", i+1), "enabled": i%7 != 3}
	}
	ep.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if !hmac.Equal([]byte(r.Header.Get("X-Hub-Signature-256")), []byte("sha256="+hex.EncodeToString(m.Sum(nil)))) {
			w.WriteHeader(432)
			return
		}
		payload, sess, err := flowcrypto.DecryptRequest(key, body)
		if err != nil {
			w.WriteHeader(421)
			return
		}
		var req struct {
			Action    string         `json:"action"`
			Screen    string         `json:"screen"`
			FlowToken string         `json:"flow_token"`
			Data      map[string]any `json:"data"`
		}
		_ = json.Unmarshal(payload, &req)
		ep.mu.Lock()
		ep.actions = append(ep.actions, req.Action+" "+req.Screen)
		ep.mu.Unlock()
		var answer any
		switch {
		case req.Action == "ping":
			answer = map[string]any{"data": map[string]any{"status": "active"}}
		case req.Action == "INIT", req.Action == "BACK":
			answer = map[string]any{"screen": "SEARCH", "data": map[string]any{"cities": cities}}
		case req.Action == "data_exchange" && req.Screen == "SEARCH":
			answer = map[string]any{"screen": "SEATS", "data": map[string]any{
				"trip": fmt.Sprintf("%v → %v, %v, 08:00", req.Data["from"], req.Data["to"], req.Data["date"]), "seats": seats}}
		case req.Action == "data_exchange" && req.Screen == "SEATS":
			answer = map[string]any{"screen": "CONFIRM", "data": map[string]any{
				"summary": fmt.Sprintf("%v: seats %v", req.Data["passenger"], req.Data["seats"])}}
		default:
			w.WriteHeader(400)
			return
		}
		plain, _ := json.Marshal(answer)
		out, _ := sess.EncryptResponse(plain)
		_, _ = w.Write(out)
	}))
	t.Cleanup(ep.srv.Close)
	return ep
}

func (ep *busFlowEndpoint) seen() []string {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]string(nil), ep.actions...)
}

// TestFlowAndOrderInChat: a business (the Cloud API over HTTP, its Flow
// endpoint in this process) sends a Flow and an order; the person, in
// Chromium, completes the Flow screen by screen (a validation error, the
// back button that asks the endpoint, a seat map of 3,000 seats drawn
// lazily), checks the summary and sends it: the business gets the
// nfm_reply and the thread shows it. Then the person pays the order (a
// declined card first, told clearly; a new attempt pays), the business
// moves it and refunds part, and the person sees the refund.
func TestFlowAndOrderInChat(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	const adminToken = "web-test-admin"
	clock := &servertest.Clock{}
	srv := startServer(t, servertest.WithClock(clock), servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = adminToken
		o.Business.InboxPoll = 20 * time.Millisecond
		o.Webhooks = webhook.Options{Poll: 20 * time.Millisecond, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: 2 * time.Second}
	}))
	w := newWebBusiness(t, srv, adminToken, "KSR Travels", "TRAVEL", "+14155550190", "KSR Travels", false)
	hk, call, biz, num, tok := w.hk, w.call, w.biz, w.num, w.tok

	// The business's Flows key and endpoint, and its published Flow.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	call("POST", fmt.Sprintf("/v23.0/%d/whatsapp_business_encryption", num.ID), tok.Secret,
		map[string]any{"business_public_key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}, nil)
	ep := newBusFlowEndpoint(t, biz.AppSecret, key)
	var flow struct {
		ID string `json:"id"`
	}
	call("POST", fmt.Sprintf("/v23.0/%d/flows", biz.ID), tok.Secret, map[string]any{"name": "Bus booking", "categories": []string{"APPOINTMENT_BOOKING"},
		"endpoint_uri": ep.srv.URL, "flow_json": busFlowJSON, "publish": true}, &flow)
	var link struct {
		Code string `json:"code"`
	}
	call("POST", fmt.Sprintf("/v23.0/%d/ctwa_links", biz.ID), tok.Secret, map[string]any{"phone_number_id": fmt.Sprint(num.ID), "prefilled_message": "A seat to Mysore, please"}, &link)

	b := webtest.Start(t)
	p := b.NewPage(t)
	const phone = "+14155550491"
	signUp(t, p, srv, phone, "Asha")
	p.Navigate(srv.URL + "/#/c/" + link.Code)
	p.WaitText(".chat-title", "KSR Travels")
	p.WaitJS(`document.querySelector('#composer').value !== ''`, "prefilled text")
	p.Click("#send")
	hk.inbound(t, "with the prefilled text", func(m wire.InboundMessage) bool { return m.Text != nil })

	var sent struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": phone,
		"type": "interactive", "interactive": map[string]any{"type": "flow", "body": map[string]any{"text": "Book your seat in the chat"},
			"action": map[string]any{"name": "flow", "parameters": map[string]any{"flow_message_version": "3", "flow_token": "tok-web",
				"flow_id": flow.ID, "flow_cta": "Book a seat", "flow_action": "data_exchange"}}}}, &sent)
	flowMsg := sent.Messages[0].ID

	// The Flow opens over the chat on its first screen, from the endpoint's INIT.
	p.Click(".interactive .flow")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'SEARCH'`, "the search screen")
	p.WaitText(".flow-sheet h2", "Find a bus")
	p.WaitJS(`document.querySelectorAll('#flow-in-from option').length === 4`, "the cities from the endpoint")

	// Search without filling anything: every required field says so, and
	// nothing is sent.
	p.Click(".flow-go")
	p.WaitText(`.flow-field[data-name=from] .flow-error`, "required")
	p.WaitText(`.flow-field[data-name=date] .flow-error`, "required")
	if got := ep.seen(); len(got) != 1 || got[0] != "INIT " {
		t.Fatalf("endpoint calls after a refused search: %q, want only INIT", got)
	}
	p.Select("#flow-in-from", "blr")
	p.Select("#flow-in-to", "mys")
	p.Select("#flow-in-date", "2026-12-24")
	p.Click(".flow-go")

	// The seat map: 3,000 seats, drawn a page at a time.
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'SEATS'`, "the seat map")
	p.WaitText(".flow-subheading", "blr → mys, 2026-12-24, 08:00")
	drawn := webtest.Eval[int](p, `document.querySelectorAll('.flow-choices .flow-choice').length`)
	ms := webtest.Eval[float64](p, `window.parleyMetrics.flowScreenMs`)
	t.Logf("seat map of %d seats: %d drawn at first, screen built in %.1f ms", seatCount, drawn, ms)
	if drawn == 0 || drawn >= seatCount/10 {
		t.Errorf("the seat map drew %d of %d seats at once, want a first page", drawn, seatCount)
	}
	// The bound is loose: the machine running the tests may be busy; the
	// count above is what keeps the screen light.
	if ms > 1000 {
		t.Errorf("the seat map screen took %.0f ms to build, want under 1 s", ms)
	}
	// Scrolling draws more; the filter finds a seat far down.
	p.WaitJS(`(() => { const l = document.querySelector('.flow-choices'); l.scrollTop = l.scrollHeight; return true })()`, "scroll the seats")
	p.WaitJS(fmt.Sprintf(`document.querySelectorAll('.flow-choices .flow-choice').length > %d`, drawn), "more seats after scrolling")
	p.Type(".flow-filter", "Seat 2999")
	p.WaitJS(`document.querySelectorAll('.flow-choices .flow-choice').length === 1`, "one seat filtered")
	p.Click(`.flow-choice[data-id="S2999"] input`)
	p.Type(".flow-filter", "Seat 12")
	p.Click(`.flow-choice[data-id="S0012"] input`)
	if taken := webtest.Eval[bool](p, `document.querySelector('.flow-choice[data-id="S0123"] input')?.disabled === true`); !taken {
		// Seat 123 is taken (enabled: false) and shows after filtering "Seat 12".
		t.Errorf("a taken seat can be chosen")
	}

	screenshot(t, p, "app-flow-seats-desktop")

	// The back button asks the endpoint (refresh_on_back) and comes back
	// to the search as it was filled.
	p.Click("#flow-back")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'SEARCH'`, "back to the search")
	p.WaitJS(`document.querySelector('#flow-in-from').value === 'blr' && document.querySelector('#flow-in-date').value === '2026-12-24'`, "the search keeps its answers")
	if got := ep.seen(); got[len(got)-1] != "BACK SEATS" {
		t.Errorf("the back button sent %q, want BACK SEATS", got[len(got)-1])
	}
	p.Click(".flow-go")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'SEATS'`, "the seat map again")
	p.Type(".flow-filter", "Seat 2999")
	p.Click(`.flow-choice[data-id="S2999"] input`)
	p.Type(".flow-filter", "Seat 12")
	p.Click(`.flow-choice[data-id="S0012"] input`)
	p.Type(".flow-filter", "Seat 13")
	p.Click(`.flow-choice[data-id="S0013"] input`)
	p.WaitText(`.flow-field[data-name=seats] .flow-error`, "up to 2")

	// The name is required and has a minimum length.
	p.Click(".flow-go")
	p.WaitText(`.flow-field[data-name=passenger] .flow-error`, "required")
	p.Type("#flow-in-passenger", "A")
	p.Click(".flow-go")
	p.WaitText(`.flow-field[data-name=passenger] .flow-error`, "2 characters")
	p.Type("#flow-in-passenger", "Asha Rao")
	p.Click(".flow-go")

	// The confirmation: the opt-in is required; once ticked, the If shows its caption.
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'CONFIRM'`, "the confirmation")
	p.WaitText(".flow-text", "Asha Rao: seats [S2999 S0012]")
	p.Click(".flow-go")
	p.WaitText(`.flow-field[data-name=terms] .flow-error`, "required")
	if webtest.Eval[bool](p, `document.querySelector('.flow-caption') !== null`) {
		t.Errorf("the If caption shows before the opt-in is ticked")
	}
	p.Click("#flow-in-terms")
	p.WaitText(".flow-caption", "Thank you for travelling")
	p.Viewport(390, 844, true)
	screenshot(t, p, "app-flow-phone")
	p.Viewport(1280, 800, false)
	p.Click(".flow-go")

	// The summary lists the answers of every screen; sending it finishes the Flow.
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'SUMMARY'`, "the summary")
	for _, want := range []string{"Bangalore", "Mysore", "Seat 2999, Seat 12", "Asha Rao", "I accept the terms of carriage"} {
		p.WaitText(".flow-summary", want)
	}
	screenshot(t, p, "app-flow-desktop")
	p.Click(".flow-send")
	p.WaitGone(".flow-sheet")
	reply := hk.inbound(t, "with the nfm_reply", func(m wire.InboundMessage) bool {
		return m.Interactive != nil && m.Interactive.NfmReply != nil
	})
	var resp map[string]any
	_ = json.Unmarshal([]byte(reply.Interactive.NfmReply.ResponseJSON), &resp)
	if resp["flow_token"] != "tok-web" || resp["terms"] != true || resp["summary"] != "Asha Rao: seats [S2999 S0012]" || reply.Context == nil || reply.Context.ID != flowMsg {
		t.Errorf("nfm_reply webhook: %+v %s", reply.Context, reply.Interactive.NfmReply.ResponseJSON)
	}
	p.WaitText(".msg.mine .flow-reply", "Book a seat")
	p.WaitJS(`document.querySelector('.interactive .flow').disabled`, "the Flow button is answered")

	// A static Flow (no endpoint) runs in the browser alone: navigate, a
	// Switch that brings in a required field, chips.
	var rate struct {
		ID string `json:"id"`
	}
	call("POST", fmt.Sprintf("/v23.0/%d/flows", biz.ID), tok.Secret, map[string]any{"name": "Rate your trip", "categories": []string{"SURVEY"},
		"flow_json": rateFlowJSON, "publish": true}, &rate)
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": phone,
		"type": "interactive", "interactive": map[string]any{"type": "flow", "body": map[string]any{"text": "How was your last trip?"},
			"action": map[string]any{"name": "flow", "parameters": map[string]any{"flow_message_version": "3", "flow_token": "tok-rate",
				"flow_id": rate.ID, "flow_cta": "Rate", "flow_action": "navigate", "flow_action_payload": map[string]any{"screen": "TRIP"}}}}}, nil)
	calls := len(ep.seen())
	p.Click(".interactive .flow:not([disabled])")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'TRIP'`, "the static Flow's first screen")
	p.Click(".flow-go")
	p.WaitText(`.flow-field[data-name=rating] .flow-error`, "required")
	p.Click(`.flow-choice[data-id=bad] input`)
	p.Click(".flow-go")
	p.WaitText(`.flow-field[data-name=comment] .flow-error`, "required")
	p.Type("#flow-in-comment", "Late by an hour")
	p.Click(".flow-go")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'MORE'`, "the second screen")
	p.Click(`.flow-choice[data-id=time] input`)
	p.Click(".flow-go")
	p.WaitText(".flow-summary", "Late by an hour")
	p.Click(".flow-send")
	p.WaitGone(".flow-sheet")
	rated := hk.inbound(t, "with the static Flow's nfm_reply", func(m wire.InboundMessage) bool {
		return m.Interactive != nil && m.Interactive.NfmReply != nil && strings.Contains(m.Interactive.NfmReply.ResponseJSON, "tok-rate")
	})
	if got, want := rated.Interactive.NfmReply.ResponseJSON, `{"comment":"Late by an hour","flow_token":"tok-rate","liked":["time"],"rating":"bad"}`; got != want {
		t.Errorf("static Flow's response_json: got %s, want %s", got, want)
	}
	if len(ep.seen()) != calls {
		t.Errorf("a static Flow called the endpoint")
	}

	// A template's FLOW button opens its Flow the same way.
	call("POST", fmt.Sprintf("/v23.0/%d/message_templates", biz.ID), tok.Secret, map[string]any{"name": "rate_again", "category": "UTILITY", "language": "en_US",
		"components": []map[string]any{{"type": "BODY", "text": "Rate your return trip"}, {"type": "BUTTONS", "buttons": []map[string]any{
			{"type": "FLOW", "text": "Rate it", "flow_id": rate.ID, "flow_action": "navigate", "navigate_screen": "TRIP"}}}}}, nil)
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": phone,
		"type": "template", "template": map[string]any{"name": "rate_again", "language": map[string]any{"code": "en_US"},
			"components": []map[string]any{{"type": "button", "sub_type": "flow", "index": "0",
				"parameters": []map[string]any{{"type": "action", "action": map[string]any{"flow_token": "tok-tpl"}}}}}}}, nil)
	p.Click(".template .flow:not([disabled])")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'TRIP'`, "the template's Flow's first screen")
	p.Click("#flow-close")
	p.WaitGone(".flow-sheet")

	// The order: review and pay.
	expires := time.Now().Add(time.Hour).Unix()
	amt := func(v int64) map[string]any { return map[string]any{"value": v, "offset": 100} }
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": phone,
		"type": "interactive", "interactive": map[string]any{"type": "order_details", "body": map[string]any{"text": "Your tickets"},
			"action": map[string]any{"name": "review_and_pay", "parameters": map[string]any{
				"reference_id": "trip-web-1", "type": "digital-goods", "currency": "INR", "total_amount": amt(108000),
				"payment_settings": []any{map[string]any{"type": "payment_gateway", "payment_gateway": map[string]any{"type": "stripe", "configuration_name": "main"}}},
				"order": map[string]any{"status": "pending",
					"items": []any{
						map[string]any{"retailer_id": "S2999", "name": "Seat 2999", "amount": amt(50000), "quantity": 1},
						map[string]any{"retailer_id": "S0012", "name": "Seat 12", "amount": amt(50000), "quantity": 1}},
					"subtotal": amt(100000), "tax": amt(5000), "shipping": amt(5000), "discount": amt(2000),
					"expiration": map[string]any{"timestamp": fmt.Sprint(expires), "description": "Seats are held for an hour"}}}}}}, nil)
	card := `.order-card[data-ref="trip-web-1"]`
	p.WaitVisible(card + " .order-pay")
	for _, want := range []string{"Seat 2999", "Seat 12", "1,000.00", "50.00", "20.00", "1,080.00", "Seats are held for an hour"} {
		p.WaitText(card, want)
	}
	p.Click(card + " .order-pay")
	p.WaitVisible("#order-pay-now")
	p.WaitText("#order-pay-now", "1,080.00")
	p.Type("#order-method", "decline")
	p.Click("#order-pay-now")
	p.WaitText(".order-error", "declined")
	p.Type("#order-method", "pm_card_visa")
	p.Click("#order-pay-now")
	p.WaitVisible(".order-done")
	p.Click(".order-sheet .order-done + button")
	p.WaitGone(".order-sheet")
	p.WaitText(card+" .order-paid", "1,080.00")
	p.WaitJS(fmt.Sprintf(`document.querySelector(%q).dataset.status === 'paid'`, card), "the order shows paid")
	p.WaitGone(card + " .order-pay")

	// The business moves the order and refunds part of it: the person
	// sees both in the thread, and the order's timeline.
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": phone,
		"type": "interactive", "interactive": map[string]any{"type": "order_status", "body": map[string]any{"text": "Your tickets are confirmed"},
			"action": map[string]any{"name": "review_order", "parameters": map[string]any{"reference_id": "trip-web-1",
				"order": map[string]any{"status": "processing", "description": "Tickets issued"}}}}}, nil)
	p.WaitText(`.order-status[data-status=processing]`, "Tickets issued")
	call("POST", fmt.Sprintf("/v23.0/%d/payments_refund", num.ID), tok.Secret, map[string]any{"reference_id": "trip-web-1",
		"amount": map[string]any{"value": 50000, "offset": 100, "currency": "INR"}, "idempotency_key": "refund-seat-12"}, nil)
	p.WaitText(".order-status .text", "Refund of")
	p.WaitText(card+" .order-refunded", "500.00")
	p.Click(card + " .order-timeline summary")
	p.WaitText(card+` .order-timeline li[data-kind=refund]`, "500.00")
	p.WaitText(card+` .order-timeline li[data-kind=payment][data-status=failed]`, "declined")
	p.WaitText(card+` .order-timeline li[data-kind=status]`, "Processing")

	// An order that expires while its review is open: paying says so, and
	// the card shows it expired.
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": phone,
		"type": "interactive", "interactive": map[string]any{"type": "order_details", "body": map[string]any{"text": "Your return ticket"},
			"action": map[string]any{"name": "review_and_pay", "parameters": map[string]any{
				"reference_id": "trip-web-2", "type": "digital-goods", "currency": "INR", "total_amount": amt(50000),
				"payment_settings": []any{map[string]any{"type": "payment_gateway", "payment_gateway": map[string]any{"type": "stripe", "configuration_name": "main"}}},
				"order": map[string]any{"status": "pending", "items": []any{map[string]any{"retailer_id": "R0001", "name": "Seat 1 (return)", "amount": amt(50000), "quantity": 1}},
					"subtotal": amt(50000), "tax": amt(0), "expiration": map[string]any{"timestamp": fmt.Sprint(clock.Now().Add(6 * time.Minute).Unix())}}}}}}, nil)
	card2 := `.order-card[data-ref="trip-web-2"]`
	p.Click(card2 + " .order-pay")
	p.WaitVisible("#order-pay-now")
	clock.Advance(7 * time.Minute)
	p.Click("#order-pay-now")
	p.WaitText(".order-error", "expired")
	p.WaitJS(`document.querySelector('#order-pay-now').disabled`, "no second try on an expired order")
	p.Click(".order-sheet .flow-bar .icon-btn:last-child")
	p.WaitGone(".order-sheet")
	p.WaitJS(fmt.Sprintf(`document.querySelector(%q).dataset.status === 'expired'`, card2), "the order shows expired")
	p.WaitGone(card2 + " .order-pay")
	screenshot(t, p, "app-order-desktop")
	p.Viewport(390, 844, true)
	screenshot(t, p, "app-order-phone")
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %s", strings.Join(errs, "\n"))
	}
}
