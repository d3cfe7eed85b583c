package sqlstore

import (
	"context"
	"time"

	"github.com/parleyhq/parley/chat/push"
)

// This file implements push.Store. Times are Unix milliseconds.

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// PushVAPID records the key pair if none is recorded yet and returns the
// one recorded.
func (s *Store) PushVAPID(ctx context.Context, private, public string) (string, string, error) {
	if _, err := s.w.Exec(ctx, `INSERT INTO push_vapid (id, private_key, public_key) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`,
		private, public); err != nil {
		return "", "", s.wrap("record vapid keys", err)
	}
	var priv, pub string
	err := s.w.QueryRow(ctx, `SELECT private_key, public_key FROM push_vapid WHERE id = 1`).Scan(&priv, &pub)
	return priv, pub, s.wrap("read vapid keys", err)
}

// PutPushSubscription records or replaces a device's subscription; a new
// endpoint drops the pushes pending for the old one's device.
func (s *Store) PutPushSubscription(ctx context.Context, sub push.Subscription) error {
	_, err := s.w.Exec(ctx, `INSERT INTO push_subscriptions (device_id, account_id, kind, endpoint, p256dh, auth, created_at)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT (device_id) DO UPDATE SET account_id = excluded.account_id, kind = excluded.kind,
		endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at`,
		sub.DeviceID, sub.AccountID, sub.Kind, sub.Endpoint, sub.P256dh, sub.Auth, ms(sub.CreatedAt))
	return s.wrap("put push subscription", err)
}

// DeletePushSubscription removes a device's subscription (with an
// endpoint, only if it is still that one) and its queue.
func (s *Store) DeletePushSubscription(ctx context.Context, deviceID int64, endpoint string) error {
	err := s.tx(ctx, func(tx Querier) error {
		if err := affected(tx.Exec(ctx, `DELETE FROM push_subscriptions WHERE device_id = ? AND (? = '' OR endpoint = ?)`,
			deviceID, endpoint, endpoint)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM push_queue WHERE device_id = ?`, deviceID)
		return err
	})
	return s.wrap("delete push subscription", err)
}

// muted is true when a mute of the chat or do-not-disturb of the account
// (arguments: account, chat, now) is in force.
const muted = `EXISTS (SELECT 1 FROM push_mutes m WHERE m.account_id = ? AND m.chat_id IN (?, 0) AND (m.until = 0 OR m.until > ?))`

// EnqueuePush queues a push unless the device has no subscription, is the
// sender's, or the chat is muted.
func (s *Store) EnqueuePush(ctx context.Context, deviceID, chatID, sender int64, kind string, now time.Time, window time.Duration) (bool, error) {
	var account int64
	err := s.r.QueryRow(ctx, `SELECT account_id FROM push_subscriptions WHERE device_id = ?`, deviceID).Scan(&account)
	if noRows(err) {
		return false, nil
	}
	if err != nil {
		return false, s.wrap("read push subscription", err)
	}
	if account == sender {
		return false, nil
	}
	var isMuted bool
	if err := s.r.QueryRow(ctx, `SELECT `+muted, account, chatID, ms(now)).Scan(&isMuted); err != nil {
		return false, s.wrap("read mutes", err)
	}
	if isMuted {
		return false, nil
	}
	n := ms(now)
	_, err = s.w.Exec(ctx, `INSERT INTO push_queue (device_id, chat_id, kind, pending, attempts, first_at, next_at)
		VALUES (?,?,?,1,0,?,?) ON CONFLICT (device_id, chat_id) DO UPDATE SET
		kind = CASE WHEN push_queue.pending = 1 THEN push_queue.kind ELSE excluded.kind END,
		first_at = CASE WHEN push_queue.pending = 1 THEN push_queue.first_at ELSE excluded.first_at END,
		next_at = CASE WHEN push_queue.pending = 1 THEN push_queue.next_at
			ELSE `+s.d.Greatest()+`(excluded.next_at, push_queue.sent_at + ?) END,
		attempts = CASE WHEN push_queue.pending = 1 THEN push_queue.attempts ELSE 0 END,
		pending = 1`, deviceID, chatID, kind, n, n, window.Milliseconds())
	if err != nil {
		return false, s.wrap("queue push", err)
	}
	return true, nil
}

// ClaimPushes leases the pushes due at now, with their subscriptions
// and whether a mute now holds them back. Where several nodes share the
// database, rows another claim holds are skipped.
func (s *Store) ClaimPushes(ctx context.Context, now, leaseUntil time.Time, limit int) ([]push.Job, error) {
	jobs, err := queryAll(ctx, s.w, `UPDATE push_queue SET next_at = ? WHERE (device_id, chat_id) IN (
		SELECT device_id, chat_id FROM push_queue WHERE pending = 1 AND next_at <= ? ORDER BY next_at LIMIT ?`+s.d.SkipLocked()+`)
		RETURNING device_id, chat_id, kind, attempts, first_at`, func(r Row) (push.Job, error) {
		var j push.Job
		var first int64
		err := r.Scan(&j.Sub.DeviceID, &j.ChatID, &j.Kind, &j.Attempts, &first)
		j.FirstAt = fromMS(first)
		return j, err
	}, ms(leaseUntil), ms(now), limit)
	if err != nil {
		return nil, s.wrap("claim pushes", err)
	}
	for i := range jobs {
		j := &jobs[i]
		var created int64
		err := s.w.QueryRow(ctx, `SELECT account_id, kind, endpoint, p256dh, auth, created_at FROM push_subscriptions WHERE device_id = ?`,
			j.Sub.DeviceID).Scan(&j.Sub.AccountID, &j.Sub.Kind, &j.Sub.Endpoint, &j.Sub.P256dh, &j.Sub.Auth, &created)
		if noRows(err) {
			j.Sub.Endpoint = "" // removed since: the service drops the push
			continue
		}
		if err != nil {
			return nil, s.wrap("read push subscription", err)
		}
		j.Sub.CreatedAt = fromMS(created)
		if err := s.w.QueryRow(ctx, `SELECT `+muted, j.Sub.AccountID, j.ChatID, ms(now)).Scan(&j.Muted); err != nil {
			return nil, s.wrap("read mutes", err)
		}
	}
	return jobs, nil
}

// FinishPush records a push sent at sentAt, or an attempt retried at next.
func (s *Store) FinishPush(ctx context.Context, deviceID, chatID int64, attempts int, sentAt, next time.Time, lastError string) error {
	var err error
	if !sentAt.IsZero() {
		_, err = s.w.Exec(ctx, `UPDATE push_queue SET pending = 0, attempts = ?, sent_at = ?, last_error = '' WHERE device_id = ? AND chat_id = ?`,
			attempts, ms(sentAt), deviceID, chatID)
	} else {
		_, err = s.w.Exec(ctx, `UPDATE push_queue SET attempts = ?, next_at = ?, last_error = ? WHERE device_id = ? AND chat_id = ?`,
			attempts, ms(next), lastError, deviceID, chatID)
	}
	return s.wrap("finish push", err)
}

// DropPush forgets a pending push.
func (s *Store) DropPush(ctx context.Context, deviceID, chatID int64, lastError string) error {
	_, err := s.w.Exec(ctx, `UPDATE push_queue SET pending = 0, last_error = ? WHERE device_id = ? AND chat_id = ?`,
		lastError, deviceID, chatID)
	return s.wrap("drop push", err)
}

// SetMute mutes a chat (0: every chat) until a time, or always.
func (s *Store) SetMute(ctx context.Context, accountID, chatID int64, until time.Time) error {
	_, err := s.w.Exec(ctx, `INSERT INTO push_mutes (account_id, chat_id, until) VALUES (?,?,?)
		ON CONFLICT (account_id, chat_id) DO UPDATE SET until = excluded.until`, accountID, chatID, ms(until))
	return s.wrap("set mute", err)
}

// DeleteMute unmutes.
func (s *Store) DeleteMute(ctx context.Context, accountID, chatID int64) error {
	err := affected(s.w.Exec(ctx, `DELETE FROM push_mutes WHERE account_id = ? AND chat_id = ?`, accountID, chatID))
	return s.wrap("delete mute", err)
}

// Mute returns the end of the mute of a chat (0: do-not-disturb) in force at now.
func (s *Store) Mute(ctx context.Context, accountID, chatID int64, now time.Time) (time.Time, bool, error) {
	var until int64
	err := s.r.QueryRow(ctx, `SELECT until FROM push_mutes WHERE account_id = ? AND chat_id = ? AND (until = 0 OR until > ?)`,
		accountID, chatID, ms(now)).Scan(&until)
	if noRows(err) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, s.wrap("read mute", err)
	}
	return fromMS(until), true, nil
}
