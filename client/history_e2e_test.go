package client_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/wire"
)

// dataHolds reports whether any file of the server's data folder (the
// SQLite database and its WAL, the blobs) holds marker.
func dataHolds(t testing.TB, dir, marker string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = found || bytes.Contains(b, []byte(marker))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestE2EEHistoryToNewDevice: Bob's phone sends its history to his newly
// approved laptop; it reaches the laptop sealed for it alone, the server
// holds no plaintext of it, and the laptop reads it.
func TestE2EEHistoryToNewDevice(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	bob := secureLogin(t, srv, bobPhone, "bob-phone")
	laptop := secureLogin(t, srv, bobPhone, "bob-laptop")
	const marker = "HISTORY-CANARY-5f1c"
	bundle := []byte(`{"parley_history":1,"messages":["` + marker + `"]}`)

	if err := bob.SendHistory(ctx, laptop.DeviceID, bundle); err == nil || !strings.Contains(err.Error(), "approve it first") {
		t.Fatalf("history to an unapproved laptop: got %v, want a refusal asking for approval", err)
	}
	if err := bob.ApproveDevice(ctx, laptop.DeviceID); err != nil {
		t.Fatal(err)
	}
	if err := bob.SendHistory(ctx, laptop.DeviceID, bundle); err != nil {
		t.Fatal(err)
	}
	es := must(laptop.Pending(ctx, 0, 0)).get(t)
	i := slices.IndexFunc(es, func(e wire.Entry) bool { return e.Type == wire.EntryHistory })
	if i < 0 {
		t.Fatalf("laptop's inbox: %d entries, no history", len(es))
	}
	if bytes.Contains(es[i].Body, []byte(marker)) || !e2ee.IsSealedHistory(es[i].Body) {
		t.Fatalf("the history entry is not sealed: %.80q", es[i].Body)
	}
	if dataHolds(t, srv.Opts.DataDir, marker) {
		t.Fatal("the server's data folder holds the history's marker in the clear")
	}
	got, err := laptop.OpenHistory(ctx, es[i])
	if err != nil {
		t.Fatalf("laptop opens the history: %v", err)
	}
	if !bytes.Equal(got, bundle) {
		t.Fatalf("history: got %q, want %q", got, bundle)
	}
	// Another account's device cannot be sent history, sealed or not.
	alice := secureLogin(t, srv, alicePhone, "alice-phone")
	if err := bob.SendHistory(ctx, alice.DeviceID, bundle); err == nil {
		t.Fatal("history to another account's device was accepted")
	}
}

// TestE2EEKeyBackup runs the key backup against both stores.
func TestE2EEKeyBackupSQLite(t *testing.T) {
	t.Parallel()
	testKeyBackup(t, servertest.WithConfig(chatpkg.Config{CodeResend: time.Millisecond, MaxKeyBackup: 256 << 10}))
}

func TestE2EEKeyBackupPostgres(t *testing.T) {
	t.Parallel()
	dsn := servertest.PostgresDSN(t)
	testKeyBackup(t, servertest.WithConfig(chatpkg.Config{CodeResend: time.Millisecond, MaxKeyBackup: 256 << 10}), servertest.WithPostgres(t, dsn))
}

// testKeyBackup: Bob turns backup on, loses his only device, and on a new
// one reads an earlier group and 1:1 message with his recovery key; a
// wrong key is refused, and the server's limits hold.
func testKeyBackup(t *testing.T, opts ...servertest.Option) {
	srv := servertest.Start(t, opts...)
	ctx := ctxT(t)
	alice := secureLogin(t, srv, alicePhone, "alice-phone")
	bob := secureLogin(t, srv, bobPhone, "bob-phone")
	carol := secureLogin(t, srv, carolPhone, "carol-phone")
	dm := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	g := must(alice.CreateGroup(ctx, "trip", bob.AccountID, carol.AccountID)).get(t)
	const dmMarker, groupMarker = "BACKUP-DM-CANARY-a41", "BACKUP-GROUP-CANARY-a42"
	must(alice.SendText(ctx, dm.ID, dmMarker)).get(t)
	must(alice.SendText(ctx, g.ID, groupMarker)).get(t)

	// Bob reads them; his client keeps them as its history, and keeps the
	// group message's ciphertext as the server held it.
	es := must(bob.Pending(ctx, 0, 0)).get(t)
	var texts []string
	var groupEntry wire.Entry
	for _, e := range es {
		if e.Type != wire.EntryMessage || e.Kind == wire.KindSystem {
			continue
		}
		b, err := bob.OpenBody(ctx, e)
		if err != nil {
			t.Fatalf("bob opens entry %d: %v", e.ID, err)
		}
		texts = append(texts, b.Text)
		if e.ChatID == g.ID {
			groupEntry = e
		}
	}
	if !slices.Contains(texts, dmMarker) || !slices.Contains(texts, groupMarker) {
		t.Fatalf("bob's inbox: got %q", texts)
	}
	history := []byte(strings.Join(texts, "\n"))

	rk := must(e2ee.NewRecoveryKey()).get(t)
	if err := bob.BackUpKeys(ctx, rk, history); err != nil {
		t.Fatal(err)
	}
	blob := must(bob.KeyBackup(ctx)).get(t)
	if bytes.Contains(blob, []byte(dmMarker)) || bytes.Contains(blob, []byte(groupMarker)) {
		t.Fatal("the stored backup holds a marker in the clear")
	}
	if dir := srv.Opts.DataDir; srv.Opts.PostgresDSN == "" && (dataHolds(t, dir, dmMarker) || dataHolds(t, dir, groupMarker)) {
		t.Fatal("the server's data folder holds a marker in the clear")
	}
	_, err := alice.KeyBackup(ctx)
	wantCode(t, err, string(parley.ENotFound)) // she has none

	t.Run("limits", func(t *testing.T) {
		big := make([]byte, 300<<10)
		for i := range big {
			big[i] = 'a'
		}
		wantCode(t, bob.PutKeyBackup(ctx, big), string(parley.ETooLarge))
		wantCode(t, bob.PutKeyBackup(ctx, []byte(`{"v":1}`)), string(parley.EInvalid))
		alicesBlob := must(e2ee.SealBackup(rk, alice.AccountID, []byte("x"))).get(t)
		wantCode(t, bob.PutKeyBackup(ctx, alicesBlob), string(parley.EInvalid)) // another account's
		if got := must(bob.KeyBackup(ctx)).get(t); !bytes.Equal(got, blob) {
			t.Fatal("a refused upload changed the stored backup")
		}
	})

	// Bob loses his only device.
	if err := bob.RevokeDevice(ctx, bob.DeviceID); err != nil {
		t.Fatal(err)
	}
	bob2 := secureLogin(t, srv, bobPhone, "bob-new-phone")
	wrong := must(e2ee.NewRecoveryKey()).get(t)
	if _, _, err := bob2.RestoreKeys(ctx, wrong); !errors.Is(err, e2ee.ErrWrongRecoveryKey) {
		t.Fatalf("restore with a wrong recovery key: got %v, want ErrWrongRecoveryKey", err)
	}
	typed := must(e2ee.ParseRecoveryKey(strings.ToLower(rk.String()))).get(t) // as the person types it
	got, sessions, err := bob2.RestoreKeys(ctx, typed)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !bytes.Equal(got, history) || sessions == 0 {
		t.Fatalf("restored history %q and %d group sessions; want %q and at least one", got, sessions, history)
	}
	// The restored group session opens the earlier group message's one
	// shared ciphertext (the key part was Olm to the lost device).
	groupEntry.Key = nil
	b, err := bob2.OpenBody(ctx, groupEntry)
	if err != nil || b.Text != groupMarker {
		t.Fatalf("the new device opens the earlier group message: got %q, %v", b.Text, err)
	}
	// The new device signed itself into Bob's list with the restored
	// signing key: Alice encrypts to it and reads from it, no new key.
	must(alice.SendText(ctx, dm.ID, "welcome back")).get(t)
	if texts, errs, _ := inbox(t, bob2); !slices.Contains(texts, "welcome back") || errs != nil {
		t.Fatalf("bob's restored device: got %q, errors %v", texts, errs)
	}
	must(bob2.SendText(ctx, dm.ID, "I am back")).get(t)
	if texts, errs, _ := inbox(t, alice); !slices.Contains(texts, "I am back") || errs != nil {
		t.Fatalf("alice reading bob's restored device: got %q, errors %v", texts, errs)
	}
	for _, n := range alice.E2EE().Notices() {
		if n.Kind == e2ee.NoticeKeysChanged {
			t.Fatalf("alice was told bob's keys changed: %s", n.Text)
		}
	}

	if err := bob2.DeleteKeyBackup(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = bob2.KeyBackup(ctx)
	wantCode(t, err, string(parley.ENotFound)) // turned off
}
