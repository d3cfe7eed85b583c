package sqlstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/parleyhq/parley/chat"
)

// The message hot path (Commit, Ack, AckMany, RaiseReceipts, Expire and
// the inbox bulk writes) stays in each store, native to its driver. What
// it shares is here.

// GetMessage returns a message's metadata, or ErrNotFound.
func (s *Store) GetMessage(ctx context.Context, chatID int64, id string) (chat.MessageMeta, error) {
	m := chat.MessageMeta{ChatID: chatID, ID: id}
	err := s.r.QueryRow(ctx, `SELECT seq, sender_account, sender_device, kind, ref, created_at
		FROM messages WHERE chat_id = ? AND message_id = ?`, chatID, id).
		Scan(&m.Seq, &m.SenderAccount, &m.SenderDevice, &m.Kind, &m.Ref, tcol(&m.CreatedAt))
	if err != nil {
		return chat.MessageMeta{}, s.wrap("get message", err)
	}
	return m, nil
}

// EntryCols are the inbox columns without body; ScanEntry reads them.
const EntryCols = `id, device_id, type, chat_id, seq, message_id, kind, ref,
	sender_account, sender_device, created_at, expires_at, notify_expiry`

// ScanEntry scans the EntryCols of an inbox row.
func ScanEntry(r Row) (chat.Entry, error) { return scanEntry(r) }

// scanEntry scans the EntryCols of an inbox row, then extra.
func scanEntry(r Row, extra ...any) (chat.Entry, error) {
	var e chat.Entry
	err := r.Scan(append([]any{&e.ID, &e.DeviceID, &e.Type, &e.ChatID, &e.Seq, &e.MessageID, &e.Kind, &e.Ref,
		&e.SenderAccount, &e.SenderDevice, tcol(&e.CreatedAt), tcol(&e.ExpiresAt), &e.NotifyExpiry}, extra...)...)
	return e, err
}

// Pending returns up to limit of the device's entries with ID > after,
// ascending by ID.
func (s *Store) Pending(ctx context.Context, deviceID, after int64, limit int) ([]chat.Entry, error) {
	es, err := queryAll(ctx, s.r, `SELECT `+EntryCols+`, body FROM inbox WHERE device_id = ? AND id > ? ORDER BY id LIMIT ?`,
		func(r Row) (chat.Entry, error) {
			var body []byte
			e, err := scanEntry(r, &body)
			e.Body = body
			return e, err
		}, deviceID, after, limit)
	return es, s.wrap("pending", err)
}

// QueuedEntries returns a message's entries still in the inbox.
func (s *Store) QueuedEntries(ctx context.Context, chatID int64, messageID string) ([]chat.Entry, error) {
	es, err := queryAll(ctx, s.r, `SELECT `+EntryCols+`, body FROM inbox WHERE chat_id = ? AND message_id = ? ORDER BY id`,
		func(r Row) (chat.Entry, error) {
			var body []byte
			e, err := scanEntry(r, &body)
			e.Body = body
			return e, err
		}, chatID, messageID)
	return es, s.wrap("queued entries", err)
}

// Highest returns rs sorted by key, keeping only the highest status of each.
func Highest(rs []chat.Receipt) []chat.Receipt {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b chat.Receipt) int {
		return cmp.Or(CompareReceipts(a, b), -cmp.Compare(a.Status, b.Status))
	})
	return slices.CompactFunc(rs, func(a, b chat.Receipt) bool { return CompareReceipts(a, b) == 0 })
}

// CompareReceipts orders receipts by (chat, message, account).
func CompareReceipts(a, b chat.Receipt) int {
	return cmp.Or(cmp.Compare(a.ChatID, b.ChatID), cmp.Compare(a.MessageID, b.MessageID), cmp.Compare(a.AccountID, b.AccountID))
}

// SortEntries sorts es by ID.
func SortEntries(es []chat.Entry) {
	slices.SortFunc(es, func(a, b chat.Entry) int { return cmp.Compare(a.ID, b.ID) })
}

// Notified returns the expired entries es that ask for an expiry notice,
// by ID.
func Notified(es []chat.Entry) []chat.Entry {
	var notify []chat.Entry
	for _, e := range es {
		if e.NotifyExpiry {
			notify = append(notify, e)
		}
	}
	SortEntries(notify)
	return notify
}
