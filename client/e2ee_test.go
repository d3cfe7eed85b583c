package client_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/sqlite"
	"github.com/parleyhq/parley/wire"
)

// secureLogin logs a device in and sets up its end-to-end encryption:
// keys published, and the account's signed device list if it is the
// account's first device.
func secureLogin(t testing.TB, srv *servertest.Server, phone, device string) person {
	t.Helper()
	p := login(t, srv, phone, device)
	d, err := e2ee.NewDevice(p.AccountID, p.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	p.UseE2EE(d)
	if err := p.SetupE2EE(ctxT(t)); err != nil {
		t.Fatalf("set up e2ee for %s: %v", phone, err)
	}
	return p
}

// inbox reads p's pending entries, opens the messages, acks everything
// and returns the texts (or the error of each message that did not open).
func inbox(t testing.TB, p person) (texts []string, errs []error, bodies []client.Body) {
	t.Helper()
	ctx := ctxT(t)
	es, err := p.Pending(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range es {
		ids = append(ids, e.ID)
		if e.Type != wire.EntryMessage || e.Kind == wire.KindSystem {
			continue
		}
		b, err := p.OpenBody(ctx, e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		texts = append(texts, b.Text)
		bodies = append(bodies, b)
	}
	if len(ids) > 0 {
		if err := p.Ack(ctx, ids...); err != nil {
			t.Fatal(err)
		}
	}
	return texts, errs, bodies
}

func TestE2EEDirectGroupAndMedia(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := secureLogin(t, srv, "+14155550101", "alice-phone")
	bob := secureLogin(t, srv, "+14155550102", "bob-phone")
	carol := secureLogin(t, srv, "+14155550103", "carol-phone")

	dm := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	must(alice.SendText(ctx, dm.ID, "hello bob")).get(t)
	must(alice.SendText(ctx, dm.ID, "twice")).get(t)
	if got, errs, _ := inbox(t, bob); !slices.Equal(got, []string{"hello bob", "twice"}) || errs != nil {
		t.Fatalf("bob's 1:1 inbox: got %q, errors %v", got, errs)
	}
	must(bob.SendText(ctx, dm.ID, "hi alice")).get(t)
	if got, errs, _ := inbox(t, alice); !slices.Contains(got, "hi alice") || errs != nil {
		t.Fatalf("alice's 1:1 inbox: got %q, errors %v", got, errs)
	}

	g := must(alice.CreateGroup(ctx, "Climbing", bob.AccountID, carol.AccountID)).get(t)
	must(alice.SendText(ctx, g.ID, "welcome")).get(t)
	must(bob.SendText(ctx, g.ID, "thanks")).get(t)
	photo := bytes.Repeat([]byte("PHOTO-BYTES "), 300)
	must(alice.SendMedia(ctx, g.ID, "image/png", photo, "the crag")).get(t)
	// One shared body for everyone; only the first message from each
	// sender carries carol's key part.
	var withKey, msgs int
	for _, e := range must(carol.Pending(ctx, 0, 0)).get(t) {
		if e.Type == wire.EntryMessage && e.Kind == wire.KindMessage {
			msgs++
			if e.Key != nil {
				withKey++
			}
		}
	}
	if msgs != 3 || withKey != 2 {
		t.Fatalf("carol's group entries: %d messages, %d with a key part; want 3 and 2 (alice's first, bob's first)", msgs, withKey)
	}
	texts, errs, bodies := inbox(t, carol)
	if !slices.Equal(texts, []string{"welcome", "thanks", "the crag"}) || errs != nil {
		t.Fatalf("carol's group inbox: got %q, errors %v", texts, errs)
	}
	got, err := carol.OpenMedia(ctx, bodies[2])
	if err != nil || !bytes.Equal(got, photo) {
		t.Fatalf("carol opens the photo: got %d bytes, %v", len(got), err)
	}
	// The server holds the ciphertext only.
	dl := must(carol.Media(ctx, bodies[2].MediaID)).get(t)
	defer dl.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(dl.Body)
	if bytes.Contains(raw.Bytes(), []byte("PHOTO-BYTES")) || dl.ContentType != "application/octet-stream" {
		t.Fatalf("the server's copy of the photo (%s) is not ciphertext", dl.ContentType)
	}

	// Carol is removed: she cannot read what is sent after.
	if err := alice.RemoveMember(ctx, g.ID, carol.AccountID); err != nil {
		t.Fatal(err)
	}
	must(alice.SendText(ctx, g.ID, "carol has gone")).get(t)
	if got, errs, _ := inbox(t, bob); !slices.Contains(got, "carol has gone") || errs != nil {
		t.Fatalf("bob after carol left: got %q, errors %v", got, errs)
	}
	if got, _, _ := inbox(t, carol); slices.Contains(got, "carol has gone") {
		t.Fatal("a removed member read a message sent after her removal")
	}
}

// TestE2EEServerAddedDevice inserts a device (with well-formed,
// self-signed keys) straight into the database of Bob's account, as a
// malicious server or a database thief would: Alice flags it, encrypts
// nothing to it, and it reads nothing.
func TestE2EEServerAddedDevice(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := secureLogin(t, srv, "+14155550101", "alice-phone")
	bob := secureLogin(t, srv, "+14155550102", "bob-phone")
	dm := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	must(alice.SendText(ctx, dm.ID, "before")).get(t)

	db, err := sqlite.Open(context.Background(), filepath.Join(srv.Opts.DataDir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const token = "pt_server-made-token"
	dev := chatpkg.Device{AccountID: bob.AccountID, Name: "ghost", CreatedAt: time.Now(), LastActiveAt: time.Now()}
	if err := db.CreateDevice(ctx, &dev, chatpkg.TokenHash(token), 10); err != nil {
		t.Fatal(err)
	}
	ghostState, _ := e2ee.NewDevice(bob.AccountID, dev.ID)
	up, _, _ := ghostState.KeyUpload(wire.KeyCount{}, true)
	if err := db.PutDeviceKeys(ctx, chatpkg.DeviceKeys{DeviceID: dev.ID, AccountID: bob.AccountID, Identity: *up.Identity, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddOneTimeKeys(ctx, dev.ID, up.OneTimeKeys, 200); err != nil {
		t.Fatal(err)
	}
	// Written behind the running server's back: tell its read caches, as
	// a server that added the device itself would.
	srv.Service().DevicesChanged(bob.AccountID)
	ghost := client.New(srv.URL, client.WithToken(token))
	ghost.UseE2EE(ghostState)

	must(alice.SendText(ctx, dm.ID, "the secret plan")).get(t)
	notices := alice.E2EE().Notices()
	if !slices.ContainsFunc(notices, func(n e2ee.Notice) bool { return n.Kind == e2ee.NoticeUnlistedDevice && n.DeviceID == dev.ID }) {
		t.Fatalf("alice's notices: got %v, want device %d flagged", notices, dev.ID)
	}
	es := must(ghost.Pending(ctx, 0, 0)).get(t)
	if len(es) != 1 {
		t.Fatalf("ghost's inbox: got %d entries, want the one message", len(es))
	}
	if bytes.Contains(es[0].Body, []byte("secret plan")) {
		t.Fatal("the ghost's envelope holds the plaintext")
	}
	if _, err := ghost.OpenBody(ctx, es[0]); !errors.Is(err, e2ee.ErrNotForYou) {
		t.Fatalf("ghost opening the message: got %v, want %v", err, e2ee.ErrNotForYou)
	}
	if got, errs, _ := inbox(t, bob); !slices.Equal(got, []string{"before", "the secret plan"}) || errs != nil {
		t.Fatalf("bob's inbox: got %q, errors %v", got, errs)
	}
}

// TestE2EELinkedDevice: a device Bob links gets nothing readable until
// his first device approves it, then gets everything.
func TestE2EELinkedDevice(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := secureLogin(t, srv, "+14155550101", "alice-phone")
	bob := secureLogin(t, srv, "+14155550102", "bob-phone")
	dm := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	laptop := secureLogin(t, srv, "+14155550102", "bob-laptop")
	if laptop.E2EE().HoldsSigningKey() {
		t.Fatal("a linked device made its own signing key")
	}
	must(alice.SendText(ctx, dm.ID, "unapproved")).get(t)
	if got, errs, _ := inbox(t, laptop); len(got) != 0 || len(errs) != 1 || !errors.Is(errs[0], e2ee.ErrNotForYou) {
		t.Fatalf("unapproved laptop: got %q, errors %v; want one not-for-you", got, errs)
	}
	if err := bob.ApproveDevice(ctx, laptop.DeviceID); err != nil {
		t.Fatal(err)
	}
	must(alice.SendText(ctx, dm.ID, "approved")).get(t)
	if got, errs, _ := inbox(t, laptop); !slices.Equal(got, []string{"approved"}) || errs != nil {
		t.Fatalf("approved laptop: got %q, errors %v", got, errs)
	}
	// Bob's phone's messages reach his laptop too (the sender's own devices).
	must(bob.SendText(ctx, dm.ID, "from the phone")).get(t)
	if got, _, _ := inbox(t, laptop); !slices.Contains(got, "from the phone") {
		t.Fatalf("laptop: got %q, want bob's own message", got)
	}

	// Bob unlinks the laptop and signs it out of his list.
	if err := bob.RevokeDevice(ctx, laptop.DeviceID); err != nil {
		t.Fatal(err)
	}
	if err := bob.UnlistDevice(ctx, laptop.DeviceID); err != nil {
		t.Fatal(err)
	}
	ak := must(alice.AccountKeys(ctx, bob.AccountID)).get(t)
	if ak.DeviceList == nil || slices.ContainsFunc(ak.DeviceList.Devices, func(d wire.ListedDevice) bool { return d.DeviceID == laptop.DeviceID }) {
		t.Fatalf("bob's list after unlinking: %+v, want the laptop gone", ak.DeviceList)
	}
	must(alice.SendText(ctx, dm.ID, "after unlink")).get(t)
	if got, errs, _ := inbox(t, bob); !slices.Contains(got, "after unlink") || errs != nil {
		t.Fatalf("bob after unlinking the laptop: got %q, errors %v", got, errs)
	}
}

// TestKeyUploadValidation: the server refuses malformed keys and bad
// signatures with the field named, and hands out a one-time key once.
func TestKeyUploadValidation(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, "+14155550101", "alice-phone")
	d, _ := e2ee.NewDevice(alice.AccountID, alice.DeviceID)
	up, _, _ := d.KeyUpload(wire.KeyCount{}, true)

	bad := *up.Identity
	bad.Signature = strings.Repeat("A", 86)
	_, err := alice.UploadKeys(ctx, wire.KeyUpload{Identity: &bad})
	wantCode(t, err, "invalid_argument")
	if !strings.Contains(err.Error(), "signature") {
		t.Fatalf("bad identity signature: got %v, want the signature named", err)
	}
	short := *up.Identity
	short.Curve25519 = "AAAA"
	_, err = alice.UploadKeys(ctx, wire.KeyUpload{Identity: &short})
	wantCode(t, err, "invalid_argument")
	_, err = alice.UploadKeys(ctx, wire.KeyUpload{OneTimeKeys: up.OneTimeKeys[:1]})
	wantCode(t, err, "invalid_argument") // before identity keys
	forged := slices.Clone(up.OneTimeKeys[:2])
	forged[1].Key = forged[0].Key
	_, err = alice.UploadKeys(ctx, wire.KeyUpload{Identity: up.Identity, OneTimeKeys: forged})
	wantCode(t, err, "invalid_argument")

	n := must(alice.UploadKeys(ctx, up)).get(t)
	if n.OneTimeKeys != len(up.OneTimeKeys) || !n.FallbackKey {
		t.Fatalf("key count: got %+v, want %d keys and a fallback", n, len(up.OneTimeKeys))
	}
	other, _ := e2ee.NewDevice(alice.AccountID, alice.DeviceID)
	oup, _, _ := other.KeyUpload(wire.KeyCount{}, true)
	_, err = alice.UploadKeys(ctx, wire.KeyUpload{Identity: oup.Identity})
	wantCode(t, err, "conflict")

	bob := login(t, srv, "+14155550102", "bob-phone")
	dm := must(bob.OpenDirect(ctx, alice.AccountID)).get(t)
	seen := map[string]bool{}
	for range len(up.OneTimeKeys) {
		ks := must(bob.ClaimKeys(ctx, dm.ID, []int64{alice.DeviceID})).get(t)
		if len(ks) != 1 || ks[0].Fallback || seen[ks[0].OneTimeKey.KeyID] {
			t.Fatalf("claim: got %+v, want a one-time key not handed out before", ks)
		}
		seen[ks[0].OneTimeKey.KeyID] = true
	}
	ks := must(bob.ClaimKeys(ctx, dm.ID, []int64{alice.DeviceID})).get(t)
	if len(ks) != 1 || !ks[0].Fallback {
		t.Fatalf("claim from an empty pool: got %+v, want the fallback key", ks)
	}
	if n := must(alice.KeyCount(ctx)).get(t); n.OneTimeKeys != 0 {
		t.Fatalf("key count after claims: got %d, want 0", n.OneTimeKeys)
	}
	carol := login(t, srv, "+14155550103", "carol-phone")
	_, err = carol.ClaimKeys(ctx, dm.ID, []int64{alice.DeviceID})
	wantCode(t, err, "forbidden")
}

// TestE2EETamperAndReplay takes envelopes as the real server delivers
// them: one modified in transit is rejected and reported, one delivered
// again (a server replaying a stored entry under a new id) is dropped.
func TestE2EETamperAndReplay(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := secureLogin(t, srv, "+14155550101", "alice-phone")
	bob := secureLogin(t, srv, "+14155550102", "bob-phone")
	carol := secureLogin(t, srv, "+14155550103", "carol-phone")
	dm := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	g := must(alice.CreateGroup(ctx, "G", bob.AccountID, carol.AccountID)).get(t)
	must(alice.SendText(ctx, dm.ID, "one")).get(t)
	must(alice.SendText(ctx, dm.ID, "two")).get(t)
	must(alice.SendText(ctx, g.ID, "group one")).get(t)
	must(alice.SendText(ctx, g.ID, "group two")).get(t)
	var msgs []wire.Entry
	for _, e := range must(bob.Pending(ctx, 0, 0)).get(t) {
		if e.Type == wire.EntryMessage && e.Kind == wire.KindMessage {
			msgs = append(msgs, e)
		}
	}
	if len(msgs) != 4 {
		t.Fatalf("bob's inbox: got %d messages, want 4", len(msgs))
	}
	flip := func(e wire.Entry) wire.Entry {
		e.Body = bytes.Clone(e.Body)
		i := bytes.Index(e.Body, []byte(`"body":"`)) + 20
		e.Body[i] ^= 'A' ^ 'B'
		if e.Body[i] == '"' || e.Body[i] == '\\' {
			e.Body[i] = 'C'
		}
		return e
	}
	for _, i := range []int{0, 2} { // a 1:1 message, a group message (with its key part)
		if _, err := bob.OpenBody(ctx, flip(msgs[i])); !errors.Is(err, e2ee.ErrTampered) {
			t.Fatalf("modified message %d: got %v, want %v", i, err, e2ee.ErrTampered)
		}
	}
	if n := bob.E2EE().Notices(); !slices.ContainsFunc(n, func(n e2ee.Notice) bool { return n.Kind == e2ee.NoticeRejected }) {
		t.Fatalf("notices after tampering: got %v, want a rejected-message notice", n)
	}
	want := []string{"one", "two", "group one", "group two"}
	for i, e := range msgs {
		b, err := bob.OpenBody(ctx, e)
		if err != nil || b.Text != want[i] {
			t.Fatalf("message %d: got %q, %v; want %q", i, b.Text, err, want[i])
		}
		again := e
		again.ID += 1000
		if _, err := bob.OpenBody(ctx, again); !errors.Is(err, e2ee.ErrReplay) {
			t.Fatalf("message %d delivered again: got %v, want %v", i, err, e2ee.ErrReplay)
		}
	}
}
