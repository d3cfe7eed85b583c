// Package stripefake is a local fake of the parts of Stripe's API that
// Parley uses, for tests: POST /v1/payment_intents (create and confirm),
// GET /v1/payment_intents/{id} and POST /v1/refunds. It speaks Stripe's
// wire format: form-encoded bodies, Bearer authentication, the
// Idempotency-Key header (a repeated key replays the first answer with
// Idempotent-Replayed: true; a repeated key with other parameters is an
// idempotency_error) and Stripe's error objects.
//
// Stripe's test payment methods choose the outcome: pm_card_chargeDeclined
// (card_declined, generic_decline), pm_card_chargeDeclinedInsufficientFunds
// (card_declined, insufficient_funds), pm_card_authenticationRequired (the
// intent needs the customer's action); any other pm_... succeeds.
package stripefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Server is a running fake.
type Server struct {
	URL string
	Key string // the secret key it accepts

	mu       sync.Mutex
	srv      *httptest.Server
	seq      int
	intents  map[string]*intent
	refunds  map[string]map[string]any
	idem     map[string]replay
	failNext int
	dropNext int
	requests int
}

type intent struct {
	obj      map[string]any
	refunded int64
}

type replay struct {
	path   string
	params string
	status int
	body   []byte
}

// Start starts a fake that accepts key and stops it when the test ends.
func Start(t testing.TB, key string) *Server {
	t.Helper()
	s := &Server{Key: key, intents: map[string]*intent{}, refunds: map[string]map[string]any{}, idem: map[string]replay{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// FailNext makes the next n requests fail with a 500 api_error before
// doing anything, as a flaky Stripe would.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// DropNext makes the next n requests be carried out and then answered by
// closing the connection, as when a response is lost on the network: the
// client cannot know whether it was charged and must retry with the same
// Idempotency-Key.
func (s *Server) DropNext(n int) {
	s.mu.Lock()
	s.dropNext = n
	s.mu.Unlock()
}

// Requests returns how many requests arrived.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Succeeded returns how many PaymentIntents succeeded and their total
// amount (of any currency).
func (s *Server) Succeeded() (n int, amount int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.intents {
		if in.obj["status"] == "succeeded" {
			n++
			amount += in.obj["amount"].(int64)
		}
	}
	return n, amount
}

// Refunded returns the total refunded amount.
func (s *Server) Refunded() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, in := range s.intents {
		n += in.refunded
	}
	return n
}

type apiError struct {
	status int
	typ    string
	code   string
	msg    string
	param  string
	extra  map[string]any
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.failNext > 0 {
		s.failNext--
		writeError(w, apiError{status: 500, typ: "api_error", msg: "An unknown error occurred"})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Key {
		writeError(w, apiError{status: 401, typ: "invalid_request_error", msg: "Invalid API Key provided"})
		return
	}
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/") {
		in, ok := s.intents[strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")]
		if !ok {
			writeError(w, apiError{status: 404, typ: "invalid_request_error", code: "resource_missing", msg: "No such payment_intent"})
			return
		}
		writeJSON(w, 200, in.obj)
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, apiError{status: 404, typ: "invalid_request_error", msg: "Unrecognized request URL"})
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", msg: "Content-Type must be application/x-www-form-urlencoded"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", msg: "Invalid form body"})
		return
	}
	params := r.PostForm.Encode() // sorted by key
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if old, ok := s.idem[key]; ok {
			if old.path != r.URL.Path || old.params != params {
				writeError(w, apiError{status: 400, typ: "idempotency_error",
					msg: "Keys for idempotent requests can only be used with the same parameters they were first used with."})
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(old.status)
			w.Write(old.body)
			return
		}
	}
	rec := httptest.NewRecorder()
	switch r.URL.Path {
	case "/v1/payment_intents":
		s.createIntent(rec, r.PostForm)
	case "/v1/refunds":
		s.createRefund(rec, r.PostForm)
	default:
		writeError(rec, apiError{status: 404, typ: "invalid_request_error", msg: "Unrecognized request URL"})
	}
	if key != "" && rec.Code < 500 {
		s.idem[key] = replay{path: r.URL.Path, params: params, status: rec.Code, body: rec.Body.Bytes()}
	}
	if s.dropNext > 0 {
		s.dropNext--
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s_fake%06d", prefix, s.seq)
}

func (s *Server) createIntent(w http.ResponseWriter, f url.Values) {
	amount, err := strconv.ParseInt(f.Get("amount"), 10, 64)
	if f.Get("amount") == "" {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", code: "parameter_missing", param: "amount", msg: "Missing required param: amount."})
		return
	}
	if err != nil || amount < 1 {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", code: "parameter_invalid_integer", param: "amount", msg: "Invalid integer: " + f.Get("amount")})
		return
	}
	cur := f.Get("currency")
	if len(cur) != 3 || strings.ToLower(cur) != cur {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", code: "parameter_invalid_string", param: "currency", msg: "Invalid currency: " + cur})
		return
	}
	pm := f.Get("payment_method")
	if pm != "" && !strings.HasPrefix(pm, "pm_") {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", code: "resource_missing", param: "payment_method", msg: "No such PaymentMethod: '" + pm + "'"})
		return
	}
	id := s.nextID("pi")
	obj := map[string]any{"id": id, "object": "payment_intent", "amount": amount, "currency": cur, "payment_method": pm,
		"description": f.Get("description"), "status": "requires_payment_method", "metadata": metadata(f)}
	s.intents[id] = &intent{obj: obj}
	if f.Get("confirm") != "true" || pm == "" {
		writeJSON(w, 200, obj)
		return
	}
	switch pm {
	case "pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds":
		decline := "generic_decline"
		if strings.HasSuffix(pm, "InsufficientFunds") {
			decline = "insufficient_funds"
		}
		writeError(w, apiError{status: 402, typ: "card_error", code: "card_declined", msg: "Your card was declined.",
			extra: map[string]any{"decline_code": decline, "payment_intent": obj}})
		return
	case "pm_card_authenticationRequired":
		obj["status"] = "requires_action"
	default:
		obj["status"] = "succeeded"
		obj["amount_received"] = amount
	}
	writeJSON(w, 200, obj)
}

func (s *Server) createRefund(w http.ResponseWriter, f url.Values) {
	in, ok := s.intents[f.Get("payment_intent")]
	if !ok {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", code: "resource_missing", param: "payment_intent", msg: "No such payment_intent: '" + f.Get("payment_intent") + "'"})
		return
	}
	if in.obj["status"] != "succeeded" {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", code: "charge_not_refundable", msg: "This PaymentIntent has no successful charge to refund."})
		return
	}
	total := in.obj["amount"].(int64)
	amount := total - in.refunded
	if a := f.Get("amount"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 1 {
			writeError(w, apiError{status: 400, typ: "invalid_request_error", code: "parameter_invalid_integer", param: "amount", msg: "Invalid integer: " + a})
			return
		}
		amount = n
	}
	if amount > total-in.refunded || amount < 1 {
		writeError(w, apiError{status: 400, typ: "invalid_request_error", code: "amount_too_large", param: "amount", msg: "Refund amount is greater than unrefunded amount on charge."})
		return
	}
	in.refunded += amount
	obj := map[string]any{"id": s.nextID("re"), "object": "refund", "amount": amount, "currency": in.obj["currency"],
		"payment_intent": in.obj["id"], "status": "succeeded", "metadata": metadata(f)}
	s.refunds[obj["id"].(string)] = obj
	writeJSON(w, 200, obj)
}

// metadata collects metadata[k]=v form fields.
func metadata(f url.Values) map[string]string {
	m := map[string]string{}
	for k, v := range f {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") {
			m[k[len("metadata["):len(k)-1]] = v[0]
		}
	}
	return m
}

func writeError(w http.ResponseWriter, e apiError) {
	obj := map[string]any{"type": e.typ, "message": e.msg}
	if e.code != "" {
		obj["code"] = e.code
	}
	if e.param != "" {
		obj["param"] = e.param
	}
	for k, v := range e.extra {
		obj[k] = v
	}
	w.Header().Set("Request-Id", "req_fake")
	writeJSON(w, e.status, map[string]any{"error": obj})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
