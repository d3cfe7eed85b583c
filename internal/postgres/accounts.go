package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// PutOTP creates or replaces the pending code for otp.Phone.
func (db *DB) PutOTP(ctx context.Context, otp chat.OTP) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO otps (phone, code_hash, attempts, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (phone) DO UPDATE SET
			code_hash = excluded.code_hash, attempts = excluded.attempts,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		otp.Phone, otp.CodeHash, otp.Attempts, ts(otp.CreatedAt), ts(otp.ExpiresAt))
	return wrap("put otp", err)
}

// GetOTP returns the pending code for phone, or ErrNotFound.
func (db *DB) GetOTP(ctx context.Context, phone string) (chat.OTP, error) {
	o := chat.OTP{Phone: phone}
	err := db.pool.QueryRow(ctx,
		`SELECT code_hash, attempts, created_at, expires_at FROM otps WHERE phone = $1`, phone).
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
	err := db.pool.QueryRow(ctx,
		`UPDATE otps SET attempts = attempts + 1 WHERE phone = $1 RETURNING attempts`, phone).Scan(&n)
	if err != nil {
		return 0, wrap("incr otp attempts", err)
	}
	return n, nil
}

// DeleteOTP removes phone's code, if any.
func (db *DB) DeleteOTP(ctx context.Context, phone string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM otps WHERE phone = $1`, phone)
	return wrap("delete otp", err)
}

const accountCols = `id, phone, display_name, about, avatar_media_id, last_seen_visibility,
	avatar_visibility, read_receipts, created_at, last_seen_at`

func scanAccount(row pgx.Row) (chat.Account, error) {
	var a chat.Account
	err := row.Scan(&a.ID, &a.Phone, &a.DisplayName, &a.About, &a.AvatarMediaID, &a.LastSeenVisibility,
		&a.AvatarVisibility, &a.ReadReceipts, tcol(&a.CreatedAt), tcol(&a.LastSeenAt))
	return a, err
}

// CreateAccount inserts a and sets a.ID. It returns EConflict if the phone
// number is taken.
func (db *DB) CreateAccount(ctx context.Context, a *chat.Account) error {
	err := db.pool.QueryRow(ctx, `
		INSERT INTO accounts (phone, display_name, about, avatar_media_id, last_seen_visibility,
			avatar_visibility, read_receipts, created_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (phone) DO NOTHING
		RETURNING id`,
		a.Phone, a.DisplayName, a.About, a.AvatarMediaID, string(a.LastSeenVisibility),
		string(a.AvatarVisibility), a.ReadReceipts, ts(a.CreatedAt), ts(a.LastSeenAt)).Scan(&a.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("create account: %w", parley.Errorf(parley.EConflict, "phone number already registered"))
	}
	return wrap("create account", err)
}

// GetAccount returns the account, or ErrNotFound.
func (db *DB) GetAccount(ctx context.Context, id int64) (chat.Account, error) {
	a, err := scanAccount(db.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	if err != nil {
		return chat.Account{}, wrap("get account", err)
	}
	return a, nil
}

// GetAccountByPhone returns the account with that number, or ErrNotFound.
func (db *DB) GetAccountByPhone(ctx context.Context, phone string) (chat.Account, error) {
	a, err := scanAccount(db.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE phone = $1`, phone))
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
	rows, err := db.pool.Query(ctx, `SELECT `+accountCols+` FROM accounts WHERE phone = ANY($1) ORDER BY id`, phones)
	accts, err := collect(rows, err, scanAccount)
	return accts, wrap("lookup phones", err)
}

// UpdateAccount writes the profile and privacy fields of a.
func (db *DB) UpdateAccount(ctx context.Context, a chat.Account) error {
	err := mustAffect(db.pool.Exec(ctx, `
		UPDATE accounts SET display_name = $1, about = $2, avatar_media_id = $3,
			last_seen_visibility = $4, avatar_visibility = $5, read_receipts = $6
		WHERE id = $7`,
		a.DisplayName, a.About, a.AvatarMediaID, string(a.LastSeenVisibility), string(a.AvatarVisibility),
		a.ReadReceipts, a.ID))
	return wrap("update account", err)
}

// TouchLastSeen sets the account's last-seen time, or returns ErrNotFound.
func (db *DB) TouchLastSeen(ctx context.Context, accountID int64, t time.Time) error {
	err := mustAffect(db.pool.Exec(ctx, `UPDATE accounts SET last_seen_at = $1 WHERE id = $2`, ts(t), accountID))
	return wrap("touch last seen", err)
}

// Block records that accountID blocks blockedID. It returns ErrNotFound if
// either account does not exist.
func (db *DB) Block(ctx context.Context, accountID, blockedID int64) error {
	_, err := db.pool.Exec(ctx,
		`INSERT INTO blocks (account_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, accountID, blockedID)
	return wrap("block", err)
}

// Unblock removes the block, if any.
func (db *DB) Unblock(ctx context.Context, accountID, blockedID int64) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM blocks WHERE account_id = $1 AND blocked_id = $2`, accountID, blockedID)
	return wrap("unblock", err)
}

// IsBlocked reports whether accountID has blocked otherID.
func (db *DB) IsBlocked(ctx context.Context, accountID, otherID int64) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND blocked_id = $2)`, accountID, otherID).Scan(&ok)
	return ok, wrap("is blocked", err)
}

// ListBlocked returns the ids accountID has blocked, ascending.
func (db *DB) ListBlocked(ctx context.Context, accountID int64) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT blocked_id FROM blocks WHERE account_id = $1 ORDER BY blocked_id`, accountID)
	ids, err := collect(rows, err, func(row pgx.Row) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	})
	return ids, wrap("list blocked", err)
}

const deviceCols = `id, account_id, name, public_key, created_at, last_active_at`

func scanDevice(row pgx.Row) (chat.Device, error) {
	var d chat.Device
	err := row.Scan(&d.ID, &d.AccountID, &d.Name, &d.PublicKey, tcol(&d.CreatedAt), tcol(&d.LastActiveAt))
	return d, err
}

// CreateDevice inserts d and sets d.ID. It returns ELimit if the account
// already has limit devices, and ErrNotFound if the account does not exist.
func (db *DB) CreateDevice(ctx context.Context, d *chat.Device, tokenHash []byte, limit int) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// Locking the account row serializes device creation per account.
		// The count must be a statement of its own: a statement's snapshot
		// is taken before it waits for the lock.
		if _, err := tx.Exec(ctx, `SELECT FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, d.AccountID); err != nil {
			return err
		}
		var n int
		err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM devices WHERE account_id = a.id)
			FROM accounts a WHERE a.id = $1`, d.AccountID).Scan(&n)
		if err != nil {
			return err
		}
		if n >= limit {
			return parley.Errorf(parley.ELimit, "an account may link at most %d devices", limit)
		}
		return tx.QueryRow(ctx, `
			INSERT INTO devices (account_id, name, public_key, token_hash, created_at, last_active_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			d.AccountID, d.Name, d.PublicKey, tokenHash, ts(d.CreatedAt), ts(d.LastActiveAt)).Scan(&d.ID)
	})
	return wrap("create device", err)
}

// DeviceByTokenHash returns the device holding that token, or ErrNotFound.
func (db *DB) DeviceByTokenHash(ctx context.Context, tokenHash []byte) (chat.Device, error) {
	d, err := scanDevice(db.pool.QueryRow(ctx, `SELECT `+deviceCols+` FROM devices WHERE token_hash = $1`, tokenHash))
	if err != nil {
		return chat.Device{}, wrap("device by token hash", err)
	}
	return d, nil
}

// ListDevices returns the account's devices, ascending by id.
func (db *DB) ListDevices(ctx context.Context, accountID int64) ([]chat.Device, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+deviceCols+` FROM devices WHERE account_id = $1 ORDER BY id`, accountID)
	ds, err := collect(rows, err, scanDevice)
	return ds, wrap("list devices", err)
}

// DevicesOf returns the devices of all the given accounts, ascending by id.
func (db *DB) DevicesOf(ctx context.Context, accountIDs []int64) ([]chat.Device, error) {
	if len(accountIDs) == 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+deviceCols+` FROM devices WHERE account_id = ANY($1) ORDER BY id`, accountIDs)
	ds, err := collect(rows, err, scanDevice)
	return ds, wrap("devices of", err)
}

// DeleteDevice removes the account's device and its whole inbox.
func (db *DB) DeleteDevice(ctx context.Context, accountID, deviceID int64) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := mustAffect(tx.Exec(ctx, `DELETE FROM devices WHERE id = $1 AND account_id = $2`, deviceID, accountID)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM inbox WHERE device_id = $1`, deviceID)
		return err
	})
	return wrap("delete device", err)
}

// TouchDevice sets the device's last-active time, or returns ErrNotFound.
func (db *DB) TouchDevice(ctx context.Context, deviceID int64, t time.Time) error {
	err := mustAffect(db.pool.Exec(ctx, `UPDATE devices SET last_active_at = $1 WHERE id = $2`, ts(t), deviceID))
	return wrap("touch device", err)
}
