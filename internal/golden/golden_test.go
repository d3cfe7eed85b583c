// Package golden pins Parley's wire format byte for byte: a real server is
// driven as a client would drive it, over raw HTTP and a raw WebSocket, and
// the answers (status, the headers that matter, body) are compared with
// the files in testdata after normalising only what varies between runs
// (normalise_test.go). It imports no domain type, so it survives a
// reorganisation of the domain packages unchanged and can prove that one
// changed nothing on the wire.
//
// Regenerate with: go test ./internal/golden -update
package golden

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/coder/websocket"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

const adminToken = "golden-admin-token"

// files are the golden files, one per surface, in the order they are
// written.
var files = []string{"v1", "ws", "cloudapi", "webhook", "admin"}

func TestGoldenSQLite(t *testing.T) {
	run(t, nil, *update)
}

func TestGoldenPostgres(t *testing.T) {
	dsn := servertest.PostgresDSN(t)
	// Always compared, never written: both databases must give the bytes
	// the SQLite run wrote.
	run(t, []servertest.Option{servertest.WithPostgres(t, dsn)}, false)
}

func run(t *testing.T, extra []servertest.Option, write bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := append([]servertest.Option{servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = adminToken
		o.Business.InboxPoll = 20 * time.Millisecond
		o.Webhooks.Poll = 20 * time.Millisecond
		o.Webhooks.BaseBackoff = 20 * time.Millisecond
		o.Webhooks.MaxBackoff = 100 * time.Millisecond
	})}, extra...)
	srv := servertest.Start(t, opts...)
	r := &recorder{t: t, ctx: ctx, srv: srv, norm: newNormaliser(), out: map[string]*bytes.Buffer{}}
	for _, f := range files {
		r.out[f] = &bytes.Buffer{}
	}
	scenario(r)
	for _, f := range files {
		path := filepath.Join("testdata", f+".golden")
		got := r.out[f].Bytes()
		if write {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s (run with -update to create it): %v", path, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from this run (-want +got):\n%s", path, diff(string(want), string(got)))
		}
	}
}

// recorder drives the server and writes each answer to its golden file.
type recorder struct {
	t    *testing.T
	ctx  context.Context
	srv  *servertest.Server
	norm *normaliser
	out  map[string]*bytes.Buffer
}

// recordedHeaders are the response headers that belong to the wire format;
// the rest (Date, Content-Length, Request-Id) vary or are transport.
var recordedHeaders = []string{"Content-Type", "Parley-Price", "Idempotent-Replayed", "WWW-Authenticate",
	"Cache-Control", "Content-Security-Policy", "Content-Disposition", "X-Content-Type-Options"}

// record appends one step to file: the title, the request line, the
// status, the recorded headers and the body, all normalised.
func (r *recorder) record(file, title, reqLine string, status int, h http.Header, body []byte) {
	var b strings.Builder
	fmt.Fprintf(&b, "=== %s\n%s\n", title, reqLine)
	if status != 0 {
		fmt.Fprintf(&b, "%d\n", status)
	}
	for _, k := range recordedHeaders {
		for _, v := range h.Values(k) {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	if len(body) > 0 {
		b.WriteString("\n")
		b.Write(body)
		if body[len(body)-1] != '\n' {
			b.WriteString("\n")
		}
	}
	b.WriteString("\n")
	r.out[file].WriteString(r.norm.apply(b.String()))
}

// do sends body (as is, nil for none) with contentType and, when file is
// set, records the answer there.
func (r *recorder) do(file, title, method, path, token, contentType string, body []byte) (int, []byte) {
	r.t.Helper()
	req, err := http.NewRequestWithContext(r.ctx, method, r.srv.Endpoint(path), bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	if file != "" {
		r.record(file, title, method+" "+path, resp.StatusCode, resp.Header, b)
	}
	return resp.StatusCode, b
}

// json sends a JSON body (or none when body is "") and records the answer.
func (r *recorder) json(file, title, method, path, token, body string) []byte {
	r.t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	_, out := r.do(file, title, method, path, token, "application/json", b)
	return out
}

// must is json for setup steps that must succeed; nothing is recorded
// unless file is set.
func (r *recorder) must(file, title, method, path, token, body string) []byte {
	r.t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	status, out := r.do(file, title, method, path, token, "application/json", b)
	if status/100 != 2 {
		r.t.Fatalf("%s %s: got status %d: %s", method, path, status, out)
	}
	return out
}

// field returns the value at a dotted path of a JSON object ("a.b", "a.0.b").
func field(t testing.TB, b []byte, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			if i >= len(x) {
				t.Fatalf("no %s in %s", path, b)
			}
			v = x[i]
		default:
			t.Fatalf("no %s in %s", path, b)
		}
	}
	return v
}

func str(t testing.TB, b []byte, path string) string {
	t.Helper()
	s, ok := field(t, b, path).(string)
	if !ok {
		t.Fatalf("%s is not a string in %s", path, b)
	}
	return s
}

func num(t testing.TB, b []byte, path string) int64 {
	t.Helper()
	f, ok := field(t, b, path).(float64)
	if !ok {
		t.Fatalf("%s is not a number in %s", path, b)
	}
	return int64(f)
}

// user is a logged-in device.
type user struct {
	id    int64
	token string
}

// login requests and verifies a code for phone; with file set, the two
// answers are recorded.
func (r *recorder) login(file, phone, name string) user {
	r.t.Helper()
	r.must(file, "request a code", "POST", "/v1/auth/code", "", `{"phone":"`+phone+`"}`)
	code := r.srv.Code(phone)
	b := r.must(file, "verify the code", "POST", "/v1/auth/verify", "",
		`{"phone":"`+phone+`","code":"`+code+`","device_name":"phone"}`)
	u := user{id: num(r.t, b, "account_id"), token: str(r.t, b, "token")}
	r.must("", "", "PATCH", "/v1/me", u.token, `{"display_name":"`+name+`"}`)
	return u
}

// envelopes returns a send body's envelopes: body (plaintext JSON, as
// client.SendBody sends it) for every recipient device of chat.
func (r *recorder) envelopes(u user, chat int64, body string) string {
	r.t.Helper()
	b := r.must("", "", "GET", fmt.Sprintf("/v1/chats/%d/devices", chat), u.token, "")
	var out struct {
		Devices []struct {
			DeviceID int64 `json:"device_id"`
		} `json:"devices"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		r.t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	var es []string
	for _, d := range out.Devices {
		es = append(es, fmt.Sprintf(`{"device_id":%d,"body":"%s"}`, d.DeviceID, enc))
	}
	return "[" + strings.Join(es, ",") + "]"
}

// socket is a device's WebSocket; frames are read by one goroutine that
// the test's cleanup stops.
type socket struct {
	r      *recorder
	conn   *websocket.Conn
	frames chan []byte
}

func (r *recorder) dial(u user) *socket {
	r.t.Helper()
	url := "ws" + strings.TrimPrefix(r.srv.URL, "http") + "/v1/ws?after=0"
	conn, _, err := websocket.Dial(r.ctx, url, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + u.token}},
	})
	if err != nil {
		r.t.Fatalf("dial websocket: %v", err)
	}
	s := &socket{r: r, conn: conn, frames: make(chan []byte, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(s.frames)
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			s.frames <- b
		}
	}()
	r.t.Cleanup(func() {
		cancel()
		conn.Close(websocket.StatusNormalClosure, "")
		wg.Wait()
	})
	return s
}

// expect waits for the next frame whose type (and, for entries, entry
// type) is want, records it in ws.golden and returns it. Frames of other
// types (presence) are skipped: their timing is not the server's to
// promise.
func (s *socket) expect(title, want string) []byte {
	s.r.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case b, ok := <-s.frames:
			if !ok {
				s.r.t.Fatalf("%s: socket closed", title)
			}
			var f struct {
				Type  string `json:"type"`
				Entry struct {
					Type string `json:"type"`
				} `json:"entry"`
			}
			_ = json.Unmarshal(b, &f)
			got := f.Type
			if f.Type == "entry" {
				got += "/" + f.Entry.Type
			}
			if got != want {
				continue
			}
			s.r.record("ws", title, "frame", 0, nil, b)
			return b
		case <-timeout:
			s.r.t.Fatalf("%s: no %s frame within 5s", title, want)
		}
	}
}

func (s *socket) send(frame string) {
	s.r.t.Helper()
	if err := s.conn.Write(s.r.ctx, websocket.MessageText, []byte(frame)); err != nil {
		s.r.t.Fatalf("write frame: %v", err)
	}
}

// hooks is the business's webhook endpoint: it answers the verification
// handshake and keeps every POST body as received. Once it knows the app
// secret it checks both signatures of every POST as receivers do: the
// SHA-256 one after escaping the decoded text as Meta tells receivers to
// (escapeLikeMeta), the SHA-1 one over the raw bytes.
type hooks struct {
	srv         *httptest.Server
	verifyToken string
	mu          sync.Mutex
	secret      string
	bodies      [][]byte
	badSigs     []string
}

// escapeLikeMeta is what a receiver does before the HMAC, following Meta's
// documented rule: every character outside ASCII (here, from DEL up)
// becomes \uXXXX with lowercase hex, above U+FFFF as a surrogate pair.
// It is written here rather than taken from the server so that the server
// is checked against an independent reading of the rule.
func escapeLikeMeta(body []byte) []byte {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(string(body))) {
		if u < 0x7f {
			b.WriteByte(byte(u))
			continue
		}
		fmt.Fprintf(&b, "\\u%04x", u)
	}
	return []byte(b.String())
}

func hmacHex(h func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (h *hooks) setSecret(s string) {
	h.mu.Lock()
	h.secret = s
	h.mu.Unlock()
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{verifyToken: "golden-verify"}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			q := req.URL.Query()
			if q.Get("hub.verify_token") != h.verifyToken {
				http.Error(w, "bad verify token", http.StatusForbidden)
				return
			}
			io.WriteString(w, q.Get("hub.challenge"))
			return
		}
		b, _ := io.ReadAll(req.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.secret != "" {
			if got, want := req.Header.Get("X-Hub-Signature-256"), "sha256="+hmacHex(sha256.New, h.secret, escapeLikeMeta(b)); got != want {
				h.badSigs = append(h.badSigs, fmt.Sprintf("X-Hub-Signature-256 %s, want %s, body %s", got, want, b))
			}
			if got, want := req.Header.Get("X-Hub-Signature"), "sha1="+hmacHex(sha1.New, h.secret, b); got != want {
				h.badSigs = append(h.badSigs, fmt.Sprintf("X-Hub-Signature %s, want %s, body %s", got, want, b))
			}
		}
		h.bodies = append(h.bodies, b)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// wait returns the first webhook body for which match is true, waiting up
// to 10 s.
func (h *hooks) wait(t *testing.T, what string, match func(b []byte) bool) []byte {
	t.Helper()
	var found []byte
	if testutil.Within(10*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, b := range h.bodies {
			if match(b) {
				found = b
				return true
			}
		}
		return false
	}) {
		return found
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Fatalf("no webhook %s within 10s; got:\n%s", what, bytes.Join(h.bodies, []byte("\n")))
	return nil
}

func scenario(r *recorder) {
	t := r.t
	// ---- /v1: accounts, profiles, errors.
	r.must("v1", "healthz", "GET", "/healthz", "", "")
	alice := r.login("v1", "+14155550101", "Alice")
	bob := r.login("", "+14155550102", "Bob")
	r.json("v1", "get my profile", "GET", "/v1/me", alice.token, "")
	r.json("v1", "set my profile", "PATCH", "/v1/me", alice.token, `{"display_name":"Alice A.","about":"hi there"}`)
	r.json("v1", "set privacy", "PUT", "/v1/me/privacy", alice.token, `{"last_seen":"contacts"}`)
	r.json("v1", "another's profile", "GET", fmt.Sprintf("/v1/accounts/%d", bob.id), alice.token, "")
	r.json("v1", "devices", "GET", "/v1/devices", alice.token, "")
	r.json("v1", "error: invalid_argument (phone)", "POST", "/v1/auth/code", "", `{"phone":"4155550101"}`)
	r.json("v1", "error: malformed_request (unknown field)", "PATCH", "/v1/me", alice.token, `{"nickname":"x"}`)
	r.json("v1", "error: unauthenticated (no token)", "GET", "/v1/me", "", "")
	r.json("v1", "error: unauthenticated (bad token)", "GET", "/v1/me", "not-a-token", "")
	r.json("v1", "error: not_found (account)", "GET", "/v1/accounts/999999", alice.token, "")
	r.json("v1", "error: not_found (route)", "GET", "/v1/nothing-here", alice.token, "")
	r.json("v1", "error: code_expired (code already used)", "POST", "/v1/auth/verify", "", `{"phone":"+14155550101","code":"000000"}`)
	r.must("v1", "request a code (to get it wrong)", "POST", "/v1/auth/code", "", `{"phone":"+14155550103"}`)
	wrong := "000000"
	if r.srv.Code("+14155550103") == wrong {
		wrong = "111111"
	}
	r.json("v1", "error: code_invalid", "POST", "/v1/auth/verify", "", `{"phone":"+14155550103","code":"`+wrong+`"}`)

	// Bob's socket: connected before anything reaches him.
	ws := r.dial(bob)
	ws.expect("ready on connect", "ready")

	// ---- Chats and messages.
	b := r.must("v1", "open a 1:1 chat", "POST", "/v1/chats/direct", alice.token, fmt.Sprintf(`{"account_id":%d}`, bob.id))
	direct := num(t, b, "id")
	r.json("v1", "error: invalid_argument (chat with yourself)", "POST", "/v1/chats/direct", alice.token, fmt.Sprintf(`{"account_id":%d}`, alice.id))
	r.json("v1", "recipient devices", "GET", fmt.Sprintf("/v1/chats/%d/devices", direct), alice.token, "")
	send := fmt.Sprintf(`{"message_id":"golden-1","kind":"message","envelopes":%s}`, r.envelopes(alice, direct, `{"text":"hello Bob"}`))
	r.json("v1", "send a message", "POST", fmt.Sprintf("/v1/chats/%d/messages", direct), alice.token, send)
	ws.expect("message entry", "entry/message")
	r.json("v1", "send the same message again (duplicate)", "POST", fmt.Sprintf("/v1/chats/%d/messages", direct), alice.token, send)
	r.json("v1", "error: devices_changed", "POST", fmt.Sprintf("/v1/chats/%d/messages", direct), alice.token,
		`{"message_id":"golden-2","envelopes":[]}`)
	r.json("v1", "bob's inbox", "GET", "/v1/inbox?after=0&limit=100", bob.token, "")

	// Bob answers; Alice reads, which sends Bob delivered and read receipts.
	reply := fmt.Sprintf(`{"message_id":"golden-3","envelopes":%s}`, r.envelopes(bob, direct, `{"text":"hi Alice"}`))
	r.json("v1", "bob replies", "POST", fmt.Sprintf("/v1/chats/%d/messages", direct), bob.token, reply)
	b = r.json("v1", "alice's inbox", "GET", "/v1/inbox?after=0&limit=100", alice.token, "")
	var ids []string
	for _, e := range field(t, b, "entries").([]any) {
		ids = append(ids, fmt.Sprint(int64(e.(map[string]any)["id"].(float64))))
	}
	r.json("v1", "alice acks", "POST", "/v1/inbox/ack", alice.token, `{"ids":[`+strings.Join(ids, ",")+`]}`)
	ws.expect("delivered receipt entry", "entry/receipt")
	r.json("v1", "alice reads", "POST", fmt.Sprintf("/v1/chats/%d/read", direct), alice.token, `{"message_ids":["golden-3"]}`)
	ws.expect("read receipt entry", "entry/receipt")
	r.json("v1", "alice types", "POST", fmt.Sprintf("/v1/chats/%d/typing", direct), alice.token, `{"state":"composing"}`)
	ws.expect("typing", "typing")
	ws.send(`{"type":"ping"}`)
	ws.expect("pong", "pong")
	ws.send(`{"type":"nonsense"}`)
	ws.expect("error frame", "error")

	// Groups.
	b = r.json("v1", "create a group", "POST", "/v1/chats/groups", alice.token, fmt.Sprintf(`{"subject":"Golden group","members":[%d]}`, bob.id))
	group := num(t, b, "id")
	ws.expect("group created (system entry)", "entry/message")
	r.json("v1", "error: invalid_argument (empty subject)", "POST", "/v1/chats/groups", alice.token, `{"subject":"","members":[]}`)
	r.json("v1", "get the group", "GET", fmt.Sprintf("/v1/chats/%d", group), bob.token, "")
	r.json("v1", "list chats", "GET", "/v1/chats", alice.token, "")
	r.json("v1", "error: not_found (chat)", "GET", "/v1/chats/999999", alice.token, "")

	// ---- Channels.
	b = r.json("v1", "create a channel", "POST", "/v1/channels", alice.token,
		`{"handle":"goldenchan","name":"Golden channel","description":"pinned bytes","category":"news","country":"US","language":"en"}`)
	channel := num(t, b, "id")
	r.json("v1", "follow a channel", "PUT", fmt.Sprintf("/v1/channels/%d/follow", channel), bob.token, "")
	ws.expect("channel followed", "channel_follow")
	r.json("v1", "post to a channel", "POST", fmt.Sprintf("/v1/channels/%d/posts", channel), alice.token, `{"kind":"text","text":"first post"}`)
	ws.expect("channel post", "channel_post")
	r.json("v1", "followed channels", "GET", "/v1/channels", bob.token, "")
	r.json("v1", "channel timeline", "GET", fmt.Sprintf("/v1/channels/%d/posts", channel), bob.token, "")
	r.json("v1", "channel directory", "GET", "/v1/channels/directory", bob.token, "")

	// ---- People-side revenue, as on by default.
	r.json("v1", "premium (off by default)", "GET", "/v1/premium", alice.token, "")
	r.json("v1", "pins", "GET", "/v1/pins", alice.token, "")
	r.json("v1", "pin a chat", "PUT", fmt.Sprintf("/v1/chats/%d/pin", direct), alice.token, "")
	r.json("v1", "donations (off by default)", "POST", "/v1/donations", alice.token, `{"amount_minor":500,"payment_method":"pm_card_visa"}`)
	r.json("v1", "transparency", "GET", "/v1/transparency?from=2024-01&to=2024-02", "", "")
	r.json("v1", "statement", "GET", "/v1/statements/2024-01", alice.token, "")

	// ---- Business: set up with the admin API, then the Cloud API.
	hk := newHooks(t)
	b = r.must("admin", "create a business", "POST", "/admin/v1/businesses", adminToken,
		`{"name":"Acme Shoes","category":"RETAIL","website":"https://acme.example"}`)
	biz := num(t, b, "id")
	r.must("admin", "verify the business", "PATCH", fmt.Sprintf("/admin/v1/businesses/%d", biz), adminToken, `{"verified":true}`)
	b = r.must("admin", "add a number", "POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", biz), adminToken,
		`{"phone":"+14155550100","display_name":"Acme"}`)
	number, numberAccount := num(t, b, "id"), num(t, b, "account_id")
	b = r.must("admin", "set the webhook", "PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", biz), adminToken,
		fmt.Sprintf(`{"callback_url":"%s","verify_token":"%s"}`, hk.srv.URL, hk.verifyToken))
	hk.setSecret(str(t, b, "app_secret"))
	b = r.must("admin", "create a token", "POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz), adminToken, `{"name":"ci"}`)
	cloudToken := str(t, b, "token")
	r.json("admin", "list businesses", "GET", "/admin/v1/businesses", adminToken, "")
	r.json("admin", "list numbers", "GET", fmt.Sprintf("/admin/v1/businesses/%d/numbers", biz), adminToken, "")
	r.json("admin", "error: unauthenticated", "GET", "/admin/v1/businesses", "wrong", "")
	r.json("admin", "error: not_found", "GET", "/admin/v1/businesses/999999", adminToken, "")

	// The customer (Alice) writes first, which opens the 24 h window.
	b = r.must("cloudapi", "customer opens a chat with the number", "POST", "/v1/chats/direct", alice.token,
		fmt.Sprintf(`{"account_id":%d}`, numberAccount))
	bizChat := num(t, b, "id")
	r.json("cloudapi", "customer's view of the business", "GET", fmt.Sprintf("/v1/business/%d", numberAccount), alice.token, "")
	r.json("cloudapi", "customer writes to the business", "POST", fmt.Sprintf("/v1/chats/%d/messages", bizChat), alice.token,
		fmt.Sprintf(`{"message_id":"golden-biz-1","envelopes":%s}`, r.envelopes(alice, bizChat, `{"text":"do you have size 42?"}`)))
	inbound := hk.wait(t, "with the customer's message", func(b []byte) bool {
		return bytes.Contains(b, []byte(business.InboundWamid(int64(bizChat), "golden-biz-1")))
	})
	r.record("webhook", "inbound text message", "POST callback", 0, nil, inbound)
	// Meta's documented escaping example (äöå is sent as \u00e4\u00f6\u00e5),
	// an emoji above U+FFFF, Hindi and Arabic: the body must be ASCII and
	// verify as a receiver verifies it (hooks checks every signature).
	r.json("cloudapi", "customer writes in other scripts", "POST", fmt.Sprintf("/v1/chats/%d/messages", bizChat), alice.token,
		fmt.Sprintf(`{"message_id":"golden-biz-2","envelopes":%s}`, r.envelopes(alice, bizChat, `{"text":"äöå 👋 नमस्ते مرحبا <&>"}`)))
	unicode := hk.wait(t, "with the customer's second message", func(b []byte) bool {
		return bytes.Contains(b, []byte(business.InboundWamid(int64(bizChat), "golden-biz-2")))
	})
	if !bytes.Contains(unicode, []byte(`"body":"\u00e4\u00f6\u00e5 \ud83d\udc4b \u0928\u092e\u0938\u094d\u0924\u0947 \u0645\u0631\u062d\u0628\u0627 <&>"`)) {
		t.Errorf("non-ASCII text not escaped as Meta escapes it: %s", unicode)
	}
	r.record("webhook", "inbound text in other scripts (escaped as Meta escapes)", "POST callback", 0, nil, unicode)

	v := "/v23.0"
	r.json("cloudapi", "number", "GET", fmt.Sprintf("%s/%d", v, number), cloudToken, "")
	b = r.json("cloudapi", "send a text", "POST", fmt.Sprintf("%s/%d/messages", v, number), cloudToken,
		`{"messaging_product":"whatsapp","to":"+14155550101","type":"text","text":{"body":"Yes, we do."}}`)
	wamid := str(t, b, "messages.0.id")
	sent := hk.wait(t, "with status sent", func(b []byte) bool {
		return bytes.Contains(b, []byte(wamid)) && bytes.Contains(b, []byte(`"status":"sent"`))
	})
	r.record("webhook", "status sent", "POST callback", 0, nil, sent)

	r.json("cloudapi", "create a template", "POST", fmt.Sprintf("%s/%d/message_templates", v, biz), cloudToken,
		`{"name":"order_ready","category":"UTILITY","language":"en_US","components":[{"type":"BODY","text":"Your order {{1}} is ready."}]}`)
	tplHook := hk.wait(t, "template approved", func(b []byte) bool { return bytes.Contains(b, []byte(`"message_template_status_update"`)) })
	r.record("webhook", "template status update", "POST callback", 0, nil, tplHook)
	r.json("cloudapi", "list templates", "GET", fmt.Sprintf("%s/%d/message_templates", v, biz), cloudToken, "")
	r.json("cloudapi", "send a template", "POST", fmt.Sprintf("%s/%d/messages", v, number), cloudToken,
		`{"messaging_product":"whatsapp","to":"+14155550101","type":"template","template":{"name":"order_ready","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"A-17"}]}]}}`)
	r.json("cloudapi", "error: template does not exist (132001)", "POST", fmt.Sprintf("%s/%d/messages", v, number), cloudToken,
		`{"messaging_product":"whatsapp","to":"+14155550101","type":"template","template":{"name":"nope","language":{"code":"en_US"}}}`)
	r.json("cloudapi", "error: invalid parameter (100)", "POST", fmt.Sprintf("%s/%d/messages", v, number), cloudToken,
		`{"messaging_product":"whatsapp","to":"+14155550101","type":"text"}`)
	r.json("cloudapi", "error: bad token (190)", "GET", fmt.Sprintf("%s/%d", v, number), "wrong", "")

	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.SetBoundary("goldenboundary")
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", "image/png")
	fw, _ := mw.CreateFormFile("file", "dot.png")
	fw.Write(png1x1)
	mw.Close()
	_, b = r.do("cloudapi", "upload media", "POST", fmt.Sprintf("%s/%d/media", v, number), cloudToken, mw.FormDataContentType(), mp.Bytes())
	media := str(t, b, "id")
	r.json("cloudapi", "media metadata", "GET", fmt.Sprintf("%s/%s", v, media), cloudToken, "")

	hk.mu.Lock()
	for _, bad := range hk.badSigs {
		t.Errorf("webhook signature: %s", bad)
	}
	hk.mu.Unlock()

	// Operator reads after the business traffic.
	r.json("admin", "get the business", "GET", fmt.Sprintf("/admin/v1/businesses/%d", biz), adminToken, "")
	r.json("admin", "template queue", "GET", "/admin/v1/templates", adminToken, "")
	r.json("admin", "licence", "GET", "/admin/v1/people/license", adminToken, "")
}

// png1x1 is a 1×1 transparent PNG.
var png1x1, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")

// diff is a line diff of want and got, enough to read a golden failure:
// the common prefix and suffix are skipped and the differing middle shown.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	j := 0
	for j < len(w)-i && j < len(g)-i && w[len(w)-1-j] == g[len(g)-1-j] {
		j++
	}
	var b strings.Builder
	from := max(0, i-3)
	for _, l := range w[from:i] {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	for _, l := range w[i : len(w)-j] {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	for _, l := range g[i : len(g)-j] {
		fmt.Fprintf(&b, "+ %s\n", l)
	}
	to := min(len(w), len(w)-j+3)
	for _, l := range w[len(w)-j : to] {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	return fmt.Sprintf("first difference at line %d\n%s", i+1, b.String())
}
