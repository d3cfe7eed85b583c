//go:build js && wasm

// Command e2eewasm is package e2ee compiled to WebAssembly for the web
// app (docs/E2EE.md, "The web app"). It runs the same code as the Go
// client and the CLI: the web app's app/crypto.js loads it after first
// paint and calls the functions it sets on globalThis.parleyE2EE. The
// key directory is reached through a JavaScript function the page
// passes in (its fetch, with the session's token); the cryptography and
// every decision of what to encrypt to whom, and what to accept, stay
// in Go. The state is kept by the page (IndexedDB): state() returns it
// after each change.
//
// Build (go generate ./internal/web runs this, reproducibly):
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags=-s -o e2ee.wasm ./internal/web/e2eewasm
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"syscall/js"

	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/wire"
)

func main() {
	m := &module{sealed: map[int]*e2ee.Sealed{}}
	api := js.Global().Get("Object").New()
	set := func(name string, f func(args []js.Value) (any, error)) {
		api.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any { return promise(func() (any, error) { return f(args) }) }))
	}
	set("load", m.load)
	set("create", m.create)
	set("state", m.state)
	set("seal", m.seal)
	set("done", m.done)
	set("open", m.open)
	set("replenish", m.replenish)
	set("refresh", m.refresh)
	set("hasKeys", m.hasKeys)
	set("safetyNumber", m.safetyNumber)
	set("markVerified", m.markVerified)
	set("verified", m.verified)
	set("approve", m.approve)
	set("notices", m.notices)
	set("sealHistoryKey", m.sealHistoryKey)
	set("openHistoryKey", m.openHistoryKey)
	set("newRecoveryKey", newRecoveryKey)
	set("backupKeys", backupKeys)
	set("backupPayload", m.backupPayload)
	set("restoreBackup", m.restoreBackup)
	js.Global().Set("parleyE2EE", api)
	if cb := js.Global().Get("parleyE2EEReady"); cb.Type() == js.TypeFunction {
		cb.Invoke()
	}
	select {}
}

// module is the device of the page, and the group messages sealed but
// not yet accepted by the server (by token).
type module struct {
	mu     sync.Mutex
	dev    *e2ee.Device
	dir    *directory
	sealed map[int]*e2ee.Sealed
	next   int
}

func (m *module) device() (*e2ee.Device, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dev == nil {
		return nil, errors.New("e2ee: no device loaded")
	}
	return m.dev, nil
}

// load(fetch, state) restores the device from the state a previous
// state() returned; fetch(method, path, bodyJSON) is the page's API call.
func (m *module) load(args []js.Value) (any, error) {
	if len(args) != 2 {
		return nil, errors.New("load(fetch, state)")
	}
	d, err := e2ee.Load([]byte(args[1].String()))
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.dev, m.dir = d, &directory{call: args[0]}
	m.mu.Unlock()
	return map[string]any{"account_id": float64(d.AccountID()), "device_id": float64(d.DeviceID())}, nil
}

// create(fetch, accountID, deviceID) makes a new device and publishes its
// keys (and the account's device list if it is the first device). It
// returns whether the device holds the account's signing key.
func (m *module) create(args []js.Value) (any, error) {
	if len(args) != 3 {
		return nil, errors.New("create(fetch, accountID, deviceID)")
	}
	d, err := e2ee.NewDevice(int64(args[1].Float()), int64(args[2].Float()))
	if err != nil {
		return nil, err
	}
	dir := &directory{call: args[0]}
	if err := d.Setup(context.Background(), dir); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.dev, m.dir = d, dir
	m.mu.Unlock()
	return map[string]any{"holds_signing_key": d.HoldsSigningKey()}, nil
}

func (m *module) state([]js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	b, err := d.Marshal()
	return string(b), err
}

// seal(kind, chatID, messageID, devicesJSON, contentJSON) returns
// {envelopes, shared, token} as POST /v1/chats/{id}/messages takes them
// (JSON, bodies in base64); call done(token) once the server accepted it.
func (m *module) seal(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	if len(args) != 5 {
		return nil, errors.New("seal(kind, chatID, messageID, devices, content)")
	}
	var devs []wire.RecipientDevice
	if err := json.Unmarshal([]byte(args[3].String()), &devs); err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	s, err := d.Seal(context.Background(), m.dir, wire.ChatKind(args[0].String()), int64(args[1].Float()), args[2].String(), devs, []byte(args[4].String()))
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.next++
	tok := m.next
	m.sealed[tok] = s
	m.mu.Unlock()
	out, err := json.Marshal(struct {
		Envelopes []wire.Envelope `json:"envelopes"`
		Shared    []byte          `json:"shared,omitempty"`
		Token     int             `json:"token"`
	}{s.Envelopes, s.Shared, tok})
	return string(out), err
}

// done(token) records that the server accepted a sealed message;
// done(token, false) forgets it.
func (m *module) done(args []js.Value) (any, error) {
	if len(args) < 1 {
		return nil, errors.New("done(token)")
	}
	m.mu.Lock()
	s := m.sealed[args[0].Int()]
	delete(m.sealed, args[0].Int())
	m.mu.Unlock()
	if s != nil && (len(args) < 2 || args[1].Truthy()) {
		s.Done()
	}
	return nil, nil
}

// open(entryJSON) decrypts a message entry as the WebSocket delivered it
// and returns {content} (the content JSON) or {error, reason}: reason is
// replay (drop it silently), tampered, untrusted, not_for_you,
// no_session, misrouted or failed.
func (m *module) open(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	var e wire.Entry
	if len(args) != 1 {
		return nil, errors.New("open(entry)")
	}
	if err := json.Unmarshal([]byte(args[0].String()), &e); err != nil {
		return nil, fmt.Errorf("entry: %w", err)
	}
	plain, err := d.Open(context.Background(), m.dir, e)
	if err != nil {
		return map[string]any{"error": err.Error(), "reason": reason(err)}, nil
	}
	return map[string]any{"content": string(plain)}, nil
}

func reason(err error) string {
	for _, r := range []struct {
		err  error
		name string
	}{{e2ee.ErrReplay, "replay"}, {e2ee.ErrTampered, "tampered"}, {e2ee.ErrUntrusted, "untrusted"},
		{e2ee.ErrNotForYou, "not_for_you"}, {e2ee.ErrNoSession, "no_session"}, {e2ee.ErrMisrouted, "misrouted"}} {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "failed"
}

func (m *module) replenish([]js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	return nil, d.Replenish(context.Background(), m.dir)
}

// refresh(accountID) fetches an account's keys and updates which of its
// devices this device trusts.
func (m *module) refresh(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	return nil, d.Refresh(context.Background(), m.dir, int64(args[0].Float()))
}

// hasKeys(accountID) says whether the account has (or ever had) a signed
// device list: a plaintext message from it is then refused.
func (m *module) hasKeys(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	return d.HasKeys(int64(args[0].Float())), nil
}

// safetyNumber(accountID) returns {number, verified} after fetching both
// accounts' keys.
func (m *module) safetyNumber(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	id := int64(args[0].Float())
	n, err := d.FreshSafetyNumber(context.Background(), m.dir, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"number": n, "verified": d.Verified(id)}, nil
}

func (m *module) markVerified(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	id := int64(args[0].Float())
	if _, err := d.FreshSafetyNumber(context.Background(), m.dir, id); err != nil {
		return nil, err
	}
	return d.MarkVerified(id)
}

func (m *module) verified(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	return d.Verified(int64(args[0].Float())), nil
}

// approve(deviceID) signs another device of the account into its list.
func (m *module) approve(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	return nil, d.Approve(context.Background(), m.dir, int64(args[0].Float()))
}

// notices() returns what the person should be told since the last call,
// as JSON: [{account_id, device_id, kind, text}].
func (m *module) notices([]js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	type notice struct {
		AccountID int64  `json:"account_id"`
		DeviceID  int64  `json:"device_id,omitempty"`
		Kind      string `json:"kind"`
		Text      string `json:"text"`
	}
	out := []notice{}
	for _, n := range d.Notices() {
		out = append(out, notice{n.AccountID, n.DeviceID, string(n.Kind), n.Text})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// promise runs f in a goroutine (a js.FuncOf callback must not block:
// the key directory's calls wait on the page's fetch) and returns a
// Promise of its result.
func promise(f func() (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, pa []js.Value) any {
		resolve, reject := pa[0], pa[1]
		go func() {
			defer executor.Release()
			v, err := f()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}

// await waits for a JavaScript promise.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any {
		v := js.Undefined()
		if len(a) > 0 {
			v = a[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "request failed"
		if len(a) > 0 && a[0].Type() == js.TypeObject {
			msg = a[0].Get("message").String()
			if c := a[0].Get("code"); c.Type() == js.TypeString && c.String() != "" {
				msg = c.String() + ": " + msg
			}
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

// directory is e2ee.Directory over the page's API function:
// call(method, path, bodyJSON) returns a Promise of the response's JSON
// text ("" for none).
type directory struct{ call js.Value }

func (d *directory) do(method, path string, in, out any) error {
	body := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = string(b)
	}
	v, err := await(d.call.Invoke(method, path, body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if out == nil || v.Type() != js.TypeString || v.String() == "" {
		return nil
	}
	return json.Unmarshal([]byte(v.String()), out)
}

func (d *directory) UploadKeys(_ context.Context, up wire.KeyUpload) (wire.KeyCount, error) {
	var n wire.KeyCount
	return n, d.do("PUT", "/v1/keys", up, &n)
}

func (d *directory) KeyCount(context.Context) (wire.KeyCount, error) {
	var n wire.KeyCount
	return n, d.do("GET", "/v1/keys/count", nil, &n)
}

func (d *directory) ClaimKeys(_ context.Context, chatID int64, devices []int64) ([]wire.ClaimedKey, error) {
	var out struct {
		Keys []wire.ClaimedKey `json:"keys"`
	}
	err := d.do("POST", "/v1/keys/claim", wire.KeyClaim{ChatID: chatID, Devices: devices}, &out)
	return out.Keys, err
}

func (d *directory) AccountKeys(_ context.Context, accountID int64) (wire.AccountKeys, error) {
	var out wire.AccountKeys
	err := d.do("GET", "/v1/accounts/"+url.PathEscape(strconv.FormatInt(accountID, 10))+"/keys", nil, &out)
	return out, err
}

func (d *directory) PutDeviceList(_ context.Context, l wire.DeviceList) error {
	return d.do("PUT", "/v1/me/device-list", l, nil)
}

// sealHistoryKey(deviceID, mediaKeyJSON) encrypts a history bundle's key
// and hash ({key, sha256}, e2ee.MediaKey) over Olm to another device of
// the account and returns the header of the history entry (JSON). The
// page encrypts the bundle itself with WebCrypto (e2ee.EncryptMedia's
// format) and frames them as e2ee.FrameHistory does.
func (m *module) sealHistoryKey(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	if len(args) != 2 {
		return nil, errors.New("sealHistoryKey(deviceID, key)")
	}
	var k e2ee.MediaKey
	if err := json.Unmarshal([]byte(args[1].String()), &k); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	h, err := d.SealHistoryKey(context.Background(), m.dir, int64(args[0].Float()), k)
	return string(h), err
}

// openHistoryKey(senderAccount, senderDevice, header) returns {key} (the
// e2ee.MediaKey JSON) or {error, reason} as open does.
func (m *module) openHistoryKey(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	if len(args) != 3 {
		return nil, errors.New("openHistoryKey(senderAccount, senderDevice, header)")
	}
	k, err := d.OpenHistoryKey(context.Background(), m.dir, int64(args[0].Float()), int64(args[1].Float()), []byte(args[2].String()))
	if err != nil {
		return map[string]any{"error": err.Error(), "reason": reason(err)}, nil
	}
	b, err := json.Marshal(k)
	return map[string]any{"key": string(b)}, err
}

// newRecoveryKey() returns a fresh recovery key, grouped for writing down.
func newRecoveryKey([]js.Value) (any, error) {
	k, err := e2ee.NewRecoveryKey()
	return k.String(), err
}

// backupKeys(recoveryKey) returns {aes_key, key_id} (base64) derived from
// a recovery key as the person typed it, or {error: "format"} when it is
// not one (a typo). The page encrypts with WebCrypto.
func backupKeys(args []js.Value) (any, error) {
	k, err := e2ee.ParseRecoveryKey(args[0].String())
	if err != nil {
		return map[string]any{"error": "format"}, nil
	}
	aesKey, keyID, err := k.BackupKeys()
	if err != nil {
		return nil, err
	}
	return map[string]any{"aes_key": base64.StdEncoding.EncodeToString(aesKey), "key_id": base64.StdEncoding.EncodeToString(keyID)}, nil
}

// backupPayload() returns the backup's plaintext JSON without history
// (e2ee.Device.BackupPayload); the page adds its bundle as "history".
func (m *module) backupPayload([]js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	b, err := d.BackupPayload(nil)
	return string(b), err
}

// restoreBackup(payloadJSON) adds a backup's group sessions and signing
// key to the device and signs it into the account's list when every
// listed device is gone (e2ee.Device.Reclaim). It returns the number of
// sessions added.
func (m *module) restoreBackup(args []js.Value) (any, error) {
	d, err := m.device()
	if err != nil {
		return nil, err
	}
	_, n, err := d.RestoreBackup([]byte(args[0].String()))
	if err != nil {
		return nil, err
	}
	if err := d.Reclaim(context.Background(), m.dir); err != nil {
		return nil, err
	}
	return float64(n), nil
}
