package e2ee

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/parleyhq/parley/wire"
)

// Directory is the server's key directory as a device's program reaches
// it (docs/API.md, "Keys"): client.Client over HTTP, the web app's fetch
// from WebAssembly. The orchestration below (Setup, Seal, Open...) is
// written once here so that every client makes the same calls in the
// same order; this package still does no I/O of its own.
type Directory interface {
	// UploadKeys publishes the device's keys (PUT /v1/keys).
	UploadKeys(ctx context.Context, up wire.KeyUpload) (wire.KeyCount, error)
	// KeyCount says how many one-time keys the device has left on the
	// server (GET /v1/keys/count).
	KeyCount(ctx context.Context) (wire.KeyCount, error)
	// ClaimKeys claims one one-time key of each device, devices of
	// members of chatID (POST /v1/keys/claim).
	ClaimKeys(ctx context.Context, chatID int64, devices []int64) ([]wire.ClaimedKey, error)
	// AccountKeys returns an account's signed device list and its
	// devices' identity keys (GET /v1/accounts/{id}/keys).
	AccountKeys(ctx context.Context, accountID int64) (wire.AccountKeys, error)
	// PutDeviceList publishes the caller's account's signed device list
	// (PUT /v1/me/device-list).
	PutDeviceList(ctx context.Context, l wire.DeviceList) error
}

// Setup publishes a new device's identity keys, one-time keys and
// fallback key, and its account's device list if this device may sign
// one (the account's first device makes the signing key). A device
// linked to an account that has a list waits until a device that holds
// the signing key approves it (Approve); until then its contacts
// encrypt nothing to it.
func (d *Device) Setup(ctx context.Context, dir Directory) error {
	up, _, err := d.KeyUpload(wire.KeyCount{}, true)
	if err != nil {
		return err
	}
	if _, err := dir.UploadKeys(ctx, up); err != nil {
		return fmt.Errorf("publish keys: %w", err)
	}
	d.MarkPublished()
	own, err := dir.AccountKeys(ctx, d.AccountID())
	if err != nil {
		return err
	}
	l, err := d.OwnDeviceList(own)
	if err != nil {
		return err
	}
	if l != nil {
		if err := dir.PutDeviceList(ctx, *l); err != nil {
			return fmt.Errorf("publish device list: %w", err)
		}
		own.DeviceList = l
	}
	_, err = d.UpdatePeer(own)
	return err
}

// Replenish uploads one-time keys when fewer than LowOneTimeKeys are
// left on the server (and a fallback key when it has none).
func (d *Device) Replenish(ctx context.Context, dir Directory) error {
	n, err := dir.KeyCount(ctx)
	if err != nil {
		return err
	}
	up, ok, err := d.KeyUpload(n, false)
	if err != nil || !ok {
		return err
	}
	if _, err := dir.UploadKeys(ctx, up); err != nil {
		return fmt.Errorf("replenish keys: %w", err)
	}
	d.MarkPublished()
	return nil
}

// Approve adds another device of the caller's account to its signed
// device list, after the person confirmed they linked it. This device
// must hold the account's signing key.
func (d *Device) Approve(ctx context.Context, dir Directory, deviceID int64) error {
	own, err := dir.AccountKeys(ctx, d.AccountID())
	if err != nil {
		return err
	}
	l, err := d.ApproveDevice(own, deviceID)
	if err != nil {
		return err
	}
	if err := dir.PutDeviceList(ctx, *l); err != nil {
		return err
	}
	own.DeviceList = l
	_, err = d.UpdatePeer(own)
	return err
}

// Unlist removes an unlinked device of the caller's account from its
// signed device list, when this device holds the signing key (otherwise
// the list keeps it, but the server no longer lists it as a recipient).
func (d *Device) Unlist(ctx context.Context, dir Directory, deviceID int64) error {
	own, err := dir.AccountKeys(ctx, d.AccountID())
	if err != nil {
		return err
	}
	l := d.RemoveFromList(own, deviceID)
	if l == nil {
		return nil
	}
	if err := dir.PutDeviceList(ctx, *l); err != nil {
		return err
	}
	own.DeviceList = l
	_, err = d.UpdatePeer(own)
	return err
}

// Refresh fetches an account's keys and updates which of its devices
// this device trusts.
func (d *Device) Refresh(ctx context.Context, dir Directory, accountID int64) error {
	ak, err := dir.AccountKeys(ctx, accountID)
	if err != nil {
		return err
	}
	_, err = d.UpdatePeer(ak)
	return err
}

// Sealed is a message encrypted for its recipient devices: one envelope
// per device (Olm in a 1:1 chat), or in a group one Shared body (Megolm)
// and envelopes only for the devices that get the session key. Call
// Done once the server accepted the message.
type Sealed struct {
	Envelopes []wire.Envelope
	Shared    []byte
	group     *GroupSealed
	d         *Device
}

// Done records that the server accepted the message (a group's session
// key is not sent again to the devices that got it).
func (s *Sealed) Done() {
	if s.group != nil {
		s.d.Sent(s.group)
	}
}

// Seal encrypts plain (a message body) for devs, the recipient devices
// of chatID (GET /v1/chats/{id}/devices), whose kind is kind. It
// refreshes the keys of accounts with devices it does not trust yet,
// claims one-time keys for devices it has no session with, and encrypts:
// Olm per device in a 1:1 chat, Megolm once in a group.
func (d *Device) Seal(ctx context.Context, dir Directory, kind wire.ChatKind, chatID int64, messageID string, devs []wire.RecipientDevice, plain []byte) (*Sealed, error) {
	targets := make([]Target, len(devs))
	var stale []int64
	for i, rd := range devs {
		targets[i] = Target{AccountID: rd.AccountID, DeviceID: rd.DeviceID}
		if trusted, _ := d.Knows(rd.AccountID, rd.DeviceID); !trusted && !slices.Contains(stale, rd.AccountID) {
			stale = append(stale, rd.AccountID)
		}
	}
	for _, acct := range stale {
		if err := d.Refresh(ctx, dir, acct); err != nil {
			return nil, fmt.Errorf("keys of account %d: %w", acct, err)
		}
	}
	if missing := d.MissingSessions(targets); len(missing) > 0 {
		ks, err := dir.ClaimKeys(ctx, chatID, missing)
		if err != nil {
			return nil, fmt.Errorf("claim keys: %w", err)
		}
		if err := d.AddClaimedKeys(ks); err != nil {
			return nil, err
		}
	}
	if kind == wire.ChatDirect {
		envs, err := d.EncryptDirect(chatID, messageID, targets, plain)
		if err != nil {
			return nil, err
		}
		return &Sealed{Envelopes: envs, d: d}, nil
	}
	// A group message: the Megolm ciphertext once, as the shared body;
	// envelopes only for the devices that get a key part (delivered to
	// them as Entry.Key).
	gs, err := d.EncryptGroup(chatID, messageID, targets, plain)
	if err != nil {
		return nil, err
	}
	s := &Sealed{Shared: gs.Shared, group: gs, d: d}
	for _, t := range targets {
		if k, ok := gs.Keys[t.DeviceID]; ok {
			s.Envelopes = append(s.Envelopes, wire.Envelope{DeviceID: t.DeviceID, Body: k})
		}
	}
	return s, nil
}

// Open returns the content of a message entry (not a system message),
// fetching the sender's keys first if it does not trust the sending
// device yet. Its errors are Decrypt's: ErrReplay (drop it silently),
// ErrTampered, ErrUntrusted, ErrNotForYou, ErrNoSession, ErrMisrouted.
func (d *Device) Open(ctx context.Context, dir Directory, e wire.Entry) ([]byte, error) {
	if trusted, _ := d.Knows(e.SenderAccount, e.SenderDevice); !trusted {
		if err := d.Refresh(ctx, dir, e.SenderAccount); err != nil {
			return nil, fmt.Errorf("keys of account %d: %w", e.SenderAccount, err)
		}
	}
	plain, err := d.Decrypt(e, e.Key)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", e.ID, err)
	}
	if !json.Valid(plain) {
		return nil, fmt.Errorf("entry %d: %w: content is not JSON", e.ID, ErrTampered)
	}
	return plain, nil
}

// HasKeys reports whether this device has seen a signed device list for
// the account, now or ever (the signing key it pinned): such an account
// encrypts, and a plaintext message claiming to come from it is refused.
func (d *Device) HasKeys(accountID int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[accountID]
	return p != nil && p.SigningKey != ""
}

// FreshSafetyNumber fetches the keys of this device's account and of
// accountID, then returns their safety number (SafetyNumber).
func (d *Device) FreshSafetyNumber(ctx context.Context, dir Directory, accountID int64) (string, error) {
	for _, acct := range []int64{d.AccountID(), accountID} {
		if err := d.Refresh(ctx, dir, acct); err != nil {
			return "", fmt.Errorf("keys of account %d: %w", acct, err)
		}
	}
	return d.SafetyNumber(accountID)
}
