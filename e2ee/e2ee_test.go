package e2ee

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/wire"
)

// dir is an in-memory key directory, as the server keeps one: what the
// devices published, handed out as GET /v1/accounts/{id}/keys and POST
// /v1/keys/claim would.
type dir struct {
	t     testing.TB
	lists map[int64]*wire.DeviceList
	ids   map[int64]map[int64]wire.IdentityKeys // account → device → keys
	otks  map[int64][]wire.OneTimeKey
	devs  map[int64]*Device
}

func newDir(t testing.TB) *dir {
	return &dir{t: t, lists: map[int64]*wire.DeviceList{}, ids: map[int64]map[int64]wire.IdentityKeys{}, otks: map[int64][]wire.OneTimeKey{}, devs: map[int64]*Device{}}
}

func (x *dir) keys(acct int64) wire.AccountKeys {
	ak := wire.AccountKeys{AccountID: acct, DeviceList: x.lists[acct]}
	ids := x.ids[acct]
	var devs []int64
	for d := range ids {
		devs = append(devs, d)
	}
	slices.Sort(devs)
	for _, d := range devs {
		ak.Devices = append(ak.Devices, wire.DeviceKeys{DeviceID: d, Identity: ids[d]})
	}
	return ak
}

// join makes a device and publishes its keys; the account's first
// device makes its signed list, a later one is approved by approver.
func (x *dir) join(acct, dev int64, approver *Device) *Device {
	x.t.Helper()
	d, err := NewDevice(acct, dev)
	if err != nil {
		x.t.Fatal(err)
	}
	up, _, err := d.KeyUpload(wire.KeyCount{}, true)
	if err != nil {
		x.t.Fatal(err)
	}
	d.MarkPublished()
	if x.ids[acct] == nil {
		x.ids[acct] = map[int64]wire.IdentityKeys{}
	}
	x.ids[acct][dev] = *up.Identity
	x.otks[dev] = up.OneTimeKeys
	x.devs[dev] = d
	l, err := d.OwnDeviceList(x.keys(acct))
	if err != nil {
		x.t.Fatal(err)
	}
	if l != nil {
		x.lists[acct] = l
	}
	if approver != nil {
		l, err := approver.ApproveDevice(x.keys(acct), dev)
		if err != nil {
			x.t.Fatal(err)
		}
		x.lists[acct] = l
	}
	return d
}

// learn has d fetch the keys of every account.
func (x *dir) learn(ds ...*Device) {
	x.t.Helper()
	for _, d := range ds {
		for acct := range x.ids {
			if _, err := d.UpdatePeer(x.keys(acct)); err != nil {
				x.t.Fatal(err)
			}
		}
	}
}

// claim gives from sessions with the targets' devices.
func (x *dir) claim(from *Device, targets []Target) {
	x.t.Helper()
	var ks []wire.ClaimedKey
	for _, dev := range from.MissingSessions(targets) {
		for _, t := range targets {
			if t.DeviceID != dev || len(x.otks[dev]) == 0 {
				continue
			}
			k := x.otks[dev][0]
			x.otks[dev] = x.otks[dev][1:]
			ks = append(ks, wire.ClaimedKey{AccountID: t.AccountID, DeviceID: dev, Identity: x.ids[t.AccountID][dev], OneTimeKey: k})
		}
	}
	if err := from.AddClaimedKeys(ks); err != nil {
		x.t.Fatal(err)
	}
}

func entry(from *Device, chat int64, msg string, body []byte) wire.Entry {
	return wire.Entry{Type: wire.EntryMessage, ChatID: chat, MessageID: msg, Kind: wire.KindMessage, SenderAccount: from.AccountID(), SenderDevice: from.DeviceID(), Body: body}
}

func sendDirect(t testing.TB, x *dir, from *Device, chat int64, msg, text string, to ...*Device) map[int64]wire.Entry {
	t.Helper()
	var targets []Target
	for _, d := range to {
		targets = append(targets, Target{d.AccountID(), d.DeviceID()})
	}
	x.claim(from, targets)
	envs, err := from.EncryptDirect(chat, msg, targets, []byte(fmt.Sprintf("%q", text)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]wire.Entry{}
	for _, e := range envs {
		out[e.DeviceID] = entry(from, chat, msg, e.Body)
	}
	return out
}

func wantText(t testing.TB, d *Device, e wire.Entry, key []byte, want string) {
	t.Helper()
	got, err := d.Decrypt(e, key)
	if err != nil {
		t.Fatalf("device %d decrypt %s: %v", d.DeviceID(), e.MessageID, err)
	}
	if w := fmt.Sprintf("%q", want); string(got) != w {
		t.Fatalf("device %d decrypt %s: got %s, want %s", d.DeviceID(), e.MessageID, got, w)
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func TestDirectRoundTrip(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)

	es := sendDirect(t, x, alice, 1, "m1", "hello bob", bob)
	wantText(t, bob, es[21], nil, "hello bob")
	es = sendDirect(t, x, bob, 1, "m2", "hi alice", alice)
	wantText(t, alice, es[11], nil, "hi alice")
	// Out of order: two messages, the second read first.
	e3 := sendDirect(t, x, alice, 1, "m3", "three", bob)
	e4 := sendDirect(t, x, alice, 1, "m4", "four", bob)
	wantText(t, bob, e4[21], nil, "four")
	wantText(t, bob, e3[21], nil, "three")

	// The state survives Marshal and Load on both sides.
	for _, p := range []**Device{&alice, &bob} {
		b, err := (*p).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if *p, err = Load(b); err != nil {
			t.Fatal(err)
		}
	}
	es = sendDirect(t, x, bob, 1, "m5", "after reload", alice)
	wantText(t, alice, es[11], nil, "after reload")
}

func TestTamperedAndReplayed(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	e := sendDirect(t, x, alice, 1, "m1", "first", bob)[21]

	var env envelope
	if err := json.Unmarshal(e.Body, &env); err != nil {
		t.Fatal(err)
	}
	flipped := env
	b := []byte(flipped.Body)
	b[len(b)/2] ^= 'A' ^ 'B'
	if b[len(b)/2] == env.Body[len(b)/2] {
		b[len(b)/2] = 'C'
	}
	flipped.Body = string(b)
	bad := e
	bad.Body, _ = json.Marshal(flipped)
	_, err := bob.Decrypt(bad, nil)
	wantErr(t, "modified ciphertext", err, ErrTampered)
	if n := bob.Notices(); len(n) != 1 || n[0].Kind != NoticeRejected {
		t.Fatalf("notices after a tampered message: got %v, want one %s", n, NoticeRejected)
	}

	wantText(t, bob, e, nil, "first")
	_, err = bob.Decrypt(e, nil)
	wantErr(t, "replayed message", err, ErrReplay)

	// The same ciphertext under another message id or chat is refused.
	e2 := sendDirect(t, x, alice, 1, "m2", "second", bob)[21]
	moved := e2
	moved.MessageID = "other"
	_, err = bob.Decrypt(moved, nil)
	wantErr(t, "ciphertext moved to another message id", err, ErrTampered)
}

func TestUnlistedDeviceGetsNothing(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	// The server adds a device to Bob's account that no device of Bob's signed.
	evil := x.join(2, 22, nil)
	x.learn(alice, bob, evil)
	notices := alice.Notices()
	if !slices.ContainsFunc(notices, func(n Notice) bool { return n.Kind == NoticeUnlistedDevice && n.DeviceID == 22 }) {
		t.Fatalf("alice's notices: got %v, want device 22 flagged", notices)
	}
	es := sendDirect(t, x, alice, 1, "m1", "secret", bob, evil)
	wantText(t, bob, es[21], nil, "secret")
	_, err := evil.Decrypt(es[22], nil)
	wantErr(t, "the unlisted device decrypting", err, ErrNotForYou)
	if bytes.Contains(es[22].Body, []byte("secret")) {
		t.Fatal("the unlisted device's envelope holds the text")
	}
	// Nor does it get a group's key.
	gs, err := alice.EncryptGroup(5, "g1", []Target{{2, 21}, {2, 22}}, []byte(`"group secret"`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = evil.Decrypt(entry(alice, 5, "g1", gs.Shared), gs.Keys[22])
	wantErr(t, "the unlisted device decrypting a group message", err, ErrNotForYou)
	// And a message from it is refused.
	x.claim(evil, []Target{{1, 11}})
	if _, err := alice.Decrypt(entry(evil, 1, "x", noneEnvelope("")), nil); err == nil {
		t.Fatal("a message from an unlisted device was accepted")
	}
}

func TestApprovedDevice(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	bob2 := x.join(2, 22, bob) // Bob approves his new laptop
	x.learn(alice, bob, bob2)
	if n := alice.Notices(); !slices.ContainsFunc(n, func(n Notice) bool { return n.Kind == NoticeDevicesChanged }) {
		t.Fatalf("alice's notices: got %v, want a devices_changed notice", n)
	}
	es := sendDirect(t, x, alice, 1, "m1", "to both", bob, bob2)
	wantText(t, bob, es[21], nil, "to both")
	wantText(t, bob2, es[22], nil, "to both")
}

func groupSend(t testing.TB, x *dir, from *Device, chat int64, msg, text string, to ...*Device) (*GroupSealed, []Target) {
	t.Helper()
	var targets []Target
	for _, d := range to {
		targets = append(targets, Target{d.AccountID(), d.DeviceID()})
	}
	x.claim(from, targets)
	gs, err := from.EncryptGroup(chat, msg, targets, []byte(fmt.Sprintf("%q", text)))
	if err != nil {
		t.Fatal(err)
	}
	from.Sent(gs)
	return gs, targets
}

func TestGroup(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	carol := x.join(3, 31, nil)
	x.learn(alice, bob, carol)

	gs, _ := groupSend(t, x, alice, 7, "g1", "hello group", bob, carol)
	if len(gs.Keys) != 2 {
		t.Fatalf("first message: got %d key parts, want 2", len(gs.Keys))
	}
	wantText(t, bob, entry(alice, 7, "g1", gs.Shared), gs.Keys[21], "hello group")
	wantText(t, carol, entry(alice, 7, "g1", gs.Shared), gs.Keys[31], "hello group")
	gs2, targets := groupSend(t, x, alice, 7, "g2", "second", bob, carol)
	if len(gs2.Keys) != 0 {
		t.Fatalf("second message: got %d key parts, want none (session already shared)", len(gs2.Keys))
	}
	// The same message as per-device envelopes (a server without shared bodies).
	envs, err := gs2.Envelopes(targets)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, bob, entry(alice, 7, "g2", envs[0].Body), nil, "second")
	_, err = bob.Decrypt(entry(alice, 7, "g2", gs2.Shared), nil)
	wantErr(t, "replayed group message", err, ErrReplay)

	// Carol is removed: the next message starts a new session she never gets.
	gs3, _ := groupSend(t, x, alice, 7, "g3", "carol has gone", bob)
	wantText(t, bob, entry(alice, 7, "g3", gs3.Shared), gs3.Keys[21], "carol has gone")
	_, err = carol.Decrypt(entry(alice, 7, "g3", gs3.Shared), nil)
	wantErr(t, "removed member decrypting", err, ErrNoSession)

	// A group message is refused from another sender or in another chat.
	_, err = bob.Decrypt(entry(carol, 7, "g3", gs3.Shared), nil)
	if err == nil {
		t.Fatal("a group message under another sender was accepted")
	}
}

func TestGroupRotation(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	alice.SetClock(func() time.Time { return now })
	sid := func(gs *GroupSealed) string { return gs.sessionID }
	first, _ := groupSend(t, x, alice, 7, "g0", "0", bob)
	for i := 1; i < RotateAfterMessages; i++ {
		gs, _ := groupSend(t, x, alice, 7, fmt.Sprintf("g%d", i), "x", bob)
		if sid(gs) != sid(first) {
			t.Fatalf("message %d: a new session before %d messages", i, RotateAfterMessages)
		}
	}
	next, _ := groupSend(t, x, alice, 7, "g100", "x", bob)
	if sid(next) == sid(first) {
		t.Fatalf("message %d: got the same session, want a new one", RotateAfterMessages)
	}
	now = now.Add(RotateAfter)
	later, _ := groupSend(t, x, alice, 7, "g101", "x", bob)
	if sid(later) == sid(next) {
		t.Fatal("after 7 days: got the same session, want a new one")
	}
	wantText(t, bob, entry(alice, 7, "g101", later.Shared), later.Keys[21], "x")
}

// TestStrictSeparation: a pairwise payload is never accepted on the group
// path, nor a group key as a pairwise message.
func TestStrictSeparation(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	gs, _ := groupSend(t, x, alice, 7, "g1", "hello", bob)
	// The Olm key part delivered as a 1:1 message.
	_, err := bob.Decrypt(entry(alice, 7, "g1", gs.Keys[21]), nil)
	wantErr(t, "a group key as a pairwise message", err, ErrMisrouted)

	// A pairwise message delivered as a group key part.
	es := sendDirect(t, x, alice, 7, "g2", "direct", bob)
	var shared envelope
	_ = json.Unmarshal(gs.Shared, &shared)
	_, err = bob.Decrypt(entry(alice, 7, "g2", gs.Shared), es[21].Body)
	wantErr(t, "a pairwise message as a group key", err, ErrMisrouted)
}

func TestSafetyNumber(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	a, err := alice.SafetyNumber(2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bob.SafetyNumber(1)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || len(a) != 60+11 {
		t.Fatalf("safety numbers: alice sees %q, bob %q; want the same 60 digits", a, b)
	}
	if _, err := alice.MarkVerified(2); err != nil {
		t.Fatal(err)
	}
	alice.Notices()
	if !alice.Verified(2) {
		t.Fatal("bob is not verified after MarkVerified")
	}
	x.join(2, 22, bob) // Bob links a device
	x.learn(alice)
	if alice.Verified(2) {
		t.Fatal("bob is still verified after his devices changed")
	}
	if n := alice.Notices(); !slices.ContainsFunc(n, func(n Notice) bool { return n.Kind == NoticeVerifiedBroken }) {
		t.Fatalf("notices: got %v, want %s", n, NoticeVerifiedBroken)
	}
	if c, _ := alice.SafetyNumber(2); c == a {
		t.Fatal("the safety number did not change with bob's devices")
	}
}

func TestMedia(t *testing.T) {
	plain := bytes.Repeat([]byte("media bytes "), 1000)
	ct, k, err := EncryptMedia(plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("media bytes")) {
		t.Fatal("the ciphertext holds the plaintext")
	}
	got, err := DecryptMedia(ct, k)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypt media: got %d bytes, %v", len(got), err)
	}
	ct[40] ^= 1
	if _, err := DecryptMedia(ct, k); !errors.Is(err, ErrMediaTampered) {
		t.Fatalf("modified media: got %v, want %v", err, ErrMediaTampered)
	}
	_, k2, _ := EncryptMedia(plain)
	if k2.Key == k.Key {
		t.Fatal("two files got the same key")
	}
}
