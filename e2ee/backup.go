package e2ee

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/wire"
)

// The encrypted key backup (docs/E2EE.md, "Key backup"). The person turns
// it on and writes down a recovery key: 256 random bits, shown once. A
// device uploads its inbound Megolm sessions and its history bundle,
// encrypted with AES-256-GCM under a key derived from the recovery key
// with HKDF-SHA-256; the server stores the blob and cannot open it. A new
// device that has the recovery key downloads the blob and opens it. The
// key is random, not a password: nobody can guess it offline from the
// blob, so no slow KDF is needed.

// RecoveryKey is the 256-bit secret that protects a key backup.
type RecoveryKey [32]byte

// Errors of recovery keys and backups.
var (
	// ErrRecoveryKeyFormat: the text is not a recovery key (a typo: its
	// check digits do not match).
	ErrRecoveryKeyFormat = errors.New("e2ee: not a recovery key (check for a typo)")
	// ErrWrongRecoveryKey: the recovery key is well formed but does not
	// open this backup.
	ErrWrongRecoveryKey = errors.New("e2ee: this recovery key does not open the backup")
	// ErrBadBackup: the blob is not a backup this build reads.
	ErrBadBackup = errors.New("e2ee: not a key backup")
)

// HKDF labels: one key for AES-GCM, one public fingerprint that tells a
// wrong recovery key apart from a damaged blob.
const (
	backupKeyInfo   = "parley key backup v1 aes-256-gcm"
	backupKeyIDInfo = "parley key backup v1 key id"
	// BackupAlg names the backup's encryption in wire.KeyBackup.Alg.
	BackupAlg = "hkdf-sha256.aes-256-gcm"
)

// recoveryKeyCheck is the number of SHA-256 bytes appended before
// encoding, so that a mistyped key is told apart from a wrong one.
const recoveryKeyCheck = 2

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRecoveryKey returns a fresh random recovery key.
func NewRecoveryKey() (RecoveryKey, error) {
	var k RecoveryKey
	_, err := rand.Read(k[:])
	return k, err
}

// String returns the key for a person to write down: 55 letters and
// digits (the key and 2 check bytes, base32) in groups of four.
func (k RecoveryKey) String() string {
	sum := sha256.Sum256(k[:])
	s := recoveryEncoding.EncodeToString(append(k[:], sum[:recoveryKeyCheck]...))
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// ParseRecoveryKey reads a key that String wrote, ignoring spaces,
// dashes and case, and reading 0, 1 and 8 as O, I and B.
func ParseRecoveryKey(s string) (RecoveryKey, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', '\n', '\r':
			return -1
		case '0':
			return 'O'
		case '1':
			return 'I'
		case '8':
			return 'B'
		}
		return r
	}, strings.ToUpper(s))
	var k RecoveryKey
	b, err := recoveryEncoding.DecodeString(s)
	if err != nil || len(b) != len(k)+recoveryKeyCheck {
		return k, ErrRecoveryKeyFormat
	}
	sum := sha256.Sum256(b[:len(k)])
	if subtle.ConstantTimeCompare(sum[:recoveryKeyCheck], b[len(k):]) != 1 {
		return k, ErrRecoveryKeyFormat
	}
	copy(k[:], b)
	return k, nil
}

// BackupKeys derives the AES-256 key and the key id (its public
// fingerprint, stored in the blob) from a recovery key. The web app
// derives them here and encrypts with WebCrypto (SECURITY.md, "AES on
// WebAssembly").
func (k RecoveryKey) BackupKeys() (aesKey, keyID []byte, err error) {
	if aesKey, err = hkdf.Key(sha256.New, k[:], nil, backupKeyInfo, 32); err != nil {
		return nil, nil, err
	}
	if keyID, err = hkdf.Key(sha256.New, k[:], nil, backupKeyIDInfo, 16); err != nil {
		return nil, nil, err
	}
	return aesKey, keyID, nil
}

// The blob is a wire.KeyBackup. The AES-GCM nonce is the ciphertext's
// first 12 bytes; the additional data is BackupAAD(AccountID).

// BackupAAD is the additional data of a backup's AES-GCM: it binds the
// blob to its account.
func BackupAAD(accountID int64) []byte {
	return []byte("parley.key-backup.v1|" + strconv.FormatInt(accountID, 10))
}

// SealBackup encrypts a backup payload (BackupPayload) of accountID
// under the recovery key and returns the blob to upload.
func SealBackup(k RecoveryKey, accountID int64, payload []byte) ([]byte, error) {
	key, keyID, err := k.BackupKeys()
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	ct := gcm.Seal(nonce, nonce, payload, BackupAAD(accountID))
	return json.Marshal(wire.KeyBackup{V: 1, Alg: BackupAlg, AccountID: accountID, KeyID: keyID, Ciphertext: ct})
}

// OpenBackup opens a blob that SealBackup made for accountID.
// ErrWrongRecoveryKey when the key is not the backup's; ErrBadBackup
// when the blob is damaged or of another account.
func OpenBackup(k RecoveryKey, accountID int64, blob []byte) ([]byte, error) {
	var b wire.KeyBackup
	if err := json.Unmarshal(blob, &b); err != nil || b.V != 1 || b.Alg != BackupAlg {
		return nil, ErrBadBackup
	}
	if b.AccountID != accountID {
		return nil, fmt.Errorf("%w: it is account %d's", ErrBadBackup, b.AccountID)
	}
	key, keyID, err := k.BackupKeys()
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(keyID, b.KeyID) != 1 {
		return nil, ErrWrongRecoveryKey
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(b.Ciphertext) < gcm.NonceSize() {
		return nil, ErrBadBackup
	}
	plain, err := gcm.Open(nil, b.Ciphertext[:gcm.NonceSize()], b.Ciphertext[gcm.NonceSize():], BackupAAD(accountID))
	if err != nil {
		return nil, fmt.Errorf("%w: it does not authenticate", ErrBadBackup)
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// backupPayload is what a backup holds: the device's inbound group
// sessions (so that group messages sent before the loss, wherever their
// ciphertext is still kept, can be read) and its history bundle (the
// messages themselves: the server keeps none once delivered).
type backupPayload struct {
	Format    int                    `json:"parley_backup"`
	AccountID int64                  `json:"account_id"`
	DeviceID  int64                  `json:"device_id"`
	CreatedAt time.Time              `json:"created_at"`
	Sessions  map[string]inGroupJSON `json:"sessions"`
	History   []byte                 `json:"history,omitempty"`
	// SigningKey is the account's signing key when this device holds it:
	// without it, a device set up after every other was lost could never
	// enter the account's signed device list again.
	SigningKey []byte `json:"signing_key,omitempty"`
}

// BackupPayload returns the plaintext of a backup of this device: its
// inbound Megolm sessions and history (a bundle in the caller's format,
// may be nil). Encrypt it with SealBackup.
func (d *Device) BackupPayload(history []byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := backupPayload{Format: 1, AccountID: d.accountID, DeviceID: d.deviceID, CreatedAt: d.now().UTC(),
		Sessions: map[string]inGroupJSON{}, History: history, SigningKey: d.signing}
	for sid, g := range d.in {
		j, err := g.marshal()
		if err != nil {
			return nil, err
		}
		p.Sessions[sid] = j
	}
	return json.Marshal(p)
}

// RestoreBackup adds the inbound group sessions of a backup payload of
// this account that this device does not have, takes the account's
// signing key from it when this device has none (then call Reclaim), and
// returns the backup's history bundle and how many sessions it added.
func (d *Device) RestoreBackup(payload []byte) (history []byte, added int, err error) {
	var p backupPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Format != 1 {
		return nil, 0, ErrBadBackup
	}
	if p.AccountID != d.accountID {
		return nil, 0, fmt.Errorf("%w: it is account %d's", ErrBadBackup, p.AccountID)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.signing == nil && len(p.SigningKey) == ed25519.PrivateKeySize {
		d.signing = ed25519.PrivateKey(p.SigningKey)
	}
	for sid, j := range p.Sessions {
		if _, ok := d.in[sid]; ok {
			continue
		}
		g, err := j.unmarshal()
		if err != nil {
			return nil, added, err
		}
		d.in[sid] = g
		added++
	}
	return p.History, added, nil
}

// Reclaim puts this device into its account's signed device list with
// the signing key a backup restored (RestoreBackup), keeping only the
// listed devices the server still has: after every device was lost, the
// restored device signs the list again under the same key, so contacts
// trust it without a "keys changed" warning. It does nothing when the
// device does not hold the list's signing key or is already listed.
func (d *Device) Reclaim(ctx context.Context, dir Directory) error {
	own, err := dir.AccountKeys(ctx, d.accountID)
	if err != nil {
		return err
	}
	l := d.reclaimList(own)
	if l == nil {
		return nil
	}
	if err := dir.PutDeviceList(ctx, *l); err != nil {
		return fmt.Errorf("publish device list: %w", err)
	}
	own.DeviceList = l
	_, err = d.UpdatePeer(own)
	return err
}

func (d *Device) reclaimList(own wire.AccountKeys) *wire.DeviceList {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := own.DeviceList
	me := wire.ListedDevice{DeviceID: d.deviceID, Curve25519: d.curve(), Ed25519: d.ed()}
	if l == nil || d.signing == nil || b64(d.signing.Public().(ed25519.PublicKey)) != l.SigningKey || slices.Contains(l.Devices, me) {
		return nil
	}
	var keep []wire.ListedDevice
	for _, ld := range l.Devices {
		if slices.ContainsFunc(own.Devices, func(k wire.DeviceKeys) bool { return k.DeviceID == ld.DeviceID }) {
			keep = append(keep, ld)
		}
	}
	return d.signList(l.Version+1, append(keep, me))
}
