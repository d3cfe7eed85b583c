package flowendpoint_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/flowcrypto"
	"github.com/parleyhq/parley/internal/flowendpoint"
)

// business is a Flow endpoint as a business writes it from Meta's guide:
// it checks X-Hub-Signature-256 (432), decrypts with its private key
// (421), refuses an expired flow token (427), and answers ping, INIT,
// data_exchange, BACK and error notifications.
type business struct {
	secret string
	mu     sync.Mutex
	key    *rsa.PrivateKey
	calls  atomic.Int64
	delay  time.Duration
}

func (b *business) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.calls.Add(1)
	if b.delay > 0 {
		time.Sleep(b.delay)
	}
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(b.secret))
	m.Write(body)
	if !hmac.Equal([]byte(r.Header.Get("X-Hub-Signature-256")), []byte("sha256="+hex.EncodeToString(m.Sum(nil)))) {
		w.WriteHeader(432)
		return
	}
	b.mu.Lock()
	key := b.key
	b.mu.Unlock()
	payload, sess, err := flowcrypto.DecryptRequest(key, body)
	if err != nil {
		w.WriteHeader(421)
		return
	}
	var req struct {
		Version   string         `json:"version"`
		Action    string         `json:"action"`
		Screen    string         `json:"screen"`
		Data      map[string]any `json:"data"`
		FlowToken string         `json:"flow_token"`
	}
	if err := json.Unmarshal(payload, &req); err != nil || req.Version != "3.0" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var answer any
	switch {
	case req.Action == "ping":
		answer = map[string]any{"data": map[string]string{"status": "active"}}
	case req.FlowToken == "expired":
		w.WriteHeader(427)
		return
	case req.Data["error"] != nil:
		answer = map[string]any{"data": map[string]bool{"acknowledged": true}}
	case req.Action == "INIT":
		answer = map[string]any{"screen": "SEARCH", "data": map[string]any{"cities": []string{"Bangalore", "Mysore"}}}
	case req.Action == "BACK":
		answer = map[string]any{"screen": "SEARCH", "data": map[string]any{}}
	case req.Action == "data_exchange" && req.Screen == "SEARCH":
		answer = map[string]any{"screen": "DEPARTURES", "data": map[string]any{"trips": []string{"08:00 " + req.Data["from"].(string)}}}
	case req.Action == "data_exchange":
		answer = map[string]any{"screen": "SUCCESS", "data": map[string]any{"extension_message_response": map[string]any{
			"params": map[string]string{"flow_token": req.FlowToken, "seat": "12A"}}}}
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	plain, _ := json.Marshal(answer)
	text, err := sess.EncryptResponse(plain)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(text)
}

func newKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func call(url, secret string, key func(context.Context, bool) (*rsa.PublicKey, error), payload string) flowendpoint.Call {
	return flowendpoint.Call{FlowID: 7, URL: url, AppSecret: secret, Key: key, Payload: []byte(payload)}
}

func fixedKey(k *rsa.PrivateKey) func(context.Context, bool) (*rsa.PublicKey, error) {
	return func(context.Context, bool) (*rsa.PublicKey, error) { return &k.PublicKey, nil }
}

// TestEndpointProtocol: each action round-trips encrypted both ways;
// a key the endpoint no longer has is refreshed after 421, a stale one
// that stays is ErrKeyRefused; 427 and 432 are their errors.
func TestEndpointProtocol(t *testing.T) {
	key := newKey(t)
	biz := &business{secret: "app-secret", key: key}
	srv := httptest.NewServer(biz)
	defer srv.Close()
	c := flowendpoint.New(srv.Client(), nil)
	ctx := context.Background()

	for _, tc := range []struct{ name, payload, want string }{
		{"ping", `{"version":"3.0","action":"ping"}`, `{"data":{"status":"active"}}`},
		{"INIT", `{"version":"3.0","action":"INIT","flow_token":"tok"}`, `{"data":{"cities":["Bangalore","Mysore"]},"screen":"SEARCH"}`},
		{"data_exchange", `{"version":"3.0","action":"data_exchange","screen":"SEARCH","data":{"from":"Bangalore"},"flow_token":"tok"}`, `{"data":{"trips":["08:00 Bangalore"]},"screen":"DEPARTURES"}`},
		{"BACK", `{"version":"3.0","action":"BACK","screen":"DEPARTURES","flow_token":"tok"}`, `{"data":{},"screen":"SEARCH"}`},
		{"error notification", `{"version":"3.0","action":"data_exchange","screen":"DEPARTURES","data":{"error":"invalid-screen-transition","error_message":"x"},"flow_token":"tok"}`, `{"data":{"acknowledged":true}}`},
		{"complete", `{"version":"3.0","action":"data_exchange","screen":"CONFIRM","data":{},"flow_token":"tok"}`, `{"data":{"extension_message_response":{"params":{"flow_token":"tok","seat":"12A"}}},"screen":"SUCCESS"}`},
	} {
		got, err := c.Do(ctx, call(srv.URL, "app-secret", fixedKey(key), tc.payload))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}

	// 427: the business says the token expired.
	if _, err := c.Do(ctx, call(srv.URL, "app-secret", fixedKey(key), `{"version":"3.0","action":"INIT","flow_token":"expired"}`)); !errors.Is(err, flowendpoint.ErrTokenInvalid) {
		t.Errorf("expired token: got %v, want ErrTokenInvalid", err)
	}
	// 432: signed with another secret.
	if _, err := c.Do(ctx, call(srv.URL, "not-the-secret", fixedKey(key), `{"version":"3.0","action":"ping"}`)); !errors.Is(err, flowendpoint.ErrSignature) {
		t.Errorf("bad signature: got %v, want ErrSignature", err)
	}
	// 421: the business rotated its key; the client reads the key again
	// (refresh) and the second request goes through.
	old := key
	rotated := newKey(t)
	biz.mu.Lock()
	biz.key = rotated
	biz.mu.Unlock()
	var refreshed atomic.Bool
	keyFn := func(_ context.Context, refresh bool) (*rsa.PublicKey, error) {
		if refresh {
			refreshed.Store(true)
			return &rotated.PublicKey, nil
		}
		return &old.PublicKey, nil
	}
	before := biz.calls.Load()
	got, err := c.Do(ctx, call(srv.URL, "app-secret", keyFn, `{"version":"3.0","action":"ping"}`))
	if err != nil || string(got) != `{"data":{"status":"active"}}` || !refreshed.Load() || biz.calls.Load()-before != 2 {
		t.Errorf("after a rotated key: got %s, %v, refreshed %v, %d calls; want the answer after 2 calls", got, err, refreshed.Load(), biz.calls.Load()-before)
	}
	// A key that stays wrong: ErrKeyRefused after one retry.
	before = biz.calls.Load()
	if _, err := c.Do(ctx, call(srv.URL, "app-secret", fixedKey(old), `{"version":"3.0","action":"ping"}`)); !errors.Is(err, flowendpoint.ErrKeyRefused) || biz.calls.Load()-before != 2 {
		t.Errorf("a stale key: got %v after %d calls, want ErrKeyRefused after 2", err, biz.calls.Load()-before)
	}
	// Another status, and an answer that does not decrypt.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/garbage" {
			_, _ = io.WriteString(w, "bm90IGVuY3J5cHRlZA==")
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer bad.Close()
	var se *flowendpoint.StatusError
	if _, err := c.Do(ctx, call(bad.URL, "s", fixedKey(key), `{}`)); !errors.As(err, &se) || se.Status != 503 {
		t.Errorf("503: got %v", err)
	}
	if _, err := c.Do(ctx, call(bad.URL+"/garbage", "s", fixedKey(key), `{}`)); !errors.Is(err, flowendpoint.ErrBadResponse) {
		t.Errorf("garbage answer: got %v, want ErrBadResponse", err)
	}
}

// TestHealthAlerts: errors over the threshold activate the error-rate
// alert once and recovery deactivates it; slow calls activate the
// latency alert; unreachable calls the availability alert.
func TestHealthAlerts(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	var got []flowendpoint.Alert
	h := flowendpoint.NewHealth(func() time.Time { return now }, func(a flowendpoint.Alert) { mu.Lock(); got = append(got, a); mu.Unlock() }, nil)
	for i := 0; i < 9; i++ {
		h.Record(1, 10*time.Millisecond, nil)
	}
	h.Record(1, 10*time.Millisecond, &flowendpoint.StatusError{Status: 500}) // 10%: at the threshold
	if len(got) != 1 || got[0].Event != flowendpoint.EventErrorRate || !got[0].Activated || got[0].Value != 10 || got[0].Calls != 10 {
		t.Fatalf("after 1 error in 10: alerts %+v, want ENDPOINT_ERROR_RATE activated at 10%%", got)
	}
	h.Record(1, 10*time.Millisecond, &flowendpoint.StatusError{Status: 500})
	if len(got) != 1 {
		t.Fatalf("a second error alerted again: %+v", got)
	}
	now = now.Add(flowendpoint.Window + time.Second) // the errors age out
	for i := 0; i < 10; i++ {
		h.Record(1, 10*time.Millisecond, nil)
	}
	if len(got) != 2 || got[1].Event != flowendpoint.EventErrorRate || got[1].Activated {
		t.Fatalf("after recovery: alerts %+v, want ENDPOINT_ERROR_RATE deactivated", got)
	}
	for i := 0; i < 10; i++ {
		h.Record(2, 2*time.Second, nil)
		h.Record(3, 0, errors.New("connection refused"))
	}
	events := map[int64][]string{}
	for _, a := range got[2:] {
		events[a.FlowID] = append(events[a.FlowID], a.Event)
	}
	if len(events[2]) != 1 || events[2][0] != flowendpoint.EventLatency {
		t.Errorf("slow flow: alerts %v, want ENDPOINT_LATENCY", events[2])
	}
	if len(events[3]) != 2 || events[3][0] != flowendpoint.EventErrorRate || events[3][1] != flowendpoint.EventAvailability {
		t.Errorf("unreachable flow: alerts %v, want ENDPOINT_ERROR_RATE and ENDPOINT_AVAILABILITY", events[3])
	}
	if s := h.Snapshot(2); s.Calls != 10 || s.P90 != 2*time.Second {
		t.Errorf("snapshot: %+v", s)
	}
}

// TestHealthConditions: a Flow's endpoint is reported degraded when a
// measure passes its threshold, failing when it stays so for BlockAfter,
// and healthy again when every measure is back; each change once, and
// the first healthy measure too (a restarted node lifts a throttle).
func TestHealthConditions(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var got []flowendpoint.Condition
	h := flowendpoint.NewHealth(func() time.Time { return now }, nil, func(id int64, c flowendpoint.Condition) {
		if id != 7 {
			t.Errorf("condition of flow %d", id)
		}
		got = append(got, c)
	})
	fail := &flowendpoint.StatusError{Status: 500}
	for range 9 {
		h.Record(7, time.Millisecond, nil)
	}
	if len(got) != 0 {
		t.Fatalf("below MinCalls: %v", got)
	}
	h.Record(7, time.Millisecond, nil)
	for range 5 {
		h.Record(7, time.Millisecond, fail)
	}
	want := []flowendpoint.Condition{flowendpoint.Healthy, flowendpoint.Degraded}
	if !slices.Equal(got, want) {
		t.Fatalf("after errors: %v, want %v", got, want)
	}
	// Still failing, a window later and then past BlockAfter.
	for _, step := range []time.Duration{flowendpoint.Window / 2, flowendpoint.BlockAfter} {
		now = now.Add(step)
		for range 10 {
			h.Record(7, time.Millisecond, fail)
		}
	}
	want = append(want, flowendpoint.Failing)
	if !slices.Equal(got, want) {
		t.Fatalf("failing for an hour: %v, want %v", got, want)
	}
	now = now.Add(flowendpoint.Window + time.Second)
	for range 10 {
		h.Record(7, time.Millisecond, nil)
	}
	want = append(want, flowendpoint.Healthy)
	if !slices.Equal(got, want) {
		t.Fatalf("after recovery: %v, want %v", got, want)
	}
}
