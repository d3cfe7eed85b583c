// Package e2ee is Parley's end-to-end encryption on a device: the Olm
// account of the device, its pairwise Olm sessions with other devices,
// its Megolm group sessions, the signed device lists it trusts, safety
// numbers and media encryption. The cryptography is goolm's
// (maunium.net/go/mautrix/crypto/goolm, used unmodified) and the Go
// standard library's; this package writes none by hand. It decides what
// to encrypt to whom and what to accept, and keeps the state that needs.
//
// It imports goolm, the kernel and wire only, does no I/O of its own and
// uses no cgo, so that it builds for GOOS=js GOARCH=wasm: the web app
// runs it as WebAssembly (internal/web/e2eewasm). The order of the calls
// to the key directory is here (directory.go), made through a Directory
// the caller supplies (client.Client over HTTP, the web page's fetch);
// the caller sends envelopes and stores the state that Marshal returns.
// docs/E2EE.md describes the protocol.
package e2ee

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"maunium.net/go/mautrix/crypto/goolm/account"
	"maunium.net/go/mautrix/crypto/goolm/session"
	"maunium.net/go/mautrix/id"

	"github.com/parleyhq/parley/wire"
)

// Key pool sizes: the device keeps TargetOneTimeKeys published and tops
// the pool up when the server says fewer than LowOneTimeKeys are left.
const (
	TargetOneTimeKeys = 50
	LowOneTimeKeys    = 20
)

// Group session rotation (docs/E2EE.md): a sending device starts a new
// Megolm session after this many messages or this long, and whenever a
// device it shared the session with is no longer a recipient.
const (
	RotateAfterMessages = 100
	RotateAfter         = 7 * 24 * time.Hour
)

// pickleKey encrypts goolm's pickles inside the marshalled state. The
// state is protected by where it is kept (a file of mode 0600 in the
// profile folder); this key only satisfies goolm's pickle format, so it
// is a constant (docs/E2EE.md, "Known limits").
var pickleKey = []byte("parley e2ee device state v1")

// Device is one device's end-to-end state. Its methods are safe for
// concurrent use. After any call that changes it (sending, receiving,
// publishing keys, learning peers) the caller stores Marshal's bytes.
type Device struct {
	mu        sync.Mutex
	accountID int64
	deviceID  int64
	acct      *account.Account
	// signing is the account's signing key, when this device holds it.
	signing ed25519.PrivateKey
	// olm holds the pairwise sessions by the peer device's curve25519 key,
	// newest last.
	olm     map[string][]*session.OlmSession
	out     map[int64]*outGroup // this device's group session per chat
	in      map[string]*inGroup // inbound group sessions by session id
	peers   map[int64]*peer     // accounts, own included
	seen    *seenSet            // replay protection
	notices []Notice
	now     func() time.Time
}

// Notice is something the person should be told: a contact's devices
// changed, keys changed, a device is not in a signed list, a message was
// rejected.
type Notice struct {
	AccountID int64
	DeviceID  int64 // 0 when about the account
	Kind      NoticeKind
	Text      string
}

// NoticeKind says what a Notice is about.
type NoticeKind string

// The notice kinds.
const (
	NoticeDevicesChanged NoticeKind = "devices_changed"  // a contact linked or unlinked a device
	NoticeKeysChanged    NoticeKind = "keys_changed"     // a contact's signing key changed
	NoticeVerifiedBroken NoticeKind = "verified_changed" // a verified contact's keys changed
	NoticeUnlistedDevice NoticeKind = "unlisted_device"  // a device the server lists that no signed list names
	NoticeRejected       NoticeKind = "rejected_message" // tampered, replayed or misrouted ciphertext
)

// NewDevice makes the end-to-end state of a new device: a fresh Olm
// account (identity keys).
func NewDevice(accountID, deviceID int64) (*Device, error) {
	a, err := account.NewAccount()
	if err != nil {
		return nil, fmt.Errorf("new olm account: %w", err)
	}
	return &Device{accountID: accountID, deviceID: deviceID, acct: a,
		olm: map[string][]*session.OlmSession{}, out: map[int64]*outGroup{}, in: map[string]*inGroup{},
		peers: map[int64]*peer{}, seen: newSeenSet(), now: time.Now}, nil
}

// AccountID returns the account the device belongs to.
func (d *Device) AccountID() int64 { return d.accountID }

// DeviceID returns the device's id.
func (d *Device) DeviceID() int64 { return d.deviceID }

// SetClock replaces the clock (tests of rotation).
func (d *Device) SetClock(now func() time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
}

// Notices returns what happened since the last call and forgets it.
func (d *Device) Notices() []Notice {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.notices
	d.notices = nil
	return n
}

func (d *Device) notice(n Notice) { d.notices = append(d.notices, n) }

func (d *Device) curve() string { return string(d.acct.IdKeys.Curve25519.B64Encoded()) }
func (d *Device) ed() string    { return string(d.acct.IdKeys.Ed25519.B64Encoded()) }

func (d *Device) sign(text string) string {
	sig, _ := d.acct.Sign([]byte(text)) // fails only for an empty message
	return string(sig)
}

// IdentityKeys returns the device's identity keys, signed, as PUT
// /v1/keys takes them.
func (d *Device) IdentityKeys() wire.IdentityKeys {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := wire.IdentityKeys{Curve25519: d.curve(), Ed25519: d.ed()}
	k.Signature = d.sign(k.SignedText(d.accountID, d.deviceID))
	return k
}

// KeyUpload returns what the device should publish given how many
// one-time keys the server still has: the identity keys, new one-time
// keys up to TargetOneTimeKeys, and a fallback key if there is none. ok
// is false when nothing is needed. Call MarkPublished once the server
// accepted it.
func (d *Device) KeyUpload(have wire.KeyCount, first bool) (up wire.KeyUpload, ok bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if first {
		k := wire.IdentityKeys{Curve25519: d.curve(), Ed25519: d.ed()}
		k.Signature = d.sign(k.SignedText(d.accountID, d.deviceID))
		up.Identity = &k
	}
	if have.OneTimeKeys < LowOneTimeKeys || first {
		want := TargetOneTimeKeys - have.OneTimeKeys
		unpublished, _ := d.acct.OneTimeKeys()
		if n := want - len(unpublished); n > 0 {
			if err := d.acct.GenOneTimeKeys(uint(n)); err != nil {
				return up, false, fmt.Errorf("generate one-time keys: %w", err)
			}
		}
		keys, _ := d.acct.OneTimeKeys()
		ids := make([]string, 0, len(keys))
		for kid := range keys {
			ids = append(ids, kid)
		}
		sort.Strings(ids)
		for _, kid := range ids {
			k := wire.OneTimeKey{KeyID: kid, Key: string(keys[kid])}
			k.Signature = d.sign(k.SignedText(d.deviceID))
			up.OneTimeKeys = append(up.OneTimeKeys, k)
		}
	}
	if !have.FallbackKey || first {
		if len(d.acct.FallbackKey()) == 0 {
			if err := d.acct.GenFallbackKey(); err != nil {
				return up, false, fmt.Errorf("generate fallback key: %w", err)
			}
		}
		for kid, key := range d.acct.FallbackKey() {
			k := wire.OneTimeKey{KeyID: kid, Key: string(key)}
			k.Signature = d.sign(k.SignedText(d.deviceID))
			up.FallbackKey = &k
		}
	}
	return up, up.Identity != nil || len(up.OneTimeKeys) > 0 || up.FallbackKey != nil, nil
}

// MarkPublished records that the keys KeyUpload returned are on the server.
func (d *Device) MarkPublished() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.acct.MarkKeysAsPublished()
}

// state is the marshalled form of a Device.
type state struct {
	Version   int                     `json:"version"`
	AccountID int64                   `json:"account_id"`
	DeviceID  int64                   `json:"device_id"`
	Account   []byte                  `json:"account"`
	Signing   []byte                  `json:"signing_key,omitempty"`
	Olm       map[string][][]byte     `json:"olm"`
	Out       map[string]outGroupJSON `json:"out"`
	In        map[string]inGroupJSON  `json:"in"`
	Peers     map[string]*peer        `json:"peers"`
	Seen      []string                `json:"seen"`
}

// Marshal returns the device's whole state, private keys included: keep
// it where only the device's owner can read it.
func (d *Device) Marshal() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := state{Version: 1, AccountID: d.accountID, DeviceID: d.deviceID, Signing: d.signing,
		Olm: map[string][][]byte{}, Out: map[string]outGroupJSON{}, In: map[string]inGroupJSON{},
		Peers: map[string]*peer{}, Seen: d.seen.list()}
	var err error
	if st.Account, err = d.acct.Pickle(pickleKey); err != nil {
		return nil, fmt.Errorf("pickle account: %w", err)
	}
	for k, ss := range d.olm {
		for _, s := range ss {
			p, err := s.Pickle(pickleKey)
			if err != nil {
				return nil, fmt.Errorf("pickle olm session: %w", err)
			}
			st.Olm[k] = append(st.Olm[k], p)
		}
	}
	for chat, g := range d.out {
		j, err := g.marshal()
		if err != nil {
			return nil, err
		}
		st.Out[strconv.FormatInt(chat, 10)] = j
	}
	for sid, g := range d.in {
		j, err := g.marshal()
		if err != nil {
			return nil, err
		}
		st.In[sid] = j
	}
	for a, p := range d.peers {
		st.Peers[strconv.FormatInt(a, 10)] = p
	}
	return json.Marshal(st)
}

// Load restores a Device that Marshal returned.
func Load(b []byte) (*Device, error) {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decode e2ee state: %w", err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("e2ee state version %d: this build reads version 1", st.Version)
	}
	a, err := account.AccountFromPickled(st.Account, pickleKey)
	if err != nil {
		return nil, fmt.Errorf("unpickle account: %w", err)
	}
	d := &Device{accountID: st.AccountID, deviceID: st.DeviceID, acct: a, signing: st.Signing,
		olm: map[string][]*session.OlmSession{}, out: map[int64]*outGroup{}, in: map[string]*inGroup{},
		peers: map[int64]*peer{}, seen: newSeenSet(), now: time.Now}
	for k, ps := range st.Olm {
		for _, p := range ps {
			s, err := session.OlmSessionFromPickled(p, pickleKey)
			if err != nil {
				return nil, fmt.Errorf("unpickle olm session: %w", err)
			}
			d.olm[k] = append(d.olm[k], s)
		}
	}
	for k, j := range st.Out {
		chat, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("e2ee state: chat %q: %w", k, err)
		}
		g, err := j.unmarshal()
		if err != nil {
			return nil, err
		}
		d.out[chat] = g
	}
	for sid, j := range st.In {
		g, err := j.unmarshal()
		if err != nil {
			return nil, err
		}
		d.in[sid] = g
	}
	for k, p := range st.Peers {
		acct, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("e2ee state: account %q: %w", k, err)
		}
		p.fill()
		d.peers[acct] = p
	}
	for _, s := range st.Seen {
		d.seen.add(s)
	}
	return d, nil
}

// Errors that Decrypt returns; errors.Is tells them apart.
var (
	// ErrReplay: this ciphertext was already decrypted; drop it.
	ErrReplay = errors.New("e2ee: replayed message")
	// ErrTampered: the ciphertext does not authenticate, or its content
	// does not match where it came from.
	ErrTampered = errors.New("e2ee: message failed authentication")
	// ErrUntrusted: the sender's device is not in its account's signed
	// device list.
	ErrUntrusted = errors.New("e2ee: sender device is not in a signed device list")
	// ErrNotForYou: the message was not encrypted to this device (it was
	// flagged by the sender, or sent before the device was trusted).
	ErrNotForYou = errors.New("e2ee: message not encrypted to this device")
	// ErrNoSession: a group message whose session key never reached this
	// device (it joined later, or the key is lost).
	ErrNoSession = errors.New("e2ee: no session for this group message")
	// ErrMisrouted: a pairwise payload on the group path or the reverse.
	ErrMisrouted = errors.New("e2ee: message type not allowed on this path")
)

// seenSet remembers the last seenMax ciphertext ids (hashes, session
// indexes), to drop replays.
type seenSet struct {
	m     map[string]bool
	order []string
}

const seenMax = 20000

func newSeenSet() *seenSet { return &seenSet{m: map[string]bool{}} }

func (s *seenSet) has(k string) bool { return s.m[k] }

func (s *seenSet) add(k string) {
	if s.m[k] {
		return
	}
	s.m[k] = true
	s.order = append(s.order, k)
	if len(s.order) > seenMax {
		delete(s.m, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *seenSet) list() []string { return append([]string(nil), s.order...) }

func b64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

func curveID(s string) id.Curve25519 { return id.Curve25519(s) }
