package wire

import (
	"strconv"
	"strings"
)

// The end-to-end key directory (docs/E2EE.md). Keys travel as unpadded
// standard base64, as Olm writes them: a Curve25519 or Ed25519 public key
// is 43 characters (32 bytes), an Ed25519 signature 86 (64 bytes). What a
// signature covers is the text that the SignedText methods below return,
// so that the server, the Go client and any other client sign and check
// the same bytes.

// IdentityKeys are a device's long-term public keys: Curve25519 for Olm
// sessions and Ed25519 for signatures. Signature is the device's Ed25519
// signature of SignedText, which proves it holds the private key.
type IdentityKeys struct {
	Curve25519 string `json:"curve25519"`
	Ed25519    string `json:"ed25519"`
	Signature  string `json:"signature"`
}

// SignedText is what the device's Ed25519 key signs: the keys bound to
// the account and device they belong to.
func (k IdentityKeys) SignedText(accountID, deviceID int64) string {
	return "parley.identity.v1|" + strconv.FormatInt(accountID, 10) + "|" + strconv.FormatInt(deviceID, 10) + "|" + k.Curve25519 + "|" + k.Ed25519
}

// OneTimeKey is a Curve25519 one-time key (or the fallback key) that a
// peer claims to start an Olm session, signed by the device's Ed25519 key.
type OneTimeKey struct {
	KeyID     string `json:"key_id"`
	Key       string `json:"key"`
	Signature string `json:"signature"`
}

// SignedText is what the device's Ed25519 key signs for a one-time key.
func (k OneTimeKey) SignedText(deviceID int64) string {
	return "parley.otk.v1|" + strconv.FormatInt(deviceID, 10) + "|" + k.KeyID + "|" + k.Key
}

// KeyUpload is the body of PUT /v1/keys. Each part is optional, but a
// device's identity keys must be on the server before or with its first
// one-time keys, and never change once they are.
type KeyUpload struct {
	Identity    *IdentityKeys `json:"identity,omitempty"`
	OneTimeKeys []OneTimeKey  `json:"one_time_keys,omitempty"`
	FallbackKey *OneTimeKey   `json:"fallback_key,omitempty"`
}

// KeyCount is what GET /v1/keys/count (and PUT /v1/keys) answer: how many
// unclaimed one-time keys the device has on the server, so that it
// uploads more when they run low, and whether it has a fallback key.
type KeyCount struct {
	OneTimeKeys int  `json:"one_time_keys"`
	FallbackKey bool `json:"fallback_key"`
}

// KeyClaim is the body of POST /v1/keys/claim: one key for each of the
// devices, which must be devices of members of the chat (chat 0: the
// caller's own devices).
type KeyClaim struct {
	ChatID  int64   `json:"chat_id"`
	Devices []int64 `json:"devices"`
}

// ClaimedKey is one device's keys as a claim hands them out: its
// identity keys and one one-time key, or its fallback key (Fallback set)
// when its pool is empty.
type ClaimedKey struct {
	AccountID  int64        `json:"account_id"`
	DeviceID   int64        `json:"device_id"`
	Identity   IdentityKeys `json:"identity"`
	OneTimeKey OneTimeKey   `json:"one_time_key"`
	Fallback   bool         `json:"fallback,omitempty"`
}

// DeviceKeys is one device's identity keys as the directory lists them.
type DeviceKeys struct {
	DeviceID int64        `json:"device_id"`
	Identity IdentityKeys `json:"identity"`
}

// AccountKeys is the answer of GET /v1/accounts/{id}/keys: the account's
// signed device list (nil if it has none yet) and the identity keys of
// every device the server has for it. A client trusts only the devices
// the list names with these very keys; a device the server lists that the
// signed list does not name is flagged, never encrypted to.
type AccountKeys struct {
	AccountID  int64        `json:"account_id"`
	DeviceList *DeviceList  `json:"device_list"`
	Devices    []DeviceKeys `json:"devices"`
}

// DeviceList is an account's list of its devices, signed by the account's
// signing key, an Ed25519 key that only the account's devices hold (the
// first device makes it; a linked device receives it from one that has
// it). Version grows with each change.
type DeviceList struct {
	AccountID  int64          `json:"account_id"`
	Version    int64          `json:"version"`
	SigningKey string         `json:"signing_key"`
	Devices    []ListedDevice `json:"devices"`
	Signature  string         `json:"signature"`
}

// ListedDevice is one device of a DeviceList, named with its keys.
type ListedDevice struct {
	DeviceID   int64  `json:"device_id"`
	Curve25519 string `json:"curve25519"`
	Ed25519    string `json:"ed25519"`
}

// SignedText is what the account's signing key signs: the account, the
// version, the signing key and every device with its keys, in the list's
// order.
func (l DeviceList) SignedText() string {
	var b strings.Builder
	b.WriteString("parley.devicelist.v1|")
	b.WriteString(strconv.FormatInt(l.AccountID, 10))
	b.WriteString("|")
	b.WriteString(strconv.FormatInt(l.Version, 10))
	b.WriteString("|")
	b.WriteString(l.SigningKey)
	for _, d := range l.Devices {
		b.WriteString("|")
		b.WriteString(strconv.FormatInt(d.DeviceID, 10))
		b.WriteString(":")
		b.WriteString(d.Curve25519)
		b.WriteString(":")
		b.WriteString(d.Ed25519)
	}
	return b.String()
}

// KeyBackup is an account's encrypted key backup as its devices upload it
// (PUT /v1/me/key-backup) and read it back: AES-256-GCM under a key that
// HKDF-SHA-256 derives from the person's recovery key, the nonce first in
// Ciphertext. KeyID is another HKDF output of the recovery key, so that
// a device tells a wrong recovery key from a damaged blob. The server
// checks the shape and stores the blob; it cannot open it.
type KeyBackup struct {
	V          int    `json:"v"`
	Alg        string `json:"alg"`
	AccountID  int64  `json:"account_id"`
	KeyID      []byte `json:"key_id"`
	Ciphertext []byte `json:"ciphertext"`
}
