package sqlstore

import (
	"context"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/wire"
)

// The end-to-end key directory (chat.KeyStore), written once for both
// databases.

// PutDeviceKeys stores k's identity keys and, when set, its fallback key.
// EConflict if other identity keys are stored for the device.
func (s *Store) PutDeviceKeys(ctx context.Context, k chat.DeviceKeys) error {
	err := s.tx(ctx, func(tx Querier) error {
		var curve, ed string
		err := tx.QueryRow(ctx, `SELECT curve25519, ed25519 FROM device_keys WHERE device_id = ?`+s.d.LockRows(), k.DeviceID).Scan(&curve, &ed)
		switch {
		case noRows(err):
			_, err = tx.Exec(ctx, `
				INSERT INTO device_keys (device_id, account_id, curve25519, ed25519, signature,
					fallback_key_id, fallback_key, fallback_sig, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				k.DeviceID, k.AccountID, k.Identity.Curve25519, k.Identity.Ed25519, k.Identity.Signature,
				k.Fallback.KeyID, k.Fallback.Key, k.Fallback.Signature, s.ts(k.UpdatedAt))
			return err
		case err != nil:
			return err
		case curve != k.Identity.Curve25519 || ed != k.Identity.Ed25519:
			return parley.Errorf(parley.EConflict, "this device already has other identity keys")
		case k.Fallback.Key == "":
			return nil
		}
		_, err = tx.Exec(ctx, `
			UPDATE device_keys SET fallback_key_id = ?, fallback_key = ?, fallback_sig = ?, updated_at = ?
			WHERE device_id = ?`,
			k.Fallback.KeyID, k.Fallback.Key, k.Fallback.Signature, s.ts(k.UpdatedAt), k.DeviceID)
		return err
	})
	return s.wrap("put device keys", err)
}

// AddOneTimeKeys adds keys to the device's pool: EConflict for a key id
// already there, ELimit past max. It returns the new count.
func (s *Store) AddOneTimeKeys(ctx context.Context, deviceID int64, keys []wire.OneTimeKey, max int) (int, error) {
	var n int
	err := s.tx(ctx, func(tx Querier) error {
		// The device row's lock serializes uploads of one device, so the
		// count and the insert agree.
		if err := s.lockRow(ctx, tx, "devices", deviceID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM one_time_keys WHERE device_id = ?`, deviceID).Scan(&n); err != nil {
			return err
		}
		if n+len(keys) > max {
			return parley.Errorf(parley.ELimit, "a device may have at most %d unclaimed one-time keys (it has %d)", max, n)
		}
		if len(keys) == 0 {
			return nil
		}
		args := make([]any, 0, 4*len(keys))
		for _, k := range keys {
			args = append(args, deviceID, k.KeyID, k.Key, k.Signature)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO one_time_keys (device_id, key_id, key, signature) VALUES `+values(len(keys), 4), args...); err != nil {
			return err
		}
		n += len(keys)
		return nil
	})
	return n, s.wrap("add one-time keys", err)
}

// CountOneTimeKeys returns the size of the device's pool.
func (s *Store) CountOneTimeKeys(ctx context.Context, deviceID int64) (int, error) {
	var n int
	err := s.r.QueryRow(ctx, `SELECT count(*) FROM one_time_keys WHERE device_id = ?`, deviceID).Scan(&n)
	return n, s.wrap("count one-time keys", err)
}

// ClaimOneTimeKey deletes the device's oldest one-time key and returns
// it, or ErrNotFound. On PostgreSQL, SKIP LOCKED lets a concurrent claim
// pass over the row another claim is taking, so two claims never return
// the same key and neither comes back empty while keys remain; SQLite's
// one writer serializes them.
func (s *Store) ClaimOneTimeKey(ctx context.Context, deviceID int64) (wire.OneTimeKey, error) {
	var k wire.OneTimeKey
	err := s.w.QueryRow(ctx, `
		DELETE FROM one_time_keys WHERE id = (
			SELECT id FROM one_time_keys WHERE device_id = ? ORDER BY id LIMIT 1`+s.d.SkipLocked()+`)
		RETURNING key_id, key, signature`, deviceID).Scan(&k.KeyID, &k.Key, &k.Signature)
	return k, s.wrap("claim one-time key", err)
}

// DeviceKeysOf returns the key records of the devices among ids.
func (s *Store) DeviceKeysOf(ctx context.Context, ids []int64) ([]chat.DeviceKeys, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := s.d.List(ids)
	if err != nil {
		return nil, s.wrap("device keys of", err)
	}
	ks, err := queryAll(ctx, s.r, `
		SELECT device_id, account_id, curve25519, ed25519, signature, fallback_key_id, fallback_key, fallback_sig, updated_at
		FROM device_keys WHERE `+s.d.In("device_id")+` ORDER BY device_id`,
		func(r Row) (chat.DeviceKeys, error) {
			var k chat.DeviceKeys
			err := r.Scan(&k.DeviceID, &k.AccountID, &k.Identity.Curve25519, &k.Identity.Ed25519, &k.Identity.Signature,
				&k.Fallback.KeyID, &k.Fallback.Key, &k.Fallback.Signature, tcol(&k.UpdatedAt))
			return k, err
		}, list)
	return ks, s.wrap("device keys of", err)
}

// PutDeviceList stores the list unless one of the same signing key with
// as high a version is stored (EConflict).
func (s *Store) PutDeviceList(ctx context.Context, l chat.StoredDeviceList) error {
	err := s.tx(ctx, func(tx Querier) error {
		if err := s.lockRow(ctx, tx, "accounts", l.AccountID); err != nil {
			return err
		}
		var version int64
		var key string
		err := tx.QueryRow(ctx, `SELECT version, signing_key FROM device_lists WHERE account_id = ?`, l.AccountID).Scan(&version, &key)
		switch {
		case noRows(err):
			_, err = tx.Exec(ctx, `INSERT INTO device_lists (account_id, version, signing_key, list, updated_at) VALUES (?, ?, ?, ?, ?)`,
				l.AccountID, l.Version, l.SigningKey, l.List, s.ts(l.UpdatedAt))
			return err
		case err != nil:
			return err
		case key == l.SigningKey && version >= l.Version:
			return parley.Errorf(parley.EConflict, "a device list of version %d is stored; send a newer one", version)
		}
		_, err = tx.Exec(ctx, `UPDATE device_lists SET version = ?, signing_key = ?, list = ?, updated_at = ? WHERE account_id = ?`,
			l.Version, l.SigningKey, l.List, s.ts(l.UpdatedAt), l.AccountID)
		return err
	})
	return s.wrap("put device list", err)
}

// GetDeviceList returns the account's device list, or ErrNotFound.
func (s *Store) GetDeviceList(ctx context.Context, accountID int64) (chat.StoredDeviceList, error) {
	var l chat.StoredDeviceList
	err := s.r.QueryRow(ctx, `SELECT account_id, version, signing_key, list, updated_at FROM device_lists WHERE account_id = ?`, accountID).
		Scan(&l.AccountID, &l.Version, &l.SigningKey, &l.List, tcol(&l.UpdatedAt))
	return l, s.wrap("get device list", err)
}

// PutKeyBackup stores the account's key backup, replacing any other
// (ErrNotFound for no such account).
func (s *Store) PutKeyBackup(ctx context.Context, b chat.KeyBackup) error {
	err := s.tx(ctx, func(tx Querier) error {
		if err := s.lockRow(ctx, tx, "accounts", b.AccountID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO key_backups (account_id, blob, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET blob = excluded.blob, updated_at = excluded.updated_at`,
			b.AccountID, b.Blob, s.ts(b.UpdatedAt))
		return err
	})
	return s.wrap("put key backup", err)
}

// GetKeyBackup returns the account's key backup, or ErrNotFound.
func (s *Store) GetKeyBackup(ctx context.Context, accountID int64) (chat.KeyBackup, error) {
	b := chat.KeyBackup{AccountID: accountID}
	err := s.r.QueryRow(ctx, `SELECT blob, updated_at FROM key_backups WHERE account_id = ?`, accountID).
		Scan(&b.Blob, tcol(&b.UpdatedAt))
	return b, s.wrap("get key backup", err)
}

// DeleteKeyBackup removes the account's key backup, if it has one.
func (s *Store) DeleteKeyBackup(ctx context.Context, accountID int64) error {
	_, err := s.w.Exec(ctx, `DELETE FROM key_backups WHERE account_id = ?`, accountID)
	return s.wrap("delete key backup", err)
}
