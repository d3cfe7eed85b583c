package e2ee

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/parleyhq/parley/wire"
)

// api is the in-memory dir behind the Directory interface, for the
// orchestrating methods (SealHistory, OpenHistory).
type api struct{ x *dir }

func (a api) UploadKeys(context.Context, wire.KeyUpload) (wire.KeyCount, error) {
	return wire.KeyCount{}, nil
}
func (a api) KeyCount(context.Context) (wire.KeyCount, error) { return wire.KeyCount{}, nil }
func (a api) ClaimKeys(_ context.Context, _ int64, devices []int64) ([]wire.ClaimedKey, error) {
	var out []wire.ClaimedKey
	for _, dev := range devices {
		for acct, ids := range a.x.ids {
			if k, ok := ids[dev]; ok && len(a.x.otks[dev]) > 0 {
				out = append(out, wire.ClaimedKey{AccountID: acct, DeviceID: dev, Identity: k, OneTimeKey: a.x.otks[dev][0]})
				a.x.otks[dev] = a.x.otks[dev][1:]
			}
		}
	}
	return out, nil
}
func (a api) AccountKeys(_ context.Context, acct int64) (wire.AccountKeys, error) {
	return a.x.keys(acct), nil
}
func (a api) PutDeviceList(_ context.Context, l wire.DeviceList) error {
	a.x.lists[l.AccountID] = &l
	return nil
}

func historyEntry(from *Device, body []byte) wire.Entry {
	return wire.Entry{Type: wire.EntryHistory, SenderAccount: from.AccountID(), SenderDevice: from.DeviceID(), Body: body}
}

func TestHistoryToNewDevice(t *testing.T) {
	ctx := t.Context()
	x := newDir(t)
	phone := x.join(1, 11, nil)
	laptop := x.join(1, 12, phone) // approved by the phone
	bob := x.join(2, 21, nil)
	x.learn(phone, bob)
	bundle := []byte(`{"parley_history":1,"messages":["HISTORY-MARKER-7"]}`)

	body, err := phone.SealHistory(ctx, api{x}, laptop.DeviceID(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte("HISTORY-MARKER-7")) {
		t.Fatal("the sealed history holds the marker in the clear")
	}
	got, err := laptop.OpenHistory(ctx, api{x}, historyEntry(phone, body))
	if err != nil {
		t.Fatalf("laptop opens the history: %v", err)
	}
	if !bytes.Equal(got, bundle) {
		t.Fatalf("history: got %q, want %q", got, bundle)
	}
	_, err = laptop.OpenHistory(ctx, api{x}, historyEntry(phone, body))
	wantErr(t, "the same history again", err, ErrReplay)

	t.Run("not for an unapproved device", func(t *testing.T) {
		tablet := x.join(1, 13, nil)
		_, err := phone.SealHistory(ctx, api{x}, tablet.DeviceID(), bundle)
		if err == nil || !strings.Contains(err.Error(), "approve it first") {
			t.Fatalf("history to an unapproved device: got %v, want an error asking for approval", err)
		}
	})
	t.Run("a changed ciphertext is refused", func(t *testing.T) {
		body, err := phone.SealHistory(ctx, api{x}, laptop.DeviceID(), bundle)
		if err != nil {
			t.Fatal(err)
		}
		body[len(body)-1] ^= 1
		_, err = laptop.OpenHistory(ctx, api{x}, historyEntry(phone, body))
		wantErr(t, "tampered history", err, ErrMediaTampered)
	})
	t.Run("not from another account", func(t *testing.T) {
		body, err := phone.SealHistory(ctx, api{x}, laptop.DeviceID(), bundle)
		if err != nil {
			t.Fatal(err)
		}
		_, err = laptop.OpenHistory(ctx, api{x}, historyEntry(bob, body))
		wantErr(t, "history claimed by another account", err, ErrUntrusted)
	})
	t.Run("a history key is not a message", func(t *testing.T) {
		body, err := phone.SealHistory(ctx, api{x}, laptop.DeviceID(), bundle)
		if err != nil {
			t.Fatal(err)
		}
		header, _, _ := SplitHistory(body)
		_, err = laptop.Decrypt(entry(phone, 0, "", header), nil)
		wantErr(t, "history key on the message path", err, ErrMisrouted)
	})
	t.Run("a plaintext bundle is not taken for one", func(t *testing.T) {
		_, err := laptop.OpenHistory(ctx, api{x}, historyEntry(phone, bundle))
		wantErr(t, "plaintext bundle", err, ErrNotHistory)
	})
}

func TestRecoveryKeyFormat(t *testing.T) {
	k, err := NewRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	s := k.String()
	if groups := strings.Fields(s); len(groups) != 14 || len(groups[0]) != 4 {
		t.Fatalf("recovery key %q: got %d groups, want 14 groups of 4", s, len(groups))
	}
	for _, in := range []string{s, strings.ToLower(s), strings.ReplaceAll(s, " ", "-"), strings.ReplaceAll(s, " ", "")} {
		got, err := ParseRecoveryKey(in)
		if err != nil || got != k {
			t.Fatalf("parse %q: got %v, %v; want the key back", in, got, err)
		}
	}
	typo := []byte(s)
	if typo[0] == 'A' {
		typo[0] = 'C'
	} else {
		typo[0] = 'A'
	}
	if _, err := ParseRecoveryKey(string(typo)); !errors.Is(err, ErrRecoveryKeyFormat) {
		t.Fatalf("a key with a typo: got %v, want ErrRecoveryKeyFormat", err)
	}
}

func TestBackupRestore(t *testing.T) {
	x := newDir(t)
	alice := x.join(1, 11, nil)
	bob := x.join(2, 21, nil)
	x.learn(alice, bob)
	gs, _ := groupSend(t, x, alice, 7, "g1", "before the loss", bob)
	group := entry(alice, 7, "g1", gs.Shared)
	wantText(t, bob, group, gs.Keys[21], "before the loss")

	rk, err := NewRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	payload, err := bob.BackupPayload([]byte("bob's history"))
	if err != nil {
		t.Fatal(err)
	}
	blob, err := SealBackup(rk, 2, payload)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, []byte("bob's history")) {
		t.Fatal("the backup blob holds the history in the clear")
	}

	// Bob loses his device; a new one restores with the recovery key.
	bob2 := x.join(2, 22, nil)
	x.learn(bob2)
	other, _ := NewRecoveryKey()
	_, err = OpenBackup(other, 2, blob)
	wantErr(t, "a wrong recovery key", err, ErrWrongRecoveryKey)
	_, err = OpenBackup(rk, 3, blob)
	wantErr(t, "the backup of another account", err, ErrBadBackup)
	damaged := bytes.Replace(blob, []byte(`"ciphertext":"`), []byte(`"ciphertext":"AAAA`), 1)
	_, err = OpenBackup(rk, 2, damaged)
	wantErr(t, "a damaged backup", err, ErrBadBackup)

	plain, err := OpenBackup(rk, 2, blob)
	if err != nil {
		t.Fatal(err)
	}
	history, added, err := bob2.RestoreBackup(plain)
	if err != nil {
		t.Fatal(err)
	}
	if string(history) != "bob's history" || added != 1 {
		t.Fatalf("restore: got history %q and %d sessions, want bob's history and 1", history, added)
	}
	wantText(t, bob2, group, nil, "before the loss")
}
