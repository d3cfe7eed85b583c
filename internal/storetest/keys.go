package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/wire"
)

// The key directory (chat.KeyStore). The store checks no signature (the
// service does), so the fixtures carry placeholder strings.

func otks(prefix string, n int) []wire.OneTimeKey {
	out := make([]wire.OneTimeKey, n)
	for i := range out {
		out[i] = wire.OneTimeKey{KeyID: fmt.Sprintf("%s%d", prefix, i), Key: fmt.Sprintf("key-%s%d", prefix, i), Signature: "sig"}
	}
	return out
}

func testDeviceKeys(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	d := newDevice(t, s, a.ID, "phone")
	id := wire.IdentityKeys{Curve25519: "curve", Ed25519: "ed", Signature: "sig"}
	k := chat.DeviceKeys{DeviceID: d.ID, AccountID: a.ID, Identity: id, UpdatedAt: t0}
	ok(t, "put device keys", s.PutDeviceKeys(ctx, k))
	ok(t, "put the same keys again", s.PutDeviceKeys(ctx, k))
	other := k
	other.Identity.Curve25519 = "other"
	wantCode(t, "put other identity keys", s.PutDeviceKeys(ctx, other), parley.EConflict)
	k.Fallback = wire.OneTimeKey{KeyID: "f1", Key: "fallback", Signature: "fsig"}
	ok(t, "put a fallback key", s.PutDeviceKeys(ctx, k))
	got, err := s.DeviceKeysOf(ctx, []int64{d.ID, d.ID + 100})
	ok(t, "device keys of", err)
	wantDiff(t, "device keys", got, []chat.DeviceKeys{k})

	n, err := s.AddOneTimeKeys(ctx, d.ID, otks("a", 3), 4)
	ok(t, "add one-time keys", err)
	if n != 3 {
		t.Errorf("count after adding 3: got %d, want 3", n)
	}
	_, err = s.AddOneTimeKeys(ctx, d.ID, otks("b", 2), 4)
	wantCode(t, "add past the limit", err, parley.ELimit)
	_, err = s.AddOneTimeKeys(ctx, d.ID, otks("a", 1), 4)
	wantCode(t, "add a key id twice", err, parley.EConflict)
	if n, _ := s.CountOneTimeKeys(ctx, d.ID); n != 3 {
		t.Errorf("count after refused adds: got %d, want 3", n)
	}
	for i := range 3 {
		k, err := s.ClaimOneTimeKey(ctx, d.ID)
		ok(t, "claim", err)
		if want := fmt.Sprintf("a%d", i); k.KeyID != want {
			t.Errorf("claim %d: got key %q, want %q (oldest first)", i, k.KeyID, want)
		}
	}
	_, err = s.ClaimOneTimeKey(ctx, d.ID)
	wantCode(t, "claim from an empty pool", err, parley.ENotFound)

	ok(t, "delete device", s.DeleteDevice(ctx, a.ID, d.ID))
	got, err = s.DeviceKeysOf(ctx, []int64{d.ID})
	ok(t, "device keys of a deleted device", err)
	if len(got) != 0 {
		t.Errorf("keys of a deleted device: got %v, want none", got)
	}
}

// testClaimConcurrent claims from many goroutines at once: every key is
// handed out exactly once, and no claim comes back empty while keys remain.
func testClaimConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	d := newDevice(t, s, a.ID, "phone")
	ok(t, "put device keys", s.PutDeviceKeys(ctx, chat.DeviceKeys{DeviceID: d.ID, AccountID: a.ID, Identity: wire.IdentityKeys{Curve25519: "c", Ed25519: "e", Signature: "s"}, UpdatedAt: t0}))
	const keys, claimers = 40, 50
	_, err := s.AddOneTimeKeys(ctx, d.ID, otks("k", keys), keys)
	ok(t, "add one-time keys", err)
	var (
		mu    sync.Mutex
		got   = map[string]int{}
		empty int
		wg    sync.WaitGroup
	)
	for range claimers {
		wg.Go(func() {
			k, err := s.ClaimOneTimeKey(ctx, d.ID)
			mu.Lock()
			defer mu.Unlock()
			switch parley.ErrorCode(err) {
			case "":
				got[k.KeyID]++
			case parley.ENotFound:
				empty++
			default:
				t.Errorf("concurrent claim: %v", err)
			}
		})
	}
	wg.Wait()
	for id, n := range got {
		if n != 1 {
			t.Errorf("key %s handed out %d times, want once", id, n)
		}
	}
	if len(got) != keys || empty != claimers-keys {
		t.Errorf("concurrent claims: got %d keys and %d empty answers, want %d and %d", len(got), empty, keys, claimers-keys)
	}
}

func testDeviceLists(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	_, err := s.GetDeviceList(ctx, a.ID)
	wantCode(t, "no device list", err, parley.ENotFound)
	l := chat.StoredDeviceList{AccountID: a.ID, Version: 2, SigningKey: "k1", List: []byte(`{"v":2}`), UpdatedAt: t0}
	ok(t, "put device list", s.PutDeviceList(ctx, l))
	got, err := s.GetDeviceList(ctx, a.ID)
	ok(t, "get device list", err)
	wantDiff(t, "device list", got, l)
	stale := l
	stale.Version = 2
	wantCode(t, "put the same version", s.PutDeviceList(ctx, stale), parley.EConflict)
	stale.Version = 1
	wantCode(t, "put an older version", s.PutDeviceList(ctx, stale), parley.EConflict)
	reset := chat.StoredDeviceList{AccountID: a.ID, Version: 1, SigningKey: "k2", List: []byte(`{"v":1}`), UpdatedAt: t0}
	ok(t, "put a list of a new signing key", s.PutDeviceList(ctx, reset))
	got, err = s.GetDeviceList(ctx, a.ID)
	ok(t, "get the list of a new signing key", err)
	wantDiff(t, "device list after a new signing key", got, reset)
	wantCode(t, "put for no account", s.PutDeviceList(ctx, chat.StoredDeviceList{AccountID: a.ID + 100, Version: 1, SigningKey: "k", List: []byte(`{}`)}), parley.ENotFound)
}

func testKeyBackups(t *testing.T, s Store) {
	ctx := t.Context()
	a := newAccount(t, s, "+15550000001")
	_, err := s.GetKeyBackup(ctx, a.ID)
	wantCode(t, "no key backup", err, parley.ENotFound)
	b := chat.KeyBackup{AccountID: a.ID, Blob: []byte(`{"v":1,"n":1}`), UpdatedAt: t0}
	ok(t, "put key backup", s.PutKeyBackup(ctx, b))
	got, err := s.GetKeyBackup(ctx, a.ID)
	ok(t, "get key backup", err)
	wantDiff(t, "key backup", got, b)
	newer := chat.KeyBackup{AccountID: a.ID, Blob: []byte(`{"v":1,"n":2}`), UpdatedAt: t0.Add(time.Hour)}
	ok(t, "replace key backup", s.PutKeyBackup(ctx, newer))
	got, err = s.GetKeyBackup(ctx, a.ID)
	ok(t, "get the replaced key backup", err)
	wantDiff(t, "replaced key backup", got, newer)
	wantCode(t, "put for no account", s.PutKeyBackup(ctx, chat.KeyBackup{AccountID: a.ID + 100, Blob: []byte(`{}`), UpdatedAt: t0}), parley.ENotFound)
	ok(t, "delete key backup", s.DeleteKeyBackup(ctx, a.ID))
	_, err = s.GetKeyBackup(ctx, a.ID)
	wantCode(t, "deleted key backup", err, parley.ENotFound)
	ok(t, "delete a key backup twice", s.DeleteKeyBackup(ctx, a.ID))
}
