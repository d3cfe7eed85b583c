package e2ee

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parleyhq/parley/wire"
)

// A history bundle (the messages a device sends to a newly linked device
// of the same account) travels encrypted device to device: the bundle is
// encrypted like an attachment (EncryptMedia: a fresh AES-256-GCM key,
// the SHA-256 of the ciphertext), and that key and hash go to the new
// device alone inside an Olm message. The entry's body is
//
//	historyMagic, the Olm envelope (JSON, one line), "\n", the ciphertext
//
// so the server passes on ciphertext only (docs/E2EE.md, "History for a
// new device").

// historyMagic starts the body of an encrypted history entry.
const historyMagic = "parley-history.v1\n"

// payloadHistoryKey is the pairwise payload that carries a history
// bundle's key; it is accepted on the history path only.
const payloadHistoryKey = "history_key"

// ErrNotHistory: a history entry's body is not an encrypted bundle (an
// older client's plaintext bundle, or garbage).
var ErrNotHistory = errors.New("e2ee: not an encrypted history bundle")

// IsSealedHistory reports whether body is an encrypted history bundle.
func IsSealedHistory(body []byte) bool { return bytes.HasPrefix(body, []byte(historyMagic)) }

// FrameHistory joins the Olm header (SealHistoryKey) and the bundle's
// ciphertext into a history entry's body.
func FrameHistory(header, ciphertext []byte) []byte {
	out := make([]byte, 0, len(historyMagic)+len(header)+1+len(ciphertext))
	out = append(out, historyMagic...)
	out = append(out, header...)
	out = append(out, '\n')
	return append(out, ciphertext...)
}

// SplitHistory is FrameHistory's reverse.
func SplitHistory(body []byte) (header, ciphertext []byte, err error) {
	if !IsSealedHistory(body) {
		return nil, nil, ErrNotHistory
	}
	rest := body[len(historyMagic):]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return nil, nil, ErrNotHistory
	}
	return rest[:i], rest[i+1:], nil
}

// SealHistoryKey encrypts a bundle's key and hash over Olm to toDevice,
// another device of this device's account that its signed device list
// names, claiming a one-time key of it first if there is no session
// (chat 0 in the claim: the caller's own devices). It returns the header
// for FrameHistory.
func (d *Device) SealHistoryKey(ctx context.Context, dir Directory, toDevice int64, k MediaKey) ([]byte, error) {
	if trusted, _ := d.Knows(d.accountID, toDevice); !trusted {
		if err := d.Refresh(ctx, dir, d.accountID); err != nil {
			return nil, fmt.Errorf("keys of your account: %w", err)
		}
	}
	target := []Target{{AccountID: d.accountID, DeviceID: toDevice}}
	if missing := d.MissingSessions(target); len(missing) > 0 {
		ks, err := dir.ClaimKeys(ctx, 0, missing)
		if err != nil {
			return nil, fmt.Errorf("claim keys: %w", err)
		}
		if err := d.AddClaimedKeys(ks); err != nil {
			return nil, err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ld, ok := d.trusted(d.accountID, toDevice)
	if !ok {
		return nil, fmt.Errorf("device %d is not in your account's signed device list: approve it first", toDevice)
	}
	kj, err := json.Marshal(k)
	if err != nil {
		return nil, err
	}
	env, err := d.olmEncrypt(ld, pairwise{Type: payloadHistoryKey, Content: kj})
	if err != nil {
		return nil, err
	}
	if env == nil {
		return nil, fmt.Errorf("device %d published no keys", toDevice)
	}
	return json.Marshal(env)
}

// OpenHistoryKey decrypts the header of a history entry from
// fromDevice, which must be a device of this device's own account in its
// signed list (it fetches the list when the device is not trusted yet).
// Errors: ErrUntrusted, ErrTampered, ErrReplay, ErrMisrouted.
func (d *Device) OpenHistoryKey(ctx context.Context, dir Directory, fromAccount, fromDevice int64, header []byte) (MediaKey, error) {
	if fromAccount != d.accountID {
		return MediaKey{}, fmt.Errorf("%w: history from another account", ErrUntrusted)
	}
	if trusted, _ := d.Knows(d.accountID, fromDevice); !trusted {
		if err := d.Refresh(ctx, dir, d.accountID); err != nil {
			return MediaKey{}, fmt.Errorf("keys of your account: %w", err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ld, ok := d.trusted(d.accountID, fromDevice)
	if !ok {
		return MediaKey{}, ErrUntrusted
	}
	var env envelope
	if err := json.Unmarshal(header, &env); err != nil || env.V != 1 {
		return MediaKey{}, fmt.Errorf("%w: history header is not an envelope", ErrTampered)
	}
	p, err := d.olmDecrypt(&env, ld)
	if err != nil {
		return MediaKey{}, err
	}
	if p.Type != payloadHistoryKey {
		return MediaKey{}, fmt.Errorf("%w: a %s payload as a history key", ErrMisrouted, p.Type)
	}
	if p.SenderAccount != d.accountID || p.SenderDevice != fromDevice || p.SenderEd != ld.Ed25519 ||
		p.RecipientDevice != d.deviceID || p.RecipientEd != d.ed() {
		return MediaKey{}, fmt.Errorf("%w: the history key names another sender or recipient", ErrTampered)
	}
	var k MediaKey
	if err := json.Unmarshal(p.Content, &k); err != nil || k.Key == "" || k.SHA256 == "" {
		return MediaKey{}, fmt.Errorf("%w: history key payload", ErrTampered)
	}
	return k, nil
}

// SealHistory encrypts bundle for toDevice (SealHistoryKey) and returns
// the history entry's body to send (POST /v1/devices/{id}/history).
func (d *Device) SealHistory(ctx context.Context, dir Directory, toDevice int64, bundle []byte) ([]byte, error) {
	ct, k, err := EncryptMedia(bundle)
	if err != nil {
		return nil, err
	}
	header, err := d.SealHistoryKey(ctx, dir, toDevice, k)
	if err != nil {
		return nil, err
	}
	return FrameHistory(header, ct), nil
}

// OpenHistory returns the bundle of a history entry that SealHistory
// made on another device of this account. Errors: ErrNotHistory and
// OpenHistoryKey's; ErrMediaTampered when the ciphertext was changed.
func (d *Device) OpenHistory(ctx context.Context, dir Directory, e wire.Entry) ([]byte, error) {
	header, ct, err := SplitHistory(e.Body)
	if err != nil {
		return nil, err
	}
	k, err := d.OpenHistoryKey(ctx, dir, e.SenderAccount, e.SenderDevice, header)
	if err != nil {
		return nil, err
	}
	return DecryptMedia(ct, k)
}
