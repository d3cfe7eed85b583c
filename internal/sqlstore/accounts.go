package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

// GetOTP returns the code pending for phone and requester, or ErrNotFound.
func (s *Store) GetOTP(ctx context.Context, phone, requester string) (chat.OTP, error) {
	o := chat.OTP{Phone: phone, Requester: requester}
	err := s.r.QueryRow(ctx,
		`SELECT code_hash, attempts, created_at, expires_at FROM otps WHERE phone = ? AND requester = ?`, phone, requester).
		Scan(&o.CodeHash, &o.Attempts, tcol(&o.CreatedAt), tcol(&o.ExpiresAt))
	if err != nil {
		return chat.OTP{}, s.wrap("get otp", err)
	}
	return o, nil
}

// DeleteOTP removes the code pending for phone and requester, if any.
func (s *Store) DeleteOTP(ctx context.Context, phone, requester string) error {
	_, err := s.w.Exec(ctx, `DELETE FROM otps WHERE phone = ? AND requester = ?`, phone, requester)
	return s.wrap("delete otp", err)
}

// DeleteOTPs removes every code pending for phone, whoever asked for it.
func (s *Store) DeleteOTPs(ctx context.Context, phone string) error {
	_, err := s.w.Exec(ctx, `DELETE FROM otps WHERE phone = ?`, phone)
	return s.wrap("delete otps", err)
}

// TakeQuota adds n to the counter name in the window that starts at
// window (kept to the second) and returns the new count, or false without
// counting when that would pass max. A counter of an older window starts
// again from zero. One statement, so concurrent takers on any node never
// pass max together.
func (s *Store) TakeQuota(ctx context.Context, name string, window time.Time, n, max int) (int, bool, error) {
	used, taken, err := takeQuota(ctx, s.w, name, window, n, max)
	return used, taken, s.wrap("take quota", err)
}

func takeQuota(ctx context.Context, q Querier, name string, window time.Time, n, max int) (int, bool, error) {
	if n > max {
		return 0, false, nil
	}
	var used int
	err := q.QueryRow(ctx, `
		INSERT INTO quotas (name, window_start, used) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			used = CASE WHEN quotas.window_start = excluded.window_start THEN quotas.used + excluded.used ELSE excluded.used END,
			window_start = excluded.window_start
		WHERE CASE WHEN quotas.window_start = excluded.window_start THEN quotas.used + excluded.used ELSE excluded.used END <= ?
		RETURNING used`, name, window.Unix(), n, max).Scan(&used)
	if noRows(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return used, true, nil
}

// QuotaUsed returns the count of name in the window that starts at
// window: zero for no counter or one of an older window. It only reads.
func (s *Store) QuotaUsed(ctx context.Context, name string, window time.Time) (int, error) {
	var used int
	err := s.r.QueryRow(ctx, `SELECT used FROM quotas WHERE name = ? AND window_start = ?`, name, window.Unix()).Scan(&used)
	if noRows(err) {
		return 0, nil
	}
	return used, s.wrap("quota used", err)
}

// errQuotaRefused rolls back a transaction whose take would pass its max.
var errQuotaRefused = errors.New("quota refused")

// takeAll takes every count of takes in tx, and sets *refused to the index
// of the first that would pass its max (returning errQuotaRefused).
func takeAll(ctx context.Context, tx Querier, window time.Time, takes []chat.QuotaTake, refused *int) error {
	for i, t := range takes {
		_, taken, err := takeQuota(ctx, tx, t.Name, window, t.N, t.Max)
		if err != nil {
			return err
		}
		if !taken {
			*refused = i
			return errQuotaRefused
		}
	}
	return nil
}

// PutOTPCounted stores otp and takes every count of takes, in one
// transaction: a login's writes are one commit, not one per counter. When
// a take would pass its max it returns that take's index and writes
// nothing; otherwise -1.
func (s *Store) PutOTPCounted(ctx context.Context, otp chat.OTP, window time.Time, takes []chat.QuotaTake) (int, error) {
	refused := -1
	err := s.tx(ctx, func(tx Querier) error {
		if err := takeAll(ctx, tx, window, takes, &refused); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO otps (phone, requester, code_hash, attempts, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (phone, requester) DO UPDATE SET
				code_hash = excluded.code_hash, attempts = excluded.attempts,
				created_at = excluded.created_at, expires_at = excluded.expires_at`,
			otp.Phone, otp.Requester, otp.CodeHash, otp.Attempts, s.ts(otp.CreatedAt), s.ts(otp.ExpiresAt))
		return err
	})
	if errors.Is(err, errQuotaRefused) {
		return refused, nil
	}
	return -1, s.wrap("put otp", err)
}

// CountOTPAttempt takes every count of takes and adds one to the attempts
// of the code pending for phone and requester, in one transaction, and
// returns the new attempts. When a take would pass its max it returns
// that take's index and writes nothing; otherwise -1. A missing code is
// ErrNotFound, with nothing counted.
func (s *Store) CountOTPAttempt(ctx context.Context, phone, requester string, window time.Time, takes []chat.QuotaTake) (int, int, error) {
	refused, attempts := -1, 0
	err := s.tx(ctx, func(tx Querier) error {
		if err := takeAll(ctx, tx, window, takes, &refused); err != nil {
			return err
		}
		return tx.QueryRow(ctx,
			`UPDATE otps SET attempts = attempts + 1 WHERE phone = ? AND requester = ? RETURNING attempts`, phone, requester).Scan(&attempts)
	})
	if errors.Is(err, errQuotaRefused) {
		return 0, refused, nil
	}
	if err != nil {
		return 0, -1, s.wrap("count otp attempt", err)
	}
	return attempts, -1, nil
}

// PruneQuotas removes the counters of windows that started before before,
// and the codes that expired before then.
func (s *Store) PruneQuotas(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.w.Exec(ctx, `DELETE FROM quotas WHERE window_start < ?`, before.Unix())
	if err != nil {
		return 0, s.wrap("prune quotas", err)
	}
	m, err := s.w.Exec(ctx, `DELETE FROM otps WHERE expires_at < ?`, s.ts(before))
	return n + m, s.wrap("prune otps", err)
}

const accountCols = `id, phone, display_name, about, avatar_media_id, last_seen_visibility,
	avatar_visibility, read_receipts, created_at, last_seen_at, username`

func scanAccount(sc Row) (chat.Account, error) {
	var a chat.Account
	err := sc.Scan(&a.ID, &a.Phone, &a.DisplayName, &a.About, &a.AvatarMediaID, &a.LastSeenVisibility,
		&a.AvatarVisibility, &a.ReadReceipts, tcol(&a.CreatedAt), tcol(&a.LastSeenAt), &a.Username)
	return a, err
}

// SetUsername sets the account's username; EConflict if another account
// has it (the unique index decides a race), ENotFound without the account.
func (s *Store) SetUsername(ctx context.Context, accountID int64, username string) error {
	var taken int
	if username != "" {
		err := s.w.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE username = ? AND id != ?`, username, accountID).Scan(&taken)
		if err != nil {
			return s.wrap("set username", err)
		}
	}
	if taken > 0 {
		return parley.Errorf(parley.EConflict, "username taken")
	}
	err := affected(s.w.Exec(ctx, `UPDATE accounts SET username = ? WHERE id = ?`, username, accountID))
	if err != nil && parley.ErrorCode(err) != parley.ENotFound && username != "" {
		// The unique index refused it: another account took it meanwhile.
		if n := 0; s.w.QueryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE username = ? AND id != ?`, username, accountID).Scan(&n) == nil && n > 0 {
			return parley.Errorf(parley.EConflict, "username taken")
		}
	}
	return s.wrap("set username", err)
}

// CreateAccount inserts a and sets a.ID. It returns EConflict if the phone
// number is taken.
func (s *Store) CreateAccount(ctx context.Context, a *chat.Account) error {
	err := s.w.QueryRow(ctx, `
		INSERT INTO accounts (phone, display_name, about, avatar_media_id, last_seen_visibility,
			avatar_visibility, read_receipts, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (phone) DO NOTHING
		RETURNING id`,
		a.Phone, a.DisplayName, a.About, a.AvatarMediaID, a.LastSeenVisibility,
		a.AvatarVisibility, a.ReadReceipts, s.ts(a.CreatedAt), s.ts(a.LastSeenAt)).Scan(&a.ID)
	if noRows(err) {
		return fmt.Errorf("create account: %w", parley.Errorf(parley.EConflict, "phone number already registered"))
	}
	return s.wrap("create account", err)
}

// GetAccount returns the account, or ErrNotFound.
func (s *Store) GetAccount(ctx context.Context, id int64) (chat.Account, error) {
	a, err := scanAccount(s.r.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
	if err != nil {
		return chat.Account{}, s.wrap("get account", err)
	}
	return a, nil
}

// GetAccountByPhone returns the account with that number, or ErrNotFound.
func (s *Store) GetAccountByPhone(ctx context.Context, phone string) (chat.Account, error) {
	a, err := scanAccount(s.r.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE phone = ?`, phone))
	if err != nil {
		return chat.Account{}, s.wrap("get account by phone", err)
	}
	return a, nil
}

// LookupPhones returns the accounts among phones that exist.
func (s *Store) LookupPhones(ctx context.Context, phones []string) ([]chat.Account, error) {
	if len(phones) == 0 {
		return nil, nil
	}
	list, err := s.d.List(phones)
	if err != nil {
		return nil, fmt.Errorf("lookup phones: %w", err)
	}
	accts, err := queryAll(ctx, s.r, `SELECT `+accountCols+` FROM accounts WHERE `+s.d.In("phone")+` ORDER BY id`, scanAccount, list)
	return accts, s.wrap("lookup phones", err)
}

// UpdateAccount writes the profile and privacy fields of a.
func (s *Store) UpdateAccount(ctx context.Context, a chat.Account) error {
	err := affected(s.w.Exec(ctx, `
		UPDATE accounts SET display_name = ?, about = ?, avatar_media_id = ?,
			last_seen_visibility = ?, avatar_visibility = ?, read_receipts = ?
		WHERE id = ?`,
		a.DisplayName, a.About, a.AvatarMediaID, a.LastSeenVisibility, a.AvatarVisibility, a.ReadReceipts, a.ID))
	return s.wrap("update account", err)
}

// TouchLastSeen sets the account's last-seen time, or returns ErrNotFound.
func (s *Store) TouchLastSeen(ctx context.Context, accountID int64, t time.Time) error {
	err := affected(s.w.Exec(ctx, `UPDATE accounts SET last_seen_at = ? WHERE id = ?`, s.ts(t), accountID))
	return s.wrap("touch last seen", err)
}

// Block records that accountID blocks blockedID. It returns ErrNotFound if
// either account does not exist.
func (s *Store) Block(ctx context.Context, accountID, blockedID int64) error {
	_, err := s.w.Exec(ctx,
		`INSERT INTO blocks (account_id, blocked_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, accountID, blockedID)
	return s.wrap("block", err)
}

// Unblock removes the block, if any.
func (s *Store) Unblock(ctx context.Context, accountID, blockedID int64) error {
	_, err := s.w.Exec(ctx, `DELETE FROM blocks WHERE account_id = ? AND blocked_id = ?`, accountID, blockedID)
	return s.wrap("unblock", err)
}

// IsBlocked reports whether accountID has blocked otherID.
func (s *Store) IsBlocked(ctx context.Context, accountID, otherID int64) (bool, error) {
	var ok bool
	err := s.r.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM blocks WHERE account_id = ? AND blocked_id = ?)`, accountID, otherID).Scan(&ok)
	return ok, s.wrap("is blocked", err)
}

// ListBlocked returns the ids accountID has blocked, ascending.
func (s *Store) ListBlocked(ctx context.Context, accountID int64) ([]int64, error) {
	ids, err := queryAll(ctx, s.r, `SELECT blocked_id FROM blocks WHERE account_id = ? ORDER BY blocked_id`, scanID, accountID)
	return ids, s.wrap("list blocked", err)
}

const deviceCols = `id, account_id, name, public_key, created_at, last_active_at`

func scanDevice(sc Row) (chat.Device, error) {
	var d chat.Device
	err := sc.Scan(&d.ID, &d.AccountID, &d.Name, &d.PublicKey, tcol(&d.CreatedAt), tcol(&d.LastActiveAt))
	return d, err
}

// CreateDevice inserts d and sets d.ID. It returns ELimit if the account
// already has limit devices, and ErrNotFound if the account does not exist.
func (s *Store) CreateDevice(ctx context.Context, d *chat.Device, tokenHash []byte, limit int) error {
	err := s.tx(ctx, func(tx Querier) error {
		// Locking the account row serializes device creation per account.
		// The count must be a statement of its own: a statement's snapshot
		// is taken before it waits for the lock.
		if err := s.lockRow(ctx, tx, "accounts", d.AccountID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM devices WHERE account_id = ?`, d.AccountID).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return parley.Errorf(parley.ELimit, "an account may link at most %d devices", limit)
		}
		return tx.QueryRow(ctx, `
			INSERT INTO devices (account_id, name, public_key, token_hash, created_at, last_active_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			d.AccountID, d.Name, d.PublicKey, tokenHash, s.ts(d.CreatedAt), s.ts(d.LastActiveAt)).Scan(&d.ID)
	})
	return s.wrap("create device", err)
}

// DeviceByTokenHash returns the device holding that token, or ErrNotFound.
func (s *Store) DeviceByTokenHash(ctx context.Context, tokenHash []byte) (chat.Device, error) {
	d, err := scanDevice(s.r.QueryRow(ctx, `SELECT `+deviceCols+` FROM devices WHERE token_hash = ?`, tokenHash))
	if err != nil {
		return chat.Device{}, s.wrap("device by token hash", err)
	}
	return d, nil
}

// ListDevices returns the account's devices, ascending by id.
func (s *Store) ListDevices(ctx context.Context, accountID int64) ([]chat.Device, error) {
	ds, err := queryAll(ctx, s.r, `SELECT `+deviceCols+` FROM devices WHERE account_id = ? ORDER BY id`, scanDevice, accountID)
	return ds, s.wrap("list devices", err)
}

// DevicesOf returns the devices of all the given accounts, ascending by id.
func (s *Store) DevicesOf(ctx context.Context, accountIDs []int64) ([]chat.Device, error) {
	if len(accountIDs) == 0 {
		return nil, nil
	}
	list, err := s.d.List(accountIDs)
	if err != nil {
		return nil, fmt.Errorf("devices of: %w", err)
	}
	ds, err := queryAll(ctx, s.r, `SELECT `+deviceCols+` FROM devices WHERE `+s.d.In("account_id")+` ORDER BY id`, scanDevice, list)
	return ds, s.wrap("devices of", err)
}

// DeleteDevice removes the account's device and its whole inbox.
func (s *Store) DeleteDevice(ctx context.Context, accountID, deviceID int64) error {
	err := s.tx(ctx, func(tx Querier) error {
		if err := affected(tx.Exec(ctx, `DELETE FROM devices WHERE id = ? AND account_id = ?`, deviceID, accountID)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inbox WHERE device_id = ?`, deviceID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM inbox_refs WHERE device_id = ?`, deviceID)
		return err
	})
	return s.wrap("delete device", err)
}

// TouchDevice sets the device's last-active time, or returns ErrNotFound.
func (s *Store) TouchDevice(ctx context.Context, deviceID int64, t time.Time) error {
	err := affected(s.w.Exec(ctx, `UPDATE devices SET last_active_at = ? WHERE id = ?`, s.ts(t), deviceID))
	return s.wrap("touch device", err)
}
