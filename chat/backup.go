package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// The encrypted key backup (docs/E2EE.md, "Key backup"): one blob per
// account, encrypted on a device under a recovery key the server never
// sees. The server checks its shape and size, keeps the newest, and
// hands it to the account's devices.

// keyBackupAlg is the one encryption the server accepts a backup in.
const keyBackupAlg = "hkdf-sha256.aes-256-gcm"

// keyBackupKeyID is the size of wire.KeyBackup.KeyID.
const keyBackupKeyID = 16

// KeyBackup is an account's stored key backup: the JSON of a
// wire.KeyBackup as the device uploaded it.
type KeyBackup struct {
	AccountID int64
	Blob      []byte
	UpdatedAt time.Time
}

// PutKeyBackup stores the caller's account's key backup, replacing the
// one stored. Errors: ETooLarge over MaxKeyBackup; EInvalid when the
// blob is not a wire.KeyBackup of the caller's account.
func (s *Service) PutKeyBackup(ctx context.Context, p parley.Principal, blob []byte) (KeyBackup, error) {
	if int64(len(blob)) > s.cfg.MaxKeyBackup {
		return KeyBackup{}, &parley.Error{Code: parley.ETooLarge, Message: fmt.Sprintf("a key backup may be at most %d bytes", s.cfg.MaxKeyBackup), Details: map[string]any{"limit": s.cfg.MaxKeyBackup}}
	}
	var b wire.KeyBackup
	if err := json.Unmarshal(blob, &b); err != nil {
		return KeyBackup{}, parley.InvalidField("backup", "the backup must be a JSON key backup object")
	}
	switch {
	case b.V != 1:
		return KeyBackup{}, parley.InvalidField("v", "v must be 1")
	case b.Alg != keyBackupAlg:
		return KeyBackup{}, parley.InvalidField("alg", "alg must be "+keyBackupAlg)
	case b.AccountID != p.AccountID:
		return KeyBackup{}, parley.InvalidField("account_id", "account_id must be your account's")
	case len(b.KeyID) != keyBackupKeyID:
		return KeyBackup{}, parley.InvalidField("key_id", fmt.Sprintf("key_id must be %d bytes in base64", keyBackupKeyID))
	case len(b.Ciphertext) < 12+16:
		return KeyBackup{}, parley.InvalidField("ciphertext", "ciphertext must hold a nonce and a tag")
	}
	kb := KeyBackup{AccountID: p.AccountID, Blob: blob, UpdatedAt: s.now()}
	if err := s.store.PutKeyBackup(ctx, kb); err != nil {
		return KeyBackup{}, err
	}
	return kb, nil
}

// GetKeyBackup returns the caller's account's key backup; ENotFound when
// backup is off.
func (s *Service) GetKeyBackup(ctx context.Context, p parley.Principal) (KeyBackup, error) {
	b, err := s.store.GetKeyBackup(ctx, p.AccountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return b, parley.Errorf(parley.ENotFound, "this account has no key backup")
	}
	return b, err
}

// DeleteKeyBackup turns the caller's account's key backup off: the
// server keeps no copy.
func (s *Service) DeleteKeyBackup(ctx context.Context, p parley.Principal) error {
	return s.store.DeleteKeyBackup(ctx, p.AccountID)
}
