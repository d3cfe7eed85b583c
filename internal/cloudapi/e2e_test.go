package cloudapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/internal/webhook"
	"github.com/parleyhq/parley/wire"
)

const adminToken = "admin-secret-for-tests"

// receiver is a business's webhook endpoint: it answers the verification
// handshake, checks every POST's signature, and keeps what it received.
type receiver struct {
	t           testing.TB
	srv         *httptest.Server
	verifyToken string
	secret      atomic.Value // string
	failures    atomic.Int32 // answer 500 this many more times
	refuse      atomic.Value // func(body []byte) bool: answer 401 to those bodies
	mu          sync.Mutex
	got         []hookEnv
	raw         [][]byte
}

// hookEnv decodes a webhook envelope with every value shape of interest.
type hookEnv struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string    `json:"field"`
			Value hookValue `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type hookValue struct {
	MessagingProduct string                `json:"messaging_product"`
	Metadata         wire.WebhookMetadata  `json:"metadata"`
	Contacts         []wire.WebhookContact `json:"contacts"`
	Messages         []wire.InboundMessage `json:"messages"`
	Statuses         []wire.StatusUpdate   `json:"statuses"`
	Event            string                `json:"event"`
	TemplateID       json.Number           `json:"message_template_id"`
	TemplateName     string                `json:"message_template_name"`
	TemplateLanguage string                `json:"message_template_language"`
	Reason           string                `json:"reason"`
	OtherInfo        map[string]any        `json:"other_info"`
	PreviousCategory string                `json:"previous_category"`
	NewCategory      string                `json:"new_category"`
	FlowID           string                `json:"flow_id"`
	OldStatus        string                `json:"old_status"`
	NewStatus        string                `json:"new_status"`
	Message          string                `json:"message"`
	AlertState       string                `json:"alert_state"`
}

func (h hookEnv) change() (string, hookValue) {
	if len(h.Entry) != 1 || len(h.Entry[0].Changes) != 1 {
		return "", hookValue{}
	}
	c := h.Entry[0].Changes[0]
	return c.Field, c.Value
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t, verifyToken: "vt-" + t.Name()}
	r.secret.Store("")
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			q := req.URL.Query()
			if q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != r.verifyToken {
				http.Error(w, "bad verify token", http.StatusForbidden)
				return
			}
			io.WriteString(w, q.Get("hub.challenge"))
			return
		}
		body, _ := io.ReadAll(req.Body)
		if !webhook.ValidSignature(r.secret.Load().(string), body, req.Header.Get("X-Hub-Signature-256")) {
			t.Errorf("webhook with a bad signature %q: %s", req.Header.Get("X-Hub-Signature-256"), body)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if f, _ := r.refuse.Load().(func([]byte) bool); f != nil && f(body) {
			http.Error(w, "refused", http.StatusUnauthorized)
			return
		}
		if r.failures.Load() > 0 {
			r.failures.Add(-1)
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		var env hookEnv
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("webhook body is not an envelope: %v: %s", err, body)
		}
		r.mu.Lock()
		r.got = append(r.got, env)
		r.raw = append(r.raw, body)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns the first received webhook that matches, waiting up to 10 s.
func (r *receiver) wait(what string, match func(field string, v hookValue) bool) hookValue {
	r.t.Helper()
	var found hookValue
	if testutil.Within(10*time.Second, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, h := range r.got {
			if f, v := h.change(); match(f, v) {
				found = v
				return true
			}
		}
		return false
	}) {
		return found
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []string
	for _, b := range r.raw {
		all = append(all, string(b))
	}
	r.t.Fatalf("no webhook %s within 10s; got:\n%s", what, strings.Join(all, "\n"))
	return hookValue{}
}

func (r *receiver) message(id string) wire.InboundMessage {
	r.t.Helper()
	v := r.wait("with message "+id, func(f string, v hookValue) bool {
		return f == "messages" && len(v.Messages) == 1 && v.Messages[0].ID == id
	})
	return v.Messages[0]
}

func (r *receiver) status(id, status string) wire.StatusUpdate {
	r.t.Helper()
	v := r.wait("with status "+status+" of "+id, func(f string, v hookValue) bool {
		return f == "messages" && len(v.Statuses) == 1 && v.Statuses[0].ID == id && v.Statuses[0].Status == status
	})
	return v.Statuses[0]
}

// env is a running server with one verified business, one number, a
// token, a webhook receiver and one customer with a direct chat.
type env struct {
	t        testing.TB
	timeout  time.Duration // of the journey, after the server started; a minute unless set
	srv      *servertest.Server
	clock    *servertest.Clock
	hooks    *receiver
	biz      adminapi.Business
	num      adminapi.Number
	token    string
	cust     *client.Client
	custID   int64
	custPh   string
	chatID   int64
	ctx      context.Context
	opts     []servertest.Option
	dataDir  string
	business business.Config
	webhooks *webhook.Options // nil: fast retries (newEnv)
	extra    []servertest.Option
}

type envOption func(*env)

func withBusinessConfig(c business.Config) envOption {
	return func(e *env) { e.business = c }
}

// withBulkLogins lifts the per-address login buckets, for a test that logs
// in more customers from 127.0.0.1 than one household would in a minute.
func withBulkLogins() envOption {
	return func(e *env) { e.extra = append(e.extra, servertest.WithBulkLogins()) }
}

// withTimeout gives a long journey (hundreds of logins) more than a minute.
func withTimeout(d time.Duration) envOption { return func(e *env) { e.timeout = d } }

// withPostgres runs the server on PostgreSQL and an external NATS.
func withPostgres(t testing.TB) envOption {
	dsn, nats := servertest.PostgresDSN(t), servertest.NATSURL(t)
	pg := servertest.WithPostgres(t, dsn)
	return func(e *env) { e.extra = append(e.extra, pg, servertest.WithExternalNATS(nats)) }
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, clock: &servertest.Clock{}, ctx: ctx, dataDir: t.TempDir()}
	for _, o := range opts {
		o(e)
	}
	if e.business.InboxPoll == 0 {
		e.business.InboxPoll = 20 * time.Millisecond
	}
	e.opts = []servertest.Option{servertest.WithClock(e.clock), servertest.WithDataDir(e.dataDir), servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = adminToken
		o.Business = e.business
		o.Webhooks = webhook.Options{Poll: 20 * time.Millisecond, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
			Timeout: 2 * time.Second}
		if e.webhooks != nil {
			o.Webhooks = *e.webhooks
		}
	})}
	e.opts = append(e.opts, e.extra...)
	e.srv = servertest.Start(t, e.opts...)
	// The minute is the journey's, not the server's start (a loaded CI
	// machine can take many seconds to migrate a fresh schema).
	if e.timeout == 0 {
		e.timeout = time.Minute
	}
	ctx, cancel = context.WithTimeout(context.Background(), e.timeout)
	t.Cleanup(cancel)
	e.ctx = ctx
	e.hooks = newReceiver(t)
	e.adminDo("POST", "/admin/v1/businesses", map[string]any{"name": "Acme Shoes", "category": "RETAIL", "website": "https://acme.example"}, &e.biz)
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/businesses/%d", e.biz.ID), map[string]any{"verified": true}, &e.biz)
	e.hooks.secret.Store(e.biz.AppSecret)
	e.adminDo("POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", e.biz.ID), map[string]any{"phone": "+14155550100", "display_name": "Acme"}, &e.num)
	e.adminDo("PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", e.biz.ID), map[string]any{"callback_url": e.hooks.srv.URL, "verify_token": e.hooks.verifyToken}, nil)
	var tok adminapi.Token
	e.adminDo("POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", e.biz.ID), map[string]any{"name": "ci"}, &tok)
	e.token = tok.Secret
	e.cust, e.custID = e.login("+14155550111", "Carla")
	e.custPh = "+14155550111"
	e.chatID = e.openChat(e.cust)
	return e
}

func (e *env) login(phone, name string) (*client.Client, int64) {
	e.t.Helper()
	c := client.New(e.srv.URL)
	if err := c.RequestCode(e.ctx, phone); err != nil {
		e.t.Fatalf("request code: %v", err)
	}
	s, err := c.Verify(e.ctx, phone, e.srv.Code(phone), "phone", nil)
	if err != nil {
		e.t.Fatalf("verify: %v", err)
	}
	if _, err := c.UpdateProfile(e.ctx, client.ProfileUpdate{DisplayName: &name}); err != nil {
		e.t.Fatalf("update profile: %v", err)
	}
	return c, s.AccountID
}

// openChat opens the customer's direct chat with the business number.
func (e *env) openChat(c *client.Client) int64 {
	e.t.Helper()
	ch, err := c.OpenDirect(e.ctx, e.num.AccountID)
	if err != nil {
		e.t.Fatalf("open chat with the business: %v", err)
	}
	return ch.ID
}

func (e *env) do(method, path, token string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(e.ctx, method, e.srv.Endpoint(path), rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *env) adminDo(method, path string, body, out any) {
	e.t.Helper()
	status, b := e.do(method, path, adminToken, body)
	if status/100 != 2 {
		e.t.Fatalf("%s %s: status %d: %s", method, path, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode: %v: %s", method, path, err, b)
		}
	}
}

// cloud calls the Cloud API with the business's token.
func (e *env) cloud(method, path string, body any) (int, []byte) {
	e.t.Helper()
	return e.do(method, "/v23.0"+path, e.token, body)
}

// sendResponse is exactly Meta's send response: decoding it with unknown
// fields disallowed proves Parley adds nothing.
type sendResponse struct {
	MessagingProduct string `json:"messaging_product"`
	Contacts         []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status"`
	} `json:"messages"`
}

// metaError is exactly Meta's error shape.
type metaError struct {
	Error struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		ErrorData    struct {
			MessagingProduct string `json:"messaging_product"`
			Details          string `json:"details"`
		} `json:"error_data"`
		FbtraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

func strict(t testing.TB, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("response has fields beyond Meta's: %v: %s", err, b)
	}
}

// send posts a message and returns its wamid, failing on an error.
func (e *env) send(msg map[string]any) string {
	e.t.Helper()
	msg["messaging_product"] = "whatsapp"
	if _, ok := msg["to"]; !ok {
		msg["to"] = e.custPh
	}
	status, b := e.cloud("POST", fmt.Sprintf("/%d/messages", e.num.ID), msg)
	if status != http.StatusOK {
		e.t.Fatalf("send %v: status %d: %s", msg, status, b)
	}
	var out sendResponse
	strict(e.t, b, &out)
	if out.MessagingProduct != "whatsapp" || len(out.Contacts) != 1 || len(out.Messages) != 1 || !strings.HasPrefix(out.Messages[0].ID, "wamid.") {
		e.t.Fatalf("send response: got %s", b)
	}
	return out.Messages[0].ID
}

// sendErr posts a message that must fail with Meta code want.
func (e *env) sendErr(msg map[string]any, wantStatus, wantCode int) metaError {
	e.t.Helper()
	msg["messaging_product"] = "whatsapp"
	if _, ok := msg["to"]; !ok {
		msg["to"] = e.custPh
	}
	status, b := e.cloud("POST", fmt.Sprintf("/%d/messages", e.num.ID), msg)
	var me metaError
	strict(e.t, b, &me)
	if status != wantStatus || me.Error.Code != wantCode || me.Error.Type != "OAuthException" || me.Error.FbtraceID == "" {
		e.t.Fatalf("send %v: got status %d %s, want status %d code %d", msg, status, b, wantStatus, wantCode)
	}
	return me
}

// sendFails posts a message that Meta accepts and then fails: the send
// answers 200 with a wamid and a Parley-Price of nothing charged, and a
// failed status webhook carries the error, code want, with its href.
func (e *env) sendFails(msg map[string]any, want int) wire.StatusUpdate {
	e.t.Helper()
	id := e.send(msg)
	return e.failedStatus(id, want)
}

// failedStatus waits for the failed status of wamid and checks its error.
func (e *env) failedStatus(wamid string, want int) wire.StatusUpdate {
	e.t.Helper()
	st := e.hooks.status(wamid, "failed")
	if len(st.Errors) != 1 || st.Errors[0].Code != want || st.Errors[0].Title == "" || st.Errors[0].ErrorData.Details == "" ||
		!strings.HasPrefix(st.Errors[0].Href, "https://") || st.Pricing != nil {
		e.t.Fatalf("failed status of %s: got %+v, want one error %d with title, details and href, and no pricing", wamid, st, want)
	}
	return st
}

// customerSends sends content from a customer client to its chat with the
// business and returns the message's id on the Cloud API (its wamid).
func (e *env) customerSends(c *client.Client, chatID int64, kind chat.MessageKind, ref string, body client.Body) string {
	e.t.Helper()
	id := client.NewMessageID()
	if _, err := c.SendBody(e.ctx, chatID, id, kind, ref, body); err != nil {
		e.t.Fatalf("customer send: %v", err)
	}
	return business.InboundWamid(chatID, id)
}

// localMedia is the chat core's id of a Cloud API media id.
func localMedia(t testing.TB, id string) string {
	t.Helper()
	local, ok := business.MediaIDOf(id)
	if !ok {
		t.Fatalf("%q is not a media id", id)
	}
	return local
}

// clientID is the customer client's own id of an inbound wamid.
func clientID(t testing.TB, wamid string) string {
	t.Helper()
	_, id, ok := business.ParseInboundWamid(wamid)
	if !ok {
		t.Fatalf("%q is not an inbound wamid", wamid)
	}
	return id
}

// receive waits for a message entry in the customer's inbox with that id,
// acknowledges everything read, and returns the decoded body.
func (e *env) receive(c *client.Client, id string) client.Body {
	e.t.Helper()
	var found *wire.Entry
	testutil.Eventually(e.t, fmt.Sprintf("message %s to reach the customer", id), func() bool {
		es, err := c.Pending(e.ctx, 0, 100)
		if err != nil {
			e.t.Fatalf("pending: %v", err)
		}
		var ids []int64
		for i := range es {
			ids = append(ids, es[i].ID)
			if es[i].Type == chat.EntryMessage && es[i].MessageID == id {
				found = &es[i]
			}
		}
		if len(ids) > 0 {
			if err := c.Ack(e.ctx, ids...); err != nil {
				e.t.Fatalf("ack: %v", err)
			}
		}
		return found != nil
	})
	if found.Kind == chat.KindReaction {
		b, _ := client.DecodeBody(*found)
		b.ReplyTo = found.Ref
		return b
	}
	b, err := client.DecodeBody(*found)
	if err != nil {
		e.t.Fatalf("decode body: %v", err)
	}
	return b
}

func (e *env) usage() []adminapi.Usage {
	e.t.Helper()
	var out struct {
		Usage []adminapi.Usage `json:"usage"`
	}
	e.adminDo("GET", fmt.Sprintf("/admin/v1/businesses/%d/usage", e.biz.ID), nil, &out)
	return out.Usage
}

func (e *env) restart() {
	e.t.Helper()
	e.srv = e.srv.Restart(e.t)
	e.cust = client.New(e.srv.URL, client.WithToken(e.cust.Token()))
}

func TestTextBothWaysWithStatusesAndLedger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Inbound: the customer writes from an ordinary client.
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Hi, do you have size 42?"})
	m := e.hooks.message(in)
	if m.Type != "text" || m.Text == nil || m.Text.Body != "Hi, do you have size 42?" || m.From != "14155550111" {
		t.Errorf("inbound webhook message: got %+v", m)
	}
	v := e.hooks.wait("with the contact", func(f string, v hookValue) bool { return len(v.Messages) == 1 && v.Messages[0].ID == in })
	if len(v.Contacts) != 1 || v.Contacts[0].WaID != "14155550111" || v.Contacts[0].Profile.Name != "Carla" ||
		v.Metadata.PhoneNumberID != fmt.Sprint(e.num.ID) || v.Metadata.DisplayPhoneNumber != "14155550100" {
		t.Errorf("contacts and metadata: got %+v", v)
	}

	// Outbound in the window, replying to the customer's message.
	out, price := e.sendPriced(map[string]any{"recipient_type": "individual", "type": "text", "context": map[string]any{"message_id": in},
		"text": map[string]any{"body": "Yes, we do!", "preview_url": false}, "biz_opaque_callback_data": "order-7"})
	// Under the October 2026 card (the default now) a service reply is
	// charged at the utility rate: the header, the pricing object and the
	// ledger all say billable and regular.
	if !strings.Contains(price, "billable=?1") || !strings.Contains(price, `type="regular"`) || !strings.Contains(price, `reason="utility_rate"`) ||
		strings.Contains(price, "micros=0,") {
		t.Errorf("Parley-Price of a service reply: got %q, want a billable regular charge at the utility rate", price)
	}
	body := e.receive(e.cust, out)
	if body.Text != "Yes, we do!" || body.ReplyTo != clientID(t, in) {
		t.Errorf("customer got %+v, want the text as a reply to %s", body, in)
	}
	sent := e.hooks.status(out, "sent")
	want := &wire.Pricing{Billable: true, PricingModel: "PMP", Category: "service", Type: "regular"}
	if sent.RecipientID != "14155550111" || sent.BizOpaqueCallbackData != "order-7" || *sent.Pricing != *want {
		t.Errorf("sent status: got %+v", sent)
	}
	// receive acked the entry, so the customer's device delivered it.
	delivered := e.hooks.status(out, "delivered")
	if *delivered.Pricing != *want {
		t.Errorf("delivered pricing: got %+v, want %+v", delivered.Pricing, want)
	}
	if err := e.cust.MarkRead(e.ctx, e.chatID, out); err != nil {
		t.Fatal(err)
	}
	e.hooks.status(out, "read")

	// The business marks the customer's message read: the customer's
	// client gets an ordinary read receipt.
	status, b := e.cloud("POST", fmt.Sprintf("/%d/messages", e.num.ID), map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": in})
	if status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("mark read: got %d %s", status, b)
	}
	testutil.Eventually(t, "the customer's read receipt", func() bool {
		gotRead := false
		es, _ := e.cust.Pending(e.ctx, 0, 100)
		for _, en := range es {
			if r, err := client.DecodeReceipt(en); err == nil && r.Status == "read" && slices.Contains(r.MessageIDs, clientID(t, in)) {
				gotRead = true
			}
			_ = e.cust.Ack(e.ctx, en.ID)
		}
		return gotRead
	})

	// The ledger has exactly one entry for the delivered free-form message,
	// although both delivered and read statuses went out.
	us := e.usage()
	if len(us) != 1 || us[0].Event != "service_message" || !us[0].Billable || us[0].PricingType != "regular" || !us[0].InWindow ||
		us[0].Country != "US" || us[0].MessageID != out {
		t.Errorf("ledger: got %+v, want one billable regular service_message in the window in US for %s", us, out)
	}
	// And the charge is the header's amount.
	code, b := e.cloud("GET", fmt.Sprintf("/%d/charges?period=%s&format=csv", e.biz.ID, billing.PeriodOf(e.clock.Now())), nil)
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if code != 200 || err != nil || len(rows) != 2 || !strings.Contains(price, "micros="+rows[1][14]+",") || rows[1][14] == "0" || rows[1][12] != "utility_rate" {
		t.Errorf("charges: got %d %q, want one charge of the header's amount (%s) at the utility rate", code, rows, price)
	}
}

func TestServiceWindowAndTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// No customer message yet: free-form is outside the window.
	e.sendFails(map[string]any{"type": "text", "text": map[string]any{"body": "hello?"}}, 131047)
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hello"})
	e.hooks.message(in)
	e.send(map[string]any{"type": "text", "text": map[string]any{"body": "hi there"}})
	e.clock.Advance(23 * time.Hour)
	e.send(map[string]any{"type": "text", "text": map[string]any{"body": "still within 24 h"}})
	e.clock.Advance(2 * time.Hour)
	e.sendFails(map[string]any{"type": "text", "text": map[string]any{"body": "too late"}}, 131047)

	// Tokens: an expiring token answers 190 once expired; a revoked one too.
	var tok adminapi.Token
	e.adminDo("POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", e.biz.ID), map[string]any{"name": "short", "ttl_seconds": 60}, &tok)
	status, _ := e.do("GET", fmt.Sprintf("/v23.0/%d/phone_numbers", e.biz.ID), tok.Secret, nil)
	if status != 200 {
		t.Fatalf("fresh token: status %d", status)
	}
	e.clock.Advance(2 * time.Minute)
	status, b := e.do("GET", fmt.Sprintf("/v23.0/%d/phone_numbers", e.biz.ID), tok.Secret, nil)
	var expired metaError
	strict(t, b, &expired)
	if status != 401 || expired.Error.Code != 190 || expired.Error.ErrorSubcode != 463 || expired.Error.Type != "OAuthException" {
		t.Errorf("expired token: got %d %s, want 401 code 190 subcode 463", status, b)
	}
	e.adminDo("DELETE", fmt.Sprintf("/admin/v1/businesses/%d/tokens/%d", e.biz.ID, tok.ID-1), nil, nil)
	status, b = e.cloud("GET", fmt.Sprintf("/%d/phone_numbers", e.biz.ID), nil)
	if status != 401 || !strings.Contains(string(b), `"code":190`) {
		t.Errorf("revoked token: got %d %s", status, b)
	}
	status, _ = e.do("GET", fmt.Sprintf("/v23.0/%d/phone_numbers", e.biz.ID), "EAAPnot-a-token", nil)
	if status != 401 {
		t.Errorf("unknown token: got %d, want 401", status)
	}
	// Nobody can link an app to a business number: its only device is
	// the cloud device.
	thief := client.New(e.srv.URL)
	if err := thief.RequestCode(e.ctx, "+14155550100"); err != nil {
		t.Fatal(err)
	}
	if _, err := thief.Verify(e.ctx, "+14155550100", e.srv.Code("+14155550100"), "x", nil); client.ErrorCode(err) != "forbidden" {
		t.Errorf("linking a device to a business number: got %v, want forbidden", err)
	}
	// The admin API wants the admin token.
	status, _ = e.do("GET", "/admin/v1/businesses", "wrong", nil)
	if status != 401 {
		t.Errorf("admin API with a wrong token: got %d, want 401", status)
	}
}
