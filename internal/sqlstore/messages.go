package sqlstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/parleyhq/parley/chat"
)

// The message hot path (Commit, Ack, AckMany, RaiseReceipts,
// AckDelivered, Expire and the inbox bulk writes) stays in each store,
// native to its driver. What it shares is here.

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

// withBody selects inbox rows (aliased i) with their body: the row's own,
// or its message's shared body; and the row's key.
var withBody = `SELECT ` + PrefixCols("i.", EntryCols) + `, CASE WHEN i.shared THEN b.body ELSE i.body END, i.shared, i.key
	FROM inbox i LEFT JOIN message_bodies b ON i.shared AND b.chat_id = i.chat_id AND b.message_id = i.message_id `

// RefEntryCols are EntryCols of a shared message's entry: its inbox_refs
// row (aliased r) holds the device, the id and the key, its body (aliased
// b) the message's columns.
const RefEntryCols = `r.id, r.device_id, b.type, b.chat_id, b.seq, b.message_id, b.kind, b.ref,
	b.sender_account, b.sender_device, b.created_at, b.expires_at, b.notify_expiry`

// refWithBody selects inbox_refs rows as withBody selects inbox rows.
const refWithBody = `SELECT ` + RefEntryCols + `, b.body, true, r.key
	FROM inbox_refs r JOIN message_bodies b ON b.id = r.body_id `

// RefTemplate returns the entry whose columns a's shared body holds for
// its refs: the first entry marked Shared, if it belongs to a's message;
// nil when there is none.
func RefTemplate(a *chat.Append) *chat.Entry {
	if a.Meta == nil {
		return nil
	}
	for i := range a.Entries {
		if e := &a.Entries[i]; e.Shared {
			if e.ChatID != a.ChatID || e.MessageID != a.Meta.ID {
				return nil
			}
			return e
		}
	}
	return nil
}

// IsRef reports whether e can be stored as a ref to the body that holds
// t's columns: it is Shared and says what t says but for its device, id
// and key. Other entries are whole inbox rows, as before refs existed.
// (Seq is the append's for both.)
func IsRef(t, e *chat.Entry) bool {
	return e.Shared && e.Type == t.Type && e.ChatID == t.ChatID && e.MessageID == t.MessageID &&
		e.Kind == t.Kind && e.Ref == t.Ref && e.SenderAccount == t.SenderAccount && e.SenderDevice == t.SenderDevice &&
		e.CreatedAt.Equal(t.CreatedAt) && e.ExpiresAt.Equal(t.ExpiresAt) && e.NotifyExpiry == t.NotifyExpiry
}

// scanWithBody scans a withBody row.
func scanWithBody(r Row) (chat.Entry, error) {
	var body, key []byte
	var shared bool
	e, err := scanEntry(r, &body, &shared, &key)
	e.Body, e.Shared, e.Key = body, shared, key
	return e, err
}

// Pending returns up to limit of the device's entries with ID > after,
// ascending by ID: its inbox rows and its shared messages' refs, merged.
func (s *Store) Pending(ctx context.Context, deviceID, after int64, limit int) ([]chat.Entry, error) {
	es, err := queryAll(ctx, s.r, `SELECT * FROM (`+withBody+`WHERE i.device_id = ? AND i.id > ? ORDER BY i.id LIMIT ?) own
		UNION ALL SELECT * FROM (`+refWithBody+`WHERE r.device_id = ? AND r.id > ? ORDER BY r.id LIMIT ?) refs
		ORDER BY 1 LIMIT ?`,
		scanWithBody, deviceID, after, limit, deviceID, after, limit, limit)
	return es, s.wrap("pending", err)
}

// QueuedEntries returns a message's entries still in the inbox.
func (s *Store) QueuedEntries(ctx context.Context, chatID int64, messageID string) ([]chat.Entry, error) {
	es, err := queryAll(ctx, s.r, `SELECT * FROM (`+withBody+`WHERE i.chat_id = ? AND i.message_id = ?) own
		UNION ALL SELECT * FROM (`+refWithBody+`WHERE b.chat_id = ? AND b.message_id = ?) refs
		ORDER BY 1`,
		scanWithBody, chatID, messageID, chatID, messageID)
	return es, s.wrap("queued entries", err)
}

// SweepBodies looks at up to limit shared bodies with id > after, in id
// order, and deletes those no inbox entry refers to any more (every
// device acked, or the entries expired). It returns the last id it looked
// at, 0 when it reached the end, and how many it deleted.
func (s *Store) SweepBodies(ctx context.Context, after int64, limit int) (last int64, deleted int, err error) {
	ids, err := queryAll(ctx, s.r, `SELECT id FROM message_bodies WHERE id > ? ORDER BY id LIMIT ?`,
		func(r Row) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		}, after, limit)
	if err != nil {
		return 0, 0, s.wrap("sweep bodies", err)
	}
	if len(ids) == 0 {
		return 0, 0, nil
	}
	last = ids[len(ids)-1]
	n, err := s.w.Exec(ctx, `DELETE FROM message_bodies WHERE id > ? AND id <= ?
		AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.chat_id = message_bodies.chat_id AND i.message_id = message_bodies.message_id)
		AND NOT EXISTS (SELECT 1 FROM inbox_refs r WHERE r.body_id = message_bodies.id)`,
		after, last)
	if err != nil {
		return 0, 0, s.wrap("sweep bodies", err)
	}
	if len(ids) < limit {
		last = 0
	}
	return last, int(n), nil
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
