package server_test

// Notifications end to end (docs/NOTIFICATIONS.md): a real server pushes
// to a local RFC 8030 push service written here, which checks the VAPID
// signature (RFC 8292) and decrypts each push as a user agent does (RFC
// 8291) with the subscription's private key.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/wire"
)

// pushDevice is a user agent's side of one subscription: its keys, and
// the pushes the push service received for it.
type pushDevice struct {
	key  *ecdh.PrivateKey
	auth []byte

	mu       sync.Mutex
	pushes   []receivedPush
	statuses []int // the next answers of the push service (201 when empty)
	attempts int
}

// receivedPush is a push as the push service saw it, decrypted.
type receivedPush struct {
	raw       []byte
	plaintext []byte
	header    http.Header
}

// pushService is a local RFC 8030 push service.
type pushService struct {
	t     *testing.T
	srv   *httptest.Server
	vapid string // the application server key it expects

	mu      sync.Mutex
	devices map[string]*pushDevice
}

func newPushService(t *testing.T) *pushService {
	ps := &pushService{t: t, devices: map[string]*pushDevice{}}
	ps.srv = httptest.NewServer(http.HandlerFunc(ps.serve))
	t.Cleanup(ps.srv.Close)
	return ps
}

// device makes a subscription: its endpoint and keys.
func (ps *pushService) device(name string) (*pushDevice, map[string]any) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		ps.t.Fatal(err)
	}
	d := &pushDevice{key: key, auth: make([]byte, 16)}
	_, _ = rand.Read(d.auth)
	ps.mu.Lock()
	ps.devices[name] = d
	ps.mu.Unlock()
	b64 := base64.RawURLEncoding.EncodeToString
	return d, map[string]any{"endpoint": ps.srv.URL + "/push/" + name, "kind": "webpush",
		"keys": map[string]string{"p256dh": b64(key.PublicKey().Bytes()), "auth": b64(d.auth)}}
}

func (ps *pushService) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/push/")
	ps.mu.Lock()
	d := ps.devices[name]
	vapid := ps.vapid
	ps.mu.Unlock()
	if r.Method != http.MethodPost || !ok || d == nil {
		http.Error(w, "no such subscription", http.StatusNotFound)
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		http.Error(w, "want aes128gcm and a TTL", http.StatusBadRequest)
		return
	}
	if err := checkVAPID(r.Header.Get("Authorization"), vapid, "http://"+r.Host); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8192))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.attempts++
	if len(d.statuses) > 0 {
		st := d.statuses[0]
		d.statuses = d.statuses[1:]
		if st != http.StatusCreated {
			w.WriteHeader(st)
			return
		}
	}
	plain, err := decryptPush(d.key, d.auth, body)
	if err != nil {
		http.Error(w, "decrypt: "+err.Error(), http.StatusBadRequest)
		return
	}
	d.pushes = append(d.pushes, receivedPush{raw: body, plaintext: plain, header: r.Header.Clone()})
	w.WriteHeader(http.StatusCreated)
}

// checkVAPID verifies "vapid t=<JWT>, k=<key>" (RFC 8292): the key is the
// server's, the JWT is signed with it, for this origin, not expired.
func checkVAPID(h, want, origin string) error {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return fmt.Errorf("authorization %q is not vapid", h)
	}
	var tok, k string
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			tok = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	if k != want {
		return fmt.Errorf("vapid key %q, want %q", k, want)
	}
	raw, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil || len(raw) != 65 {
		return fmt.Errorf("vapid key: %v", err)
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(raw[1:33]), Y: new(big.Int).SetBytes(raw[33:])}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(origin), jwt.WithExpirationRequired()); err != nil {
		return fmt.Errorf("vapid jwt: %w", err)
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return fmt.Errorf("vapid jwt has no sub")
	}
	return nil
}

// decryptPush decrypts an aes128gcm body (RFC 8188) as the user agent of
// RFC 8291, section 3.4, with its private key and auth secret.
func decryptPush(ua *ecdh.PrivateKey, auth, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, fmt.Errorf("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || idlen != 65 {
		return nil, fmt.Errorf("key id of %d bytes", idlen)
	}
	asPub, ct := body[21:21+idlen], body[21+idlen:]
	if uint32(len(ct)) > rs {
		return nil, fmt.Errorf("more than one record")
	}
	as, err := ecdh.P256().NewPublicKey(asPub)
	if err != nil {
		return nil, err
	}
	secret, err := ua.ECDH(as)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), ua.PublicKey().Bytes()...), asPub...)
	prk, err := hkdf.Extract(sha256.New, secret, auth)
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Expand(sha256.New, prk, string(info), 32)
	if err != nil {
		return nil, err
	}
	prk2, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk2, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk2, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, err
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, fmt.Errorf("no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}

func (d *pushDevice) received() []receivedPush {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]receivedPush(nil), d.pushes...)
}

func (d *pushDevice) answer(statuses ...int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.statuses = append(d.statuses, statuses...)
}

// waitPushes waits until d received n pushes, then checks that no more
// arrive for quiet.
func waitPushes(t *testing.T, d *pushDevice, n int, quiet time.Duration) []receivedPush {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(d.received()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(quiet)
	got := d.received()
	if len(got) != n {
		t.Fatalf("got %d pushes, want %d", len(got), n)
	}
	return got
}

func TestPush(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			opts := []servertest.Option{servertest.WithOptions(func(o *server.Options) {
				o.Push.Insecure = true // the push service is on loopback, over http
				o.Push.Window = 700 * time.Millisecond
				o.Push.BaseBackoff = 50 * time.Millisecond
				o.Push.Poll = 50 * time.Millisecond
			})}
			if store == "postgres" {
				opts = append(opts, servertest.WithPostgres(t, servertest.PostgresDSN(t)))
			}
			testPush(t, servertest.Start(t, opts...))
		})
	}
}

func testPush(t *testing.T, srv *servertest.Server) {
	ctx := context.Background()
	ps := newPushService(t)
	alice := login(t, srv, "+14155550141")
	bob := login(t, srv, "+14155550142")
	status, _, body := call(t, srv, "GET", "/v1/push/vapid", bob.Token, "", nil)
	var vapid struct {
		PublicKey string `json:"public_key"`
	}
	if status != 200 || json.Unmarshal(body, &vapid) != nil || vapid.PublicKey == "" {
		t.Fatalf("GET /v1/push/vapid: %d %s", status, body)
	}
	ps.vapid = vapid.PublicKey
	subscribe := func(p person, sub map[string]any) {
		t.Helper()
		b, _ := json.Marshal(sub)
		if status, _, body := call(t, srv, "PUT", "/v1/push/subscription", p.Token, "application/json", b); status != 204 {
			t.Fatalf("subscribe: %d %s", status, body)
		}
	}
	bobDev, sub := ps.device("bob")
	subscribe(bob, sub)
	chat, err := alice.c.OpenDirect(ctx, bob.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "meet me at the old mill at noon"
	n := 0
	send := func() {
		t.Helper()
		devs, err := alice.c.RecipientDevices(ctx, chat.ID)
		if err != nil {
			t.Fatal(err)
		}
		var envs []wire.Envelope
		for _, d := range devs {
			envs = append(envs, wire.Envelope{DeviceID: d.DeviceID, Body: []byte(secret)})
		}
		n++
		if _, err := alice.c.Send(ctx, chat.ID, client.SendRequest{MessageID: fmt.Sprintf("m%d", n), Envelopes: envs}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a message to an offline device is one push with no text", func(t *testing.T) {
		start := time.Now()
		send()
		for len(bobDev.received()) == 0 && time.Since(start) < 10*time.Second {
			time.Sleep(time.Millisecond)
		}
		t.Logf("from the send to the push: %v", time.Since(start).Round(time.Millisecond))
		got := waitPushes(t, bobDev, 1, 200*time.Millisecond)
		var payload map[string]any
		if err := json.Unmarshal(got[0].plaintext, &payload); err != nil {
			t.Fatalf("payload %q: %v", got[0].plaintext, err)
		}
		want := map[string]any{"chat_id": float64(chat.ID), "kind": "message"}
		if fmt.Sprint(payload) != fmt.Sprint(want) {
			t.Errorf("got payload %v, want %v", payload, want)
		}
		for _, b := range [][]byte{got[0].raw, got[0].plaintext} {
			if bytes.Contains(b, []byte("old mill")) {
				t.Errorf("the push carries the message text")
			}
		}
		h := got[0].header
		if h.Get("Topic") == "" || h.Get("TTL") != "86400" || h.Get("Urgency") != "high" {
			t.Errorf("got Topic %q TTL %q Urgency %q, want a topic, 86400, high", h.Get("Topic"), h.Get("TTL"), h.Get("Urgency"))
		}
	})

	t.Run("messages in a burst are one more push", func(t *testing.T) {
		send()
		send()
		send()
		waitPushes(t, bobDev, 2, time.Second)
	})

	t.Run("a connected device gets no push", func(t *testing.T) {
		time.Sleep(800 * time.Millisecond) // past the coalescing window
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		conn, err := bob.c.Connect(wctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for {
			ev, err := conn.Next(wctx)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type == wire.EventReady {
				break
			}
		}
		send()
		for {
			ev, err := conn.Next(wctx)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type == wire.EventEntry && ev.Entry.MessageID == fmt.Sprintf("m%d", n) {
				break
			}
		}
		waitPushes(t, bobDev, 2, time.Second)
		conn.Close()
		time.Sleep(200 * time.Millisecond) // the node forgets the session
	})

	t.Run("a muted chat pushes nothing", func(t *testing.T) {
		if status, _, body := call(t, srv, "PUT", fmt.Sprintf("/v1/chats/%d/mute", chat.ID), bob.Token, "application/json",
			[]byte(`{"until":"always"}`)); status != 200 {
			t.Fatalf("mute: %d %s", status, body)
		}
		if status, _, body := call(t, srv, "GET", fmt.Sprintf("/v1/chats/%d/mute", chat.ID), bob.Token, "", nil); status != 200 ||
			string(bytes.TrimSpace(body)) != `{"until":"always"}` {
			t.Errorf("GET mute: got %d %s, want 200 {\"until\":\"always\"}", status, body)
		}
		time.Sleep(800 * time.Millisecond) // past the coalescing window
		send()
		waitPushes(t, bobDev, 2, time.Second)
		if status, _, body := call(t, srv, "DELETE", fmt.Sprintf("/v1/chats/%d/mute", chat.ID), bob.Token, "", nil); status != 204 {
			t.Fatalf("unmute: %d %s", status, body)
		}
		if status, _, body := call(t, srv, "GET", fmt.Sprintf("/v1/chats/%d/mute", chat.ID), bob.Token, "", nil); status != 200 ||
			string(bytes.TrimSpace(body)) != `{"until":null}` {
			t.Errorf("GET mute after unmute: got %d %s, want 200 {\"until\":null}", status, body)
		}
	})

	t.Run("do-not-disturb pushes nothing", func(t *testing.T) {
		until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if status, _, body := call(t, srv, "PUT", "/v1/push/dnd", bob.Token, "application/json",
			[]byte(`{"until":"`+until+`"}`)); status != 200 {
			t.Fatalf("dnd: %d %s", status, body)
		}
		send()
		waitPushes(t, bobDev, 2, time.Second)
		if status, _, body := call(t, srv, "DELETE", "/v1/push/dnd", bob.Token, "", nil); status != 204 {
			t.Fatalf("end dnd: %d %s", status, body)
		}
	})

	t.Run("a push refused with 500 is retried", func(t *testing.T) {
		bobDev.answer(500, 503)
		send()
		waitPushes(t, bobDev, 3, 200*time.Millisecond)
		bobDev.mu.Lock()
		attempts := bobDev.attempts
		bobDev.mu.Unlock()
		if attempts != 5 { // 2 before, then 500, 503, 201
			t.Errorf("got %d attempts in all, want 5", attempts)
		}
	})

	t.Run("none after the device is revoked", func(t *testing.T) {
		bob2 := login(t, srv, "+14155550142")
		bob2Dev, sub2 := ps.device("bob2")
		subscribe(bob2, sub2)
		if err := bob.c.RevokeDevice(ctx, bob2.DeviceID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(800 * time.Millisecond)
		send()
		waitPushes(t, bobDev, 4, 500*time.Millisecond)
		waitPushes(t, bob2Dev, 0, 0)
	})

	t.Run("410 removes the subscription", func(t *testing.T) {
		bobDev.mu.Lock()
		before := bobDev.attempts
		bobDev.mu.Unlock()
		bobDev.answer(410)
		time.Sleep(800 * time.Millisecond)
		send()
		deadline := time.Now().Add(10 * time.Second)
		for {
			bobDev.mu.Lock()
			done := bobDev.attempts > before
			bobDev.mu.Unlock()
			if done {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no push attempt")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // the server records the answer
		if status, _, body := call(t, srv, "DELETE", "/v1/push/subscription", bob.Token, "", nil); status != 404 {
			t.Fatalf("DELETE /v1/push/subscription after a 410: got %d %s, want 404", status, body)
		}
		send()
		waitPushes(t, bobDev, 4, 500*time.Millisecond)
	})

	t.Run("UnifiedPush: the same protocol at another endpoint", func(t *testing.T) {
		upDev, sub := ps.device("bob-unifiedpush")
		sub["kind"] = "unifiedpush"
		subscribe(bob, sub)
		time.Sleep(800 * time.Millisecond) // past the coalescing window
		send()
		got := waitPushes(t, upDev, 1, 200*time.Millisecond)
		if want := fmt.Sprintf(`{"chat_id":%d,"kind":"message"}`, chat.ID); string(got[0].plaintext) != want {
			t.Errorf("got payload %s, want %s", got[0].plaintext, want)
		}
	})
}
