package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// PutOTP creates or replaces the pending code for otp.Phone.
func (db *DB) PutOTP(ctx context.Context, otp chat.OTP) error {
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO otps (phone, code_hash, attempts, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (phone) DO UPDATE SET
			code_hash = excluded.code_hash, attempts = excluded.attempts,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		otp.Phone, otp.CodeHash, otp.Attempts, ns(otp.CreatedAt), ns(otp.ExpiresAt))
	return wrap("put otp", err)
}

// GetOTP returns the pending code for phone, or ErrNotFound.
func (db *DB) GetOTP(ctx context.Context, phone string) (chat.OTP, error) {
	o := chat.OTP{Phone: phone}
	err := db.r.QueryRowContext(ctx,
		`SELECT code_hash, attempts, created_at, expires_at FROM otps WHERE phone = ?`, phone).
		Scan(&o.CodeHash, &o.Attempts, tcol(&o.CreatedAt), tcol(&o.ExpiresAt))
	if err != nil {
		return chat.OTP{}, wrap("get otp", err)
	}
	return o, nil
}

// IncrOTPAttempts adds one to the attempts of phone's code and returns the
// new count, or ErrNotFound.
func (db *DB) IncrOTPAttempts(ctx context.Context, phone string) (int, error) {
	var n int
	err := db.w.QueryRowContext(ctx,
		`UPDATE otps SET attempts = attempts + 1 WHERE phone = ? RETURNING attempts`, phone).Scan(&n)
	if err != nil {
		return 0, wrap("incr otp attempts", err)
	}
	return n, nil
}

// DeleteOTP removes phone's code, if any.
func (db *DB) DeleteOTP(ctx context.Context, phone string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM otps WHERE phone = ?`, phone)
	return wrap("delete otp", err)
}

const accountCols = `id, phone, display_name, about, avatar_media_id, last_seen_visibility,
	avatar_visibility, read_receipts, created_at, last_seen_at`

func scanAccount(sc interface{ Scan(...any) error }) (chat.Account, error) {
	var a chat.Account
	err := sc.Scan(&a.ID, &a.Phone, &a.DisplayName, &a.About, &a.AvatarMediaID, &a.LastSeenVisibility,
		&a.AvatarVisibility, &a.ReadReceipts, tcol(&a.CreatedAt), tcol(&a.LastSeenAt))
	return a, err
}

// CreateAccount inserts a and sets a.ID. It returns EConflict if the phone
// number is taken.
func (db *DB) CreateAccount(ctx context.Context, a *chat.Account) error {
	err := db.w.QueryRowContext(ctx, `
		INSERT INTO accounts (phone, display_name, about, avatar_media_id, last_seen_visibility,
			avatar_visibility, read_receipts, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (phone) DO NOTHING
		RETURNING id`,
		a.Phone, a.DisplayName, a.About, a.AvatarMediaID, a.LastSeenVisibility,
		a.AvatarVisibility, a.ReadReceipts, ns(a.CreatedAt), ns(a.LastSeenAt)).Scan(&a.ID)
	if err == sql.ErrNoRows {
		return fmt.Errorf("create account: %w", parley.Errorf(parley.EConflict, "phone number already registered"))
	}
	return wrap("create account", err)
}

// GetAccount returns the account, or ErrNotFound.
func (db *DB) GetAccount(ctx context.Context, id int64) (chat.Account, error) {
	a, err := scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
	if err != nil {
		return chat.Account{}, wrap("get account", err)
	}
	return a, nil
}

// GetAccountByPhone returns the account with that number, or ErrNotFound.
func (db *DB) GetAccountByPhone(ctx context.Context, phone string) (chat.Account, error) {
	a, err := scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE phone = ?`, phone))
	if err != nil {
		return chat.Account{}, wrap("get account by phone", err)
	}
	return a, nil
}

// LookupPhones returns the accounts among phones that exist.
func (db *DB) LookupPhones(ctx context.Context, phones []string) ([]chat.Account, error) {
	if len(phones) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(phones)
	if err != nil {
		return nil, fmt.Errorf("lookup phones: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts
		WHERE phone IN (SELECT value FROM json_each(?)) ORDER BY id`, string(list))
	if err != nil {
		return nil, wrap("lookup phones", err)
	}
	accts, err := collect(rows, scanAccount)
	return accts, wrap("lookup phones", err)
}

// UpdateAccount writes the profile and privacy fields of a.
func (db *DB) UpdateAccount(ctx context.Context, a chat.Account) error {
	res, err := db.w.ExecContext(ctx, `
		UPDATE accounts SET display_name = ?, about = ?, avatar_media_id = ?,
			last_seen_visibility = ?, avatar_visibility = ?, read_receipts = ?
		WHERE id = ?`,
		a.DisplayName, a.About, a.AvatarMediaID, a.LastSeenVisibility, a.AvatarVisibility, a.ReadReceipts, a.ID)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("update account", err)
}

// TouchLastSeen sets the account's last-seen time, or returns ErrNotFound.
func (db *DB) TouchLastSeen(ctx context.Context, accountID int64, t time.Time) error {
	res, err := db.w.ExecContext(ctx, `UPDATE accounts SET last_seen_at = ? WHERE id = ?`, ns(t), accountID)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("touch last seen", err)
}

// Block records that accountID blocks blockedID. It returns ErrNotFound if
// either account does not exist.
func (db *DB) Block(ctx context.Context, accountID, blockedID int64) error {
	_, err := db.w.ExecContext(ctx,
		`INSERT INTO blocks (account_id, blocked_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, accountID, blockedID)
	return wrap("block", err)
}

// Unblock removes the block, if any.
func (db *DB) Unblock(ctx context.Context, accountID, blockedID int64) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM blocks WHERE account_id = ? AND blocked_id = ?`, accountID, blockedID)
	return wrap("unblock", err)
}

// IsBlocked reports whether accountID has blocked otherID.
func (db *DB) IsBlocked(ctx context.Context, accountID, otherID int64) (bool, error) {
	var ok bool
	err := db.r.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM blocks WHERE account_id = ? AND blocked_id = ?)`, accountID, otherID).Scan(&ok)
	return ok, wrap("is blocked", err)
}

// ListBlocked returns the ids accountID has blocked, ascending.
func (db *DB) ListBlocked(ctx context.Context, accountID int64) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx,
		`SELECT blocked_id FROM blocks WHERE account_id = ? ORDER BY blocked_id`, accountID)
	if err != nil {
		return nil, wrap("list blocked", err)
	}
	ids, err := collect(rows, func(sc interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	})
	return ids, wrap("list blocked", err)
}

const deviceCols = `id, account_id, name, public_key, created_at, last_active_at`

func scanDevice(sc interface{ Scan(...any) error }) (chat.Device, error) {
	var d chat.Device
	err := sc.Scan(&d.ID, &d.AccountID, &d.Name, &d.PublicKey, tcol(&d.CreatedAt), tcol(&d.LastActiveAt))
	return d, err
}

// CreateDevice inserts d and sets d.ID. It returns ELimit if the account
// already has limit devices, and ErrNotFound if the account does not exist.
func (db *DB) CreateDevice(ctx context.Context, d *chat.Device, tokenHash []byte, limit int) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// BEGIN IMMEDIATE holds the write lock: count and insert are atomic.
		var exists bool
		var n int
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?),
			(SELECT count(*) FROM devices WHERE account_id = ?)`, d.AccountID, d.AccountID).Scan(&exists, &n)
		if err != nil {
			return err
		}
		if !exists {
			return parley.ErrNotFound
		}
		if n >= limit {
			return parley.Errorf(parley.ELimit, "an account may link at most %d devices", limit)
		}
		return tx.QueryRowContext(ctx, `
			INSERT INTO devices (account_id, name, public_key, token_hash, created_at, last_active_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			d.AccountID, d.Name, d.PublicKey, tokenHash, ns(d.CreatedAt), ns(d.LastActiveAt)).Scan(&d.ID)
	})
	return wrap("create device", err)
}

// DeviceByTokenHash returns the device holding that token, or ErrNotFound.
func (db *DB) DeviceByTokenHash(ctx context.Context, tokenHash []byte) (chat.Device, error) {
	d, err := scanDevice(db.r.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE token_hash = ?`, tokenHash))
	if err != nil {
		return chat.Device{}, wrap("device by token hash", err)
	}
	return d, nil
}

// ListDevices returns the account's devices, ascending by id.
func (db *DB) ListDevices(ctx context.Context, accountID int64) ([]chat.Device, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, wrap("list devices", err)
	}
	ds, err := collect(rows, scanDevice)
	return ds, wrap("list devices", err)
}

// DevicesOf returns the devices of all the given accounts, ascending by id.
func (db *DB) DevicesOf(ctx context.Context, accountIDs []int64) ([]chat.Device, error) {
	if len(accountIDs) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(accountIDs)
	if err != nil {
		return nil, fmt.Errorf("devices of: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices
		WHERE account_id IN (SELECT value FROM json_each(?)) ORDER BY id`, string(list))
	if err != nil {
		return nil, wrap("devices of", err)
	}
	ds, err := collect(rows, scanDevice)
	return ds, wrap("devices of", err)
}

// DeleteDevice removes the account's device and its whole inbox.
func (db *DB) DeleteDevice(ctx context.Context, accountID, deviceID int64) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE id = ? AND account_id = ?`, deviceID, accountID)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM inbox WHERE device_id = ?`, deviceID)
		return err
	})
	return wrap("delete device", err)
}

// TouchDevice sets the device's last-active time, or returns ErrNotFound.
func (db *DB) TouchDevice(ctx context.Context, deviceID int64, t time.Time) error {
	res, err := db.w.ExecContext(ctx, `UPDATE devices SET last_active_at = ? WHERE id = ?`, ns(t), deviceID)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("touch device", err)
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
