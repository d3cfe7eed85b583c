package chat

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// The end-to-end key directory (docs/E2EE.md). The server stores public
// keys and hands them out; it never holds a private key and never reads a
// message. It checks what it can (sizes, signatures) so that a client
// with a bug gets a clear error at upload instead of an undecryptable
// message later; clients check the same signatures again, because they
// do not trust the server.

// Key directory limits.
const (
	MaxOneTimeKeysPerUpload = 100 // one-time keys in one PUT /v1/keys
	MaxOneTimeKeys          = 200 // unclaimed one-time keys a device may have
	MaxClaimDevices         = 1024
	maxKeyIDLen             = 64
	maxDeviceListDevices    = 64
)

// DeviceKeys is a device's record in the key directory: its identity
// keys and its fallback key (Fallback.Key empty if none).
type DeviceKeys struct {
	DeviceID  int64
	AccountID int64
	Identity  wire.IdentityKeys
	Fallback  wire.OneTimeKey
	UpdatedAt time.Time
}

// StoredDeviceList is an account's signed device list as the store keeps
// it: the version and signing key apart, to compare, and the list as the
// account's device signed it (JSON).
type StoredDeviceList struct {
	AccountID  int64
	Version    int64
	SigningKey string
	List       []byte
	UpdatedAt  time.Time
}

// KeyStore holds the key directory.
type KeyStore interface {
	// PutDeviceKeys stores k's identity keys and, when k.Fallback.Key is
	// set, its fallback key. The identity keys of a device never change:
	// it returns EConflict if others are stored.
	PutDeviceKeys(ctx context.Context, k DeviceKeys) error
	// AddOneTimeKeys adds keys to the device's pool, atomically: EConflict
	// if a key id is already in the pool, ELimit if the pool would hold
	// more than max keys. It returns the new count.
	AddOneTimeKeys(ctx context.Context, deviceID int64, keys []wire.OneTimeKey, max int) (int, error)
	// CountOneTimeKeys returns how many keys are in the device's pool.
	CountOneTimeKeys(ctx context.Context, deviceID int64) (int, error)
	// ClaimOneTimeKey removes one key from the device's pool and returns
	// it, or ErrNotFound when the pool is empty. Concurrent claims, on any
	// node, never return the same key.
	ClaimOneTimeKey(ctx context.Context, deviceID int64) (wire.OneTimeKey, error)
	// DeviceKeysOf returns the directory records of the devices among ids
	// that have one, ascending by device id.
	DeviceKeysOf(ctx context.Context, ids []int64) ([]DeviceKeys, error)
	// PutDeviceList stores the account's device list; it returns
	// EConflict, storing nothing, if a list with the same signing key and
	// a version as high or higher is stored.
	PutDeviceList(ctx context.Context, l StoredDeviceList) error
	// GetDeviceList returns the account's device list, or ErrNotFound.
	GetDeviceList(ctx context.Context, accountID int64) (StoredDeviceList, error)
	// PutKeyBackup stores the account's encrypted key backup, replacing
	// the one stored; ErrNotFound for no such account.
	PutKeyBackup(ctx context.Context, b KeyBackup) error
	// GetKeyBackup returns the account's key backup, or ErrNotFound.
	GetKeyBackup(ctx context.Context, accountID int64) (KeyBackup, error)
	// DeleteKeyBackup removes the account's key backup; none is not an
	// error.
	DeleteKeyBackup(ctx context.Context, accountID int64) error
}

// decodeKey decodes an unpadded (or padded) standard base64 key or
// signature of exactly n bytes.
func decodeKey(s string, n int) ([]byte, bool) {
	if len(s) > 2*n+4 {
		return nil, false
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil || len(b) != n {
		return nil, false
	}
	return b, true
}

// VerifyKeySignature reports whether sig (base64) is a valid Ed25519
// signature of text by pub (base64). Malformed keys and signatures are
// not valid.
func VerifyKeySignature(pub, text, sig string) bool {
	pk, ok := decodeKey(pub, ed25519.PublicKeySize)
	if !ok {
		return false
	}
	sg, ok := decodeKey(sig, ed25519.SignatureSize)
	if !ok {
		return false
	}
	return ed25519.Verify(pk, []byte(text), sg)
}

// ValidateIdentityKeys checks the sizes of k's keys and its signature.
func ValidateIdentityKeys(k wire.IdentityKeys, accountID, deviceID int64) error {
	if _, ok := decodeKey(k.Curve25519, 32); !ok {
		return parley.InvalidField("identity.curve25519", "curve25519 must be a 32-byte key in base64")
	}
	if _, ok := decodeKey(k.Ed25519, ed25519.PublicKeySize); !ok {
		return parley.InvalidField("identity.ed25519", "ed25519 must be a 32-byte key in base64")
	}
	if !VerifyKeySignature(k.Ed25519, k.SignedText(accountID, deviceID), k.Signature) {
		return parley.InvalidField("identity.signature", "the signature of the identity keys does not verify with their ed25519 key")
	}
	return nil
}

// ValidateOneTimeKey checks the size of k and its signature by ed (the
// device's Ed25519 key). field names k in the error.
func ValidateOneTimeKey(k wire.OneTimeKey, deviceID int64, ed, field string) error {
	if k.KeyID == "" || len(k.KeyID) > maxKeyIDLen {
		return parley.InvalidField(field+".key_id", fmt.Sprintf("key_id must be 1 to %d characters", maxKeyIDLen))
	}
	if _, ok := decodeKey(k.Key, 32); !ok {
		return parley.InvalidField(field+".key", "key must be a 32-byte curve25519 key in base64")
	}
	if !VerifyKeySignature(ed, k.SignedText(deviceID), k.Signature) {
		return parley.InvalidField(field+".signature", "the signature of the key does not verify with the device's ed25519 key")
	}
	return nil
}

// UploadKeys stores the caller's device keys (PUT /v1/keys) and returns
// its key count. Errors:
//   - EInvalid: a malformed key or a signature that does not verify (the
//     field is named), one-time keys or a fallback key before identity
//     keys, more than MaxOneTimeKeysPerUpload keys, a key id twice;
//   - EConflict: identity keys other than those already stored, or a
//     one-time key id already in the pool;
//   - ELimit: the pool would hold more than MaxOneTimeKeys keys.
func (s *Service) UploadKeys(ctx context.Context, p parley.Principal, up wire.KeyUpload) (wire.KeyCount, error) {
	if len(up.OneTimeKeys) > MaxOneTimeKeysPerUpload {
		return wire.KeyCount{}, parley.InvalidField("one_time_keys", fmt.Sprintf("at most %d one-time keys per upload", MaxOneTimeKeysPerUpload))
	}
	var cur *DeviceKeys
	if ks, err := s.store.DeviceKeysOf(ctx, []int64{p.DeviceID}); err != nil {
		return wire.KeyCount{}, fmt.Errorf("device keys: %w", err)
	} else if len(ks) == 1 {
		cur = &ks[0]
	}
	var id wire.IdentityKeys
	switch {
	case up.Identity != nil:
		if err := ValidateIdentityKeys(*up.Identity, p.AccountID, p.DeviceID); err != nil {
			return wire.KeyCount{}, err
		}
		if cur != nil && (cur.Identity.Curve25519 != up.Identity.Curve25519 || cur.Identity.Ed25519 != up.Identity.Ed25519) {
			return wire.KeyCount{}, &parley.Error{Code: parley.EConflict, Message: "this device already has other identity keys; they never change", Details: map[string]any{"field": "identity"}}
		}
		id = *up.Identity
	case cur != nil:
		id = cur.Identity
	case len(up.OneTimeKeys) > 0 || up.FallbackKey != nil:
		return wire.KeyCount{}, parley.InvalidField("identity", "upload the device's identity keys before or with its first one-time keys")
	}
	seen := map[string]bool{}
	for i, k := range up.OneTimeKeys {
		if err := ValidateOneTimeKey(k, p.DeviceID, id.Ed25519, fmt.Sprintf("one_time_keys[%d]", i)); err != nil {
			return wire.KeyCount{}, err
		}
		if seen[k.KeyID] {
			return wire.KeyCount{}, parley.InvalidField(fmt.Sprintf("one_time_keys[%d].key_id", i), "a key id appears twice")
		}
		seen[k.KeyID] = true
	}
	if up.FallbackKey != nil {
		if err := ValidateOneTimeKey(*up.FallbackKey, p.DeviceID, id.Ed25519, "fallback_key"); err != nil {
			return wire.KeyCount{}, err
		}
	}
	if up.Identity != nil || up.FallbackKey != nil {
		k := DeviceKeys{DeviceID: p.DeviceID, AccountID: p.AccountID, Identity: id, UpdatedAt: s.now()}
		if up.FallbackKey != nil {
			k.Fallback = *up.FallbackKey
		}
		if err := s.store.PutDeviceKeys(ctx, k); err != nil {
			return wire.KeyCount{}, err
		}
	}
	n, err := s.store.CountOneTimeKeys(ctx, p.DeviceID)
	if err != nil {
		return wire.KeyCount{}, err
	}
	if len(up.OneTimeKeys) > 0 {
		if n, err = s.store.AddOneTimeKeys(ctx, p.DeviceID, up.OneTimeKeys, MaxOneTimeKeys); err != nil {
			return wire.KeyCount{}, err
		}
	}
	return wire.KeyCount{OneTimeKeys: n, FallbackKey: up.FallbackKey != nil || (cur != nil && cur.Fallback.Key != "")}, nil
}

// KeyCount returns how many one-time keys the caller's device has left
// on the server, so that it uploads more when they run low.
func (s *Service) KeyCount(ctx context.Context, p parley.Principal) (wire.KeyCount, error) {
	n, err := s.store.CountOneTimeKeys(ctx, p.DeviceID)
	if err != nil {
		return wire.KeyCount{}, err
	}
	ks, err := s.store.DeviceKeysOf(ctx, []int64{p.DeviceID})
	if err != nil {
		return wire.KeyCount{}, err
	}
	return wire.KeyCount{OneTimeKeys: n, FallbackKey: len(ks) == 1 && ks[0].Fallback.Key != ""}, nil
}

// ClaimKeys hands out, for each device of req.Devices, its identity keys
// and one of its one-time keys, each at most once; the fallback key when
// its pool is empty. Devices without identity keys are left out of the
// answer. Chat 0 stands for the caller's own account: its devices only
// (a history bundle to a newly linked device). Errors:
//   - ENotFound, EForbidden: no such chat, or the caller is not a member;
//   - EInvalid: no devices, more than MaxClaimDevices;
//   - EInvalid: a device that is not a device of a member of the chat
//     (details: device_id).
func (s *Service) ClaimKeys(ctx context.Context, p parley.Principal, req wire.KeyClaim) ([]wire.ClaimedKey, error) {
	if req.ChatID != 0 {
		if _, _, err := s.memberChat(ctx, p, req.ChatID); err != nil {
			return nil, err
		}
	}
	if len(req.Devices) == 0 || len(req.Devices) > MaxClaimDevices {
		return nil, parley.InvalidField("devices", fmt.Sprintf("devices must list 1 to %d device ids", MaxClaimDevices))
	}
	var devs []Device
	var err error
	if req.ChatID == 0 {
		// Chat 0: the caller's own devices, for a history bundle to a
		// newly linked one (docs/E2EE.md, "History for a new device").
		devs, err = s.store.ListDevices(ctx, p.AccountID)
	} else {
		devs, err = s.Recipients(ctx, req.ChatID, 0)
	}
	if err != nil {
		return nil, err
	}
	ids := slices.Clone(req.Devices)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		if !slices.ContainsFunc(devs, func(d Device) bool { return d.ID == id }) {
			return nil, &parley.Error{Code: parley.EInvalid, Message: "not a device of a member of this chat", Details: map[string]any{"field": "devices", "device_id": id}}
		}
	}
	ks, err := s.store.DeviceKeysOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]wire.ClaimedKey, 0, len(ks))
	for _, k := range ks {
		c := wire.ClaimedKey{AccountID: k.AccountID, DeviceID: k.DeviceID, Identity: k.Identity}
		otk, err := s.store.ClaimOneTimeKey(ctx, k.DeviceID)
		switch {
		case err == nil:
			c.OneTimeKey = otk
		case parley.ErrorCode(err) == parley.ENotFound && k.Fallback.Key != "":
			c.OneTimeKey, c.Fallback = k.Fallback, true
		case parley.ErrorCode(err) == parley.ENotFound:
			continue
		default:
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// AccountKeys returns an account's signed device list and the identity
// keys of its devices (GET /v1/accounts/{id}/keys). Any device may read
// them: they are public keys. ENotFound for no such account.
func (s *Service) AccountKeys(ctx context.Context, accountID int64) (wire.AccountKeys, error) {
	if _, err := s.store.GetAccount(ctx, accountID); parley.ErrorCode(err) == parley.ENotFound {
		return wire.AccountKeys{}, &parley.Error{Code: parley.ENotFound, Message: "no such account", Details: map[string]any{"account_id": accountID}}
	} else if err != nil {
		return wire.AccountKeys{}, err
	}
	out := wire.AccountKeys{AccountID: accountID, Devices: []wire.DeviceKeys{}}
	devs, err := s.store.ListDevices(ctx, accountID)
	if err != nil {
		return out, err
	}
	ids := make([]int64, len(devs))
	for i, d := range devs {
		ids[i] = d.ID
	}
	ks, err := s.store.DeviceKeysOf(ctx, ids)
	if err != nil {
		return out, err
	}
	for _, k := range ks {
		out.Devices = append(out.Devices, wire.DeviceKeys{DeviceID: k.DeviceID, Identity: k.Identity})
	}
	l, err := s.store.GetDeviceList(ctx, accountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return out, nil
	} else if err != nil {
		return out, err
	}
	var dl wire.DeviceList
	if err := json.Unmarshal(l.List, &dl); err != nil {
		return out, fmt.Errorf("decode device list of account %d: %w", accountID, err)
	}
	out.DeviceList = &dl
	return out, nil
}

// PutDeviceList stores the caller's account's signed device list
// (PUT /v1/me/device-list). The server checks the signature and the
// version so that a stale or broken list is refused; clients check the
// signature again. Errors:
//   - EInvalid: another account's list, a malformed signing key, a
//     signature that does not verify, no devices or more than 64, a
//     device twice or a device that is not the account's;
//   - EConflict: a list of the same signing key with this version or a
//     newer one is stored.
func (s *Service) PutDeviceList(ctx context.Context, p parley.Principal, l wire.DeviceList) error {
	if l.AccountID != p.AccountID {
		return parley.InvalidField("account_id", "a device list must be your own account's")
	}
	if l.Version < 1 {
		return parley.InvalidField("version", "version must be 1 or more")
	}
	if len(l.Devices) == 0 || len(l.Devices) > maxDeviceListDevices {
		return parley.InvalidField("devices", fmt.Sprintf("devices must list 1 to %d devices", maxDeviceListDevices))
	}
	if _, ok := decodeKey(l.SigningKey, ed25519.PublicKeySize); !ok {
		return parley.InvalidField("signing_key", "signing_key must be a 32-byte ed25519 key in base64")
	}
	if !VerifyKeySignature(l.SigningKey, l.SignedText(), l.Signature) {
		return parley.InvalidField("signature", "the signature of the device list does not verify with its signing key")
	}
	own, err := s.store.ListDevices(ctx, p.AccountID)
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for i, d := range l.Devices {
		if seen[d.DeviceID] || !slices.ContainsFunc(own, func(o Device) bool { return o.ID == d.DeviceID }) {
			return &parley.Error{Code: parley.EInvalid, Message: "a device listed twice or not of this account", Details: map[string]any{"field": fmt.Sprintf("devices[%d]", i)}}
		}
		seen[d.DeviceID] = true
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return s.store.PutDeviceList(ctx, StoredDeviceList{AccountID: l.AccountID, Version: l.Version, SigningKey: l.SigningKey, List: b, UpdatedAt: s.now()})
}
