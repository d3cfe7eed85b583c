package cloudapi_test

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/flowcrypto"
)

// TestFlowJourney: a person drives a dynamic Flow they received through
// Parley to the business's endpoint (encrypted both ways, signed with
// the app secret), screen by screen, and finishes it: the business gets
// the nfm_reply webhook with the endpoint's response. Another person
// cannot drive it, a finished Flow cannot be driven again, and the
// endpoint's 427 closes it.
func TestFlowJourney(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testFlowJourney(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testFlowJourney(t, newEnv(t, withPostgres(t))) })
}

// busEndpoint is the bus company's Flow endpoint, as a business writes it
// from Meta's guide with flowcrypto's business side.
func busEndpoint(t *testing.T, secret string, key *rsa.PrivateKey, calls *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
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
			Version, Action, Screen, FlowToken string
			Data                               map[string]any
		}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal(payload, &raw)
		_ = json.Unmarshal(payload, &req)
		_ = json.Unmarshal(raw["flow_token"], &req.FlowToken)
		var answer any
		switch {
		case req.FlowToken == "tok-expired":
			w.WriteHeader(427)
			return
		case req.Version != "3.0":
			w.WriteHeader(400)
			return
		case req.Action == "ping":
			answer = map[string]any{"data": map[string]any{"status": "active"}}
		case req.Action == "INIT":
			answer = map[string]any{"screen": "SEARCH", "data": map[string]any{"cities": []map[string]string{{"id": "blr", "title": "Bangalore"}, {"id": "mys", "title": "Mysore"}}}}
		case req.Action == "BACK":
			answer = map[string]any{"screen": "SEARCH", "data": map[string]any{}}
		case req.Action == "data_exchange" && req.Screen == "SEARCH":
			answer = map[string]any{"screen": "DEPARTURES", "data": map[string]any{"trips": []map[string]string{{"id": "t1", "title": fmt.Sprintf("08:00 %v→%v", req.Data["from"], req.Data["to"])}}}}
		case req.Action == "data_exchange" && req.Screen == "DEPARTURES":
			answer = map[string]any{"screen": "SUCCESS", "data": map[string]any{"extension_message_response": map[string]any{
				"params": map[string]any{"flow_token": req.FlowToken, "trip": req.Data["trip"], "seat": "12A"}}}}
		default:
			w.WriteHeader(400)
			return
		}
		plain, _ := json.Marshal(answer)
		text, _ := sess.EncryptResponse(plain)
		_, _ = w.Write(text)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func testFlowJourney(t *testing.T, e *env) {
	key := e.uploadFlowKey()
	var calls atomic.Int64
	ep := busEndpoint(t, e.biz.AppSecret, key, &calls)
	flowID := e.createFlow(map[string]any{"name": "Bus booking", "categories": []string{"APPOINTMENT_BOOKING"}, "endpoint_uri": ep.URL,
		"flow_json": flowFixture(t, "booking.json"), "publish": true})
	if f := e.getFlow(flowID, "status"); f.Status != "PUBLISHED" {
		t.Fatalf("flow: %+v", f)
	}
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "A seat to Mysore"})
	e.hooks.message(in)
	send := func(token string) string {
		return e.send(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "flow", "body": map[string]any{"text": "Book a seat"},
			"action": map[string]any{"name": "flow", "parameters": map[string]any{"flow_message_version": "3", "flow_token": token,
				"flow_name": "Bus booking", "flow_cta": "Book", "flow_action": "data_exchange"}}}})
	}
	wamid := send("tok-1")
	if got := e.receive(e.cust, wamid); got.Interactive == nil || got.Interactive.Action.Parameters.FlowID != flowID {
		t.Fatalf("the customer's flow message does not name the flow %s: %+v", flowID, got.Interactive)
	}
	// The person's client reads the Flow to render it.
	if of, err := e.cust.OpenFlow(e.ctx, e.chatID, wamid); err != nil || of.FlowID != flowID || !of.Endpoint || of.Completed ||
		!strings.Contains(string(of.FlowJSON), `"DEPARTURES"`) {
		t.Fatalf("open flow: %s %v %v, %v", of.FlowID, of.Endpoint, of.Completed, err)
	}
	step := func(action, screen, data string) (client.FlowAnswer, error) {
		s := client.FlowStep{ChatID: e.chatID, MessageID: wamid, Action: action, Screen: screen}
		if data != "" {
			s.Data = json.RawMessage(data)
		}
		return e.cust.ExchangeFlow(e.ctx, s)
	}
	a, err := step("INIT", "", "")
	if err != nil || a.Screen != "SEARCH" || string(a.Data) != `{"cities":[{"id":"blr","title":"Bangalore"},{"id":"mys","title":"Mysore"}]}` {
		t.Fatalf("INIT: %+v, %v", a, err)
	}
	a, err = step("data_exchange", "SEARCH", `{"from":"blr","to":"mys","date":"2026-12-24"}`)
	if err != nil || a.Screen != "DEPARTURES" || string(a.Data) != `{"trips":[{"id":"t1","title":"08:00 blr→mys"}]}` {
		t.Fatalf("search: %+v, %v", a, err)
	}
	if a, err := step("BACK", "DEPARTURES", ""); err != nil || a.Screen != "SEARCH" {
		t.Fatalf("BACK: %+v, %v", a, err)
	}
	wantCode := func(what string, err error, code parley.Code) {
		t.Helper()
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Code != string(code) {
			t.Fatalf("%s: got %v, want %s", what, err, code)
		}
	}
	_, err = step("jump", "SEARCH", "")
	wantCode("unknown action", err, parley.EInvalid)
	// Another person cannot drive it, nor see that it exists.
	other, _ := e.login("+14155550777", "Other")
	_, err = other.ExchangeFlow(e.ctx, client.FlowStep{ChatID: e.chatID, MessageID: wamid, Action: "INIT"})
	wantCode("another person", err, parley.ENotFound)
	_, err = other.OpenFlow(e.ctx, e.chatID, wamid)
	wantCode("another person opens it", err, parley.ENotFound)

	a, err = step("data_exchange", "DEPARTURES", `{"trip":"t1"}`)
	if err != nil || !a.Completed || a.ResponseJSON != `{"flow_token":"tok-1","seat":"12A","trip":"t1"}` {
		t.Fatalf("last screen: %+v, %v", a, err)
	}
	rid, err := e.cust.CompleteFlow(e.ctx, e.chatID, wamid, json.RawMessage(a.ResponseJSON), "Booked")
	if err != nil {
		t.Fatal(err)
	}
	m := e.hooks.message(business.InboundWamid(e.chatID, rid))
	if m.Interactive == nil || m.Interactive.NfmReply == nil || m.Interactive.NfmReply.ResponseJSON != `{"flow_token":"tok-1","seat":"12A","trip":"t1"}` ||
		m.Context == nil || m.Context.ID != wamid {
		t.Fatalf("nfm_reply webhook: %+v", m)
	}
	_, err = step("INIT", "", "")
	wantCode("a finished flow", err, parley.EConflict)
	_, err = e.cust.FinishFlow(e.ctx, e.chatID, wamid, nil)
	wantCode("finish twice", err, parley.EConflict)
	if of, err := e.cust.OpenFlow(e.ctx, e.chatID, wamid); err != nil || !of.Completed {
		t.Errorf("open a finished flow: %+v, %v", of, err)
	}

	// A template's FLOW button opens a session too: the person drives the
	// Flow from the template message, with the token given at send time.
	twoButtons := map[string]any{"name": "two_flows", "category": "UTILITY", "language": "en_US",
		"components": []map[string]any{{"type": "BODY", "text": "Book again?"}, {"type": "BUTTONS", "buttons": []map[string]any{
			{"type": "FLOW", "text": "Book", "flow_name": "Bus booking", "flow_action": "data_exchange"},
			{"type": "FLOW", "text": "Again", "flow_name": "Bus booking", "flow_action": "data_exchange"}}}}}
	e.cloudErr("POST", fmt.Sprintf("/%d/message_templates", e.biz.ID), twoButtons, 400, 100, 0)
	if _, status := e.createTemplate(map[string]any{"name": "book_again", "category": "UTILITY", "language": "en_US",
		"components": []map[string]any{{"type": "BODY", "text": "Book your next trip"}, {"type": "BUTTONS", "buttons": []map[string]any{
			{"type": "FLOW", "text": "Book", "flow_name": "Bus booking", "flow_action": "data_exchange"}}}}}); status != "APPROVED" {
		t.Fatalf("template with a FLOW button: %s", status)
	}
	sendTemplate := func(action any) string {
		return e.send(map[string]any{"type": "template", "template": map[string]any{"name": "book_again", "language": map[string]any{"code": "en_US"},
			"components": []map[string]any{{"type": "button", "sub_type": "flow", "index": "0", "parameters": []map[string]any{{"type": "action", "action": action}}}}}})
	}
	e.sendErr(map[string]any{"type": "template", "template": map[string]any{"name": "book_again", "language": map[string]any{"code": "en_US"},
		"components": []map[string]any{{"type": "button", "sub_type": "flow", "index": "0", "parameters": []map[string]any{{"type": "action", "action": map[string]any{"flow_action_data": []int{1}}}}}}}}, 400, 100)
	fromTemplate := sendTemplate(map[string]any{"flow_token": "tok-tpl"})
	got := e.receive(e.cust, fromTemplate)
	if got.Template == nil || len(got.Template.Buttons) != 1 || got.Template.Buttons[0].FlowID != flowID ||
		got.Template.Buttons[0].FlowToken != "tok-tpl" || got.Template.Buttons[0].FlowAction != "data_exchange" {
		t.Fatalf("the customer's template does not carry its Flow button: %+v", got.Template)
	}
	a, err = e.cust.ExchangeFlow(e.ctx, client.FlowStep{ChatID: e.chatID, MessageID: fromTemplate, Action: "INIT"})
	if err != nil || a.Screen != "SEARCH" {
		t.Fatalf("INIT from a template's FLOW button: %+v, %v", a, err)
	}
	a, err = e.cust.ExchangeFlow(e.ctx, client.FlowStep{ChatID: e.chatID, MessageID: fromTemplate, Action: "data_exchange", Screen: "DEPARTURES", Data: json.RawMessage(`{"trip":"t2"}`)})
	if err != nil || !a.Completed || a.ResponseJSON != `{"flow_token":"tok-tpl","seat":"12A","trip":"t2"}` {
		t.Fatalf("a template's Flow, last screen: %+v, %v", a, err)
	}
	// Sent without a token, the Flow gets Meta's "unused".
	if b := e.receive(e.cust, sendTemplate(map[string]any{})); b.Template == nil || b.Template.Buttons[0].FlowToken != "unused" {
		t.Fatalf("template without a flow token: %+v", b.Template)
	}

	// The business's 427 closes a Flow whose token it no longer knows.
	expired := send("tok-expired")
	e.receive(e.cust, expired)
	_, err = e.cust.ExchangeFlow(e.ctx, client.FlowStep{ChatID: e.chatID, MessageID: expired, Action: "INIT"})
	wantCode("expired token", err, parley.EConflict)

	// An endpoint that fails: the person is told to try again, and after
	// ten calls the business gets the ENDPOINT_ERROR_RATE alert.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	t.Cleanup(down.Close)
	brokenID := e.createFlow(map[string]any{"name": "Broken", "categories": []string{"OTHER"}, "endpoint_uri": down.URL,
		"flow_json": flowFixture(t, "booking.json"), "publish": true})
	broken := e.send(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "flow", "body": map[string]any{"text": "Book"},
		"action": map[string]any{"name": "flow", "parameters": map[string]any{"flow_message_version": "3", "flow_token": "tok-2",
			"flow_id": brokenID, "flow_cta": "Book", "flow_action": "data_exchange"}}}})
	e.receive(e.cust, broken)
	for range 10 {
		_, err = e.cust.ExchangeFlow(e.ctx, client.FlowStep{ChatID: e.chatID, MessageID: broken, Action: "INIT"})
		wantCode("a failing endpoint", err, parley.EUnavailable)
	}
	v := e.hooks.wait("ENDPOINT_ERROR_RATE of "+brokenID, func(f string, v hookValue) bool {
		return f == "flows" && v.Event == "ENDPOINT_ERROR_RATE" && v.FlowID == brokenID
	})
	if v.AlertState != "ACTIVATED" {
		t.Errorf("error rate alert: %+v", v)
	}
}

// TestFlowHealthMovesStatus: an endpoint that fails throttles its Flow
// (a few sends an hour, then 130429), one that keeps failing for an hour
// blocks it, and once it answers again the probe's pings find it healthy
// and the Flow is PUBLISHED again; each move is a FLOW_STATUS_CHANGE
// webhook.
func TestFlowHealthMovesStatus(t *testing.T) {
	t.Parallel()
	cfg := business.Config{FlowProbeEvery: 20 * time.Millisecond}
	t.Run("sqlite", func(t *testing.T) { testFlowHealthMovesStatus(t, newEnv(t, withBusinessConfig(cfg))) })
	t.Run("postgres", func(t *testing.T) { testFlowHealthMovesStatus(t, newEnv(t, withBusinessConfig(cfg), withPostgres(t))) })
}

func testFlowHealthMovesStatus(t *testing.T, e *env) {
	key := e.uploadFlowKey()
	var calls atomic.Int64
	backend := busEndpoint(t, e.biz.AppSecret, key, &calls)
	var down atomic.Bool
	ep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		httputil.NewSingleHostReverseProxy(mustURL(t, backend.URL)).ServeHTTP(w, r)
	}))
	t.Cleanup(ep.Close)
	id := e.createFlow(map[string]any{"name": "Seats", "categories": []string{"APPOINTMENT_BOOKING"}, "endpoint_uri": ep.URL,
		"flow_json": flowFixture(t, "booking.json"), "publish": true})
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Seats?"})
	e.hooks.message(in)
	flowMsg := map[string]any{"type": "interactive", "interactive": map[string]any{"type": "flow", "body": map[string]any{"text": "Book"},
		"action": map[string]any{"name": "flow", "parameters": map[string]any{"flow_message_version": "3", "flow_token": "t",
			"flow_id": id, "flow_cta": "Book", "flow_action": "data_exchange"}}}}
	first := e.send(flowMsg)
	e.receive(e.cust, first)

	down.Store(true)
	for range 10 {
		_, _ = e.cust.ExchangeFlow(e.ctx, client.FlowStep{ChatID: e.chatID, MessageID: first, Action: "INIT"})
	}
	e.flowStatusHook(id, "PUBLISHED", "THROTTLED")
	for range business.ThrottledFlowSends - 1 {
		e.send(flowMsg)
	}
	e.sendErr(flowMsg, 429, 130429)

	// Still failing an hour later: blocked, and not sendable at all.
	e.clock.Advance(time.Hour + time.Minute)
	_, _ = e.cust.ExchangeFlow(e.ctx, client.FlowStep{ChatID: e.chatID, MessageID: first, Action: "INIT"})
	e.flowStatusHook(id, "THROTTLED", "BLOCKED")
	e.clock.Advance(2 * time.Hour) // past the throttle's hour: the refusal is the block's
	e.sendErr(flowMsg, 400, 131009)

	// The endpoint is fixed: the probe's pings measure it healthy once
	// the failures left the window, and the Flow is published again.
	down.Store(false)
	e.clock.Advance(10 * time.Minute)
	e.flowStatusHook(id, "BLOCKED", "PUBLISHED")
	if f := e.getFlow(id, "status"); f.Status != "PUBLISHED" {
		t.Fatalf("after recovery: %+v", f)
	}
	a, err := e.cust.ExchangeFlow(e.ctx, client.FlowStep{ChatID: e.chatID, MessageID: e.send(flowMsg), Action: "INIT"})
	if err != nil || a.Screen != "SEARCH" {
		t.Fatalf("INIT after recovery: %+v, %v", a, err)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
