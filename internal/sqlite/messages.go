package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/sqlstore"
)

// Commit writes all appends in one transaction. Sequence numbers come from
// chats.last_seq; the single writer connection makes the read-modify-write
// race-free. A duplicate Meta gives its sequence number back, so sequences
// stay gap-free.
func (db *DB) Commit(ctx context.Context, appends []*chat.Append) error {
	if len(appends) == 0 {
		return nil
	}
	db.prepareHot(ctx)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.txQuerier(tx)
		if err := commitIn(ctx, q, appends); err != nil {
			return err
		}
		if b := business.AppendedBusiness(appends); b != nil {
			return sqlstore.WriteBusiness(ctx, db.Store, q, b)
		}
		return nil
	})
	return wrap("commit", err)
}

// commitIn writes appends in the transaction of q.
func commitIn(ctx context.Context, q querier, appends []*chat.Append) error {
	c, err := newCommitter(ctx, q)
	if err != nil {
		return err
	}
	for _, a := range appends {
		if err := c.append(ctx, a); err != nil {
			return err
		}
	}
	return c.finish(ctx)
}

// The statements of the hot path (Commit, AckMany, RaiseReceipts,
// AckDelivered) have constant texts, prepared once on the writer
// connection (prepareHot) and reused by every transaction: modernc parses
// a statement each time it is prepared, which was an eighth of the
// server's CPU when each group commit prepared its own
// (docs/PERFORMANCE.md).
const (
	lastEntryID = `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'inbox'), 0)`
	nextSeq     = `UPDATE chats SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`
	undoSeq     = `UPDATE chats SET last_seq = last_seq - 1 WHERE id = ?`
	insertMeta  = `INSERT INTO messages (chat_id, message_id, seq, sender_account, sender_device, kind, ref, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO NOTHING`
	getMeta    = `SELECT seq, sender_account, sender_device, created_at FROM messages WHERE chat_id = ? AND message_id = ?`
	insertBody = `INSERT INTO message_bodies (chat_id, message_id, body, type, seq, kind, ref,
			sender_account, sender_device, created_at, expires_at, notify_expiry)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	raiseLastEntryID  = `UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'inbox' AND seq < ?1`
	insertLastEntryID = `INSERT INTO sqlite_sequence (name, seq)
		SELECT 'inbox', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'inbox')`
	ackEntries = `DELETE FROM inbox WHERE id IN (
				SELECT i.id FROM json_each(?) a JOIN inbox i ON i.id = a.value ->> 1 AND i.device_id = a.value ->> 0)
			RETURNING ` + sqlstore.EntryCols
	// A ref's columns are its body's: read them before the delete.
	ackedRefs = `SELECT ` + sqlstore.RefEntryCols + ` FROM json_each(?) a
			JOIN inbox_refs r ON r.device_id = a.value ->> 0 AND r.id = a.value ->> 1
			JOIN message_bodies b ON b.id = r.body_id`
	ackRefs = `DELETE FROM inbox_refs WHERE (device_id, id) IN (
			SELECT a.value ->> 0, a.value ->> 1 FROM json_each(?) a)`
	// WHERE true: without it SQLite would read ON CONFLICT as a join's ON.
	raiseReceipts = `INSERT INTO receipts (chat_id, message_id, account_id, status)
		SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3 FROM json_each(?) r WHERE true
		ON CONFLICT (chat_id, message_id, account_id) DO UPDATE SET status = excluded.status
			WHERE excluded.status > receipts.status
		RETURNING chat_id, message_id, account_id, status`
)

// hotQueries are the statements prepareHot prepares.
var hotQueries = slices.Concat([]string{lastEntryID, nextSeq, undoSeq, insertMeta, getMeta, insertBody,
	raiseLastEntryID, insertLastEntryID, ackEntries, ackedRefs, ackRefs, raiseReceipts},
	entryInserts[:], refInserts[:])

// prepareHot prepares the hot path's statements on the writer connection,
// where they are not yet: a transaction cannot (its connection is the
// pool's only one), but reuses what the pool prepared before it. A
// statement that fails to prepare is prepared in the transaction instead.
func (db *DB) prepareHot(ctx context.Context) {
	for _, q := range hotQueries {
		_, _ = db.w.stmt(ctx, q)
	}
}

// entryChunk is how many entries one INSERT writes at most (entryParams
// each). Fewer are written by the INSERTs of 32, 16, …, 1 rows, so that
// every INSERT has one of a few texts, prepared once.
const entryChunk = 64

// entryParams is the number of parameters of one inbox row.
const entryParams = 16

// entryInserts are the INSERTs of 1, 2, 4, …, entryChunk inbox rows.
var entryInserts = chunkInserts[[7]string](`INSERT INTO inbox (id, device_id, type, chat_id, seq, message_id, kind, ref,
		sender_account, sender_device, body, shared, key, created_at, expires_at, notify_expiry) VALUES `,
	"(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")

// refChunk is how many refs one INSERT writes at most (refParams each).
const refChunk = 256

// refParams is the number of parameters of one inbox_refs row.
const refParams = 4

// refInserts are the INSERTs of 1, 2, 4, …, refChunk inbox_refs rows.
var refInserts = chunkInserts[[9]string](`INSERT INTO inbox_refs (device_id, id, body_id, key) VALUES `, "(?,?,?,?)")

// chunkInserts returns the INSERTs of 1, 2, 4, … rows, one per element of
// the array.
func chunkInserts[A ~[7]string | ~[9]string](prefix, row string) A {
	var out A
	for i := range len(out) {
		out[i] = prefix + strings.TrimSuffix(strings.Repeat(row+",", 1<<i), ",")
	}
	return out
}

// insertChunks writes rows of params each (args) by the INSERTs of
// inserts: one of the largest while rows remain for it, then the
// powers of two of what is left.
func insertChunks(ctx context.Context, q querier, inserts []string, params int, args []any) error {
	for i := len(inserts) - 1; i >= 0 && len(args) > 0; i-- {
		n := (1 << i) * params
		for len(args) >= n {
			if _, err := q.Exec(ctx, inserts[i], args[:n]...); err != nil {
				return err
			}
			args = args[n:]
		}
	}
	return nil
}

// committer holds the buffered entries of one Commit transaction.
type committer struct {
	q querier

	// Entry ids are assigned here, not by SQLite, so that entries can be
	// written many rows per statement. BEGIN IMMEDIATE makes this
	// connection the only writer, so lastID cannot go stale. Refs take
	// their ids from the same counter: finish stores it back.
	lastID  int64
	seqID   int64 // inbox's sqlite_sequence when the transaction began
	pending []any // parameters of buffered entries, entryParams per entry
	refs    []any // parameters of buffered refs, refParams per ref
}

func newCommitter(ctx context.Context, q querier) (*committer, error) {
	c := &committer{q: q}
	// sqlite_sequence holds the largest id inbox has ever used.
	if err := q.QueryRow(ctx, lastEntryID).Scan(&c.lastID); err != nil {
		return nil, err
	}
	c.seqID = c.lastID
	return c, nil
}

// append writes one append. It returns an error only for failures that
// must abort the whole transaction; per-append outcomes go in a.Err.
func (c *committer) append(ctx context.Context, a *chat.Append) error {
	a.Seq, a.Duplicate, a.Err = 0, false, nil
	var seq int64
	if a.Sequenced || a.Meta != nil {
		err := c.q.QueryRow(ctx, nextSeq, a.ChatID).Scan(&seq)
		if err == sql.ErrNoRows {
			a.Err = fmt.Errorf("chat %d: %w", a.ChatID, parley.ErrNotFound)
			return nil
		}
		if err != nil {
			return err
		}
	}
	var bodyID int64 // the shared body's row; 0: every entry is an inbox row
	var shared *chat.Entry
	if m := a.Meta; m != nil {
		n, err := c.q.Exec(ctx, insertMeta, a.ChatID, m.ID, seq, m.SenderAccount, m.SenderDevice, m.Kind, m.Ref, ns(m.CreatedAt))
		if err != nil {
			return err
		}
		if n == 0 {
			// The message exists: give the sequence number back.
			if _, err := c.q.Exec(ctx, undoSeq, a.ChatID); err != nil {
				return err
			}
			var old chat.MessageMeta
			err := c.q.QueryRow(ctx, getMeta, a.ChatID, m.ID).
				Scan(&old.Seq, &old.SenderAccount, &old.SenderDevice, tcol(&old.CreatedAt))
			if err != nil {
				return err
			}
			if old.SenderAccount != m.SenderAccount || old.SenderDevice != m.SenderDevice {
				a.Err = parley.Errorf(parley.EConflict, "message id %q is taken in this chat", m.ID)
				return nil
			}
			a.Duplicate, a.Seq = true, old.Seq
			m.Seq, m.CreatedAt = old.Seq, old.CreatedAt
			return nil
		}
		m.ChatID, m.Seq = a.ChatID, seq
		if a.Shared != nil {
			// The message's columns go on its body once; entries that
			// match them are refs (sqlstore.RefTemplate).
			shared = sqlstore.RefTemplate(a)
			t := chat.Entry{ChatID: a.ChatID, MessageID: m.ID}
			if shared != nil {
				t = *shared
			}
			err := c.q.QueryRow(ctx, insertBody, a.ChatID, m.ID, a.Shared, string(t.Type), seq, string(t.Kind), t.Ref,
				t.SenderAccount, t.SenderDevice, ns(t.CreatedAt), ns(t.ExpiresAt), t.NotifyExpiry).Scan(&bodyID)
			if err != nil {
				return err
			}
		}
	}
	if a.Sequenced || a.Meta != nil {
		a.Seq = seq
	}
	for i := range a.Entries {
		e := &a.Entries[i]
		if a.Sequenced || a.Meta != nil {
			e.Seq = seq
		}
		c.lastID++
		e.ID = c.lastID
		if shared != nil && sqlstore.IsRef(shared, e) {
			c.refs = append(c.refs, e.DeviceID, e.ID, bodyID, e.Key)
			if len(c.refs) == refChunk*refParams {
				if err := c.flushRefs(ctx); err != nil {
					return err
				}
			}
			continue
		}
		body := e.Body
		if e.Shared {
			body = nil // stored once, in message_bodies
		}
		c.pending = append(c.pending, e.ID, e.DeviceID, string(e.Type), e.ChatID, e.Seq, e.MessageID, string(e.Kind), e.Ref,
			e.SenderAccount, e.SenderDevice, body, e.Shared, e.Key, ns(e.CreatedAt), ns(e.ExpiresAt), e.NotifyExpiry)
		if len(c.pending) == entryChunk*entryParams {
			if err := c.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush writes the buffered entries.
func (c *committer) flush(ctx context.Context) error {
	err := insertChunks(ctx, c.q, entryInserts[:], entryParams, c.pending)
	c.pending = c.pending[:0]
	return err
}

// flushRefs writes the buffered refs.
func (c *committer) flushRefs(ctx context.Context) error {
	err := insertChunks(ctx, c.q, refInserts[:], refParams, c.refs)
	c.refs = c.refs[:0]
	return err
}

// finish writes what is buffered and stores the last id taken in inbox's
// sqlite_sequence, which inserting refs does not advance.
func (c *committer) finish(ctx context.Context) error {
	if err := c.flush(ctx); err != nil {
		return err
	}
	if err := c.flushRefs(ctx); err != nil {
		return err
	}
	if c.lastID == c.seqID {
		return nil
	}
	n, err := c.q.Exec(ctx, raiseLastEntryID, c.lastID)
	if err != nil || n > 0 {
		return err
	}
	// No row yet (inbox never had one), or the inbox rows already raised it.
	_, err = c.q.Exec(ctx, insertLastEntryID, c.lastID)
	return err
}

// Ack deletes the device's entries with the given ids and returns them,
// without bodies, ascending by ID.
func (db *DB) Ack(ctx context.Context, deviceID int64, ids []int64) ([]chat.Entry, error) {
	return db.AckMany(ctx, []chat.DeviceAck{{DeviceID: deviceID, IDs: ids}})
}

// AckMany deletes the entries of several devices (inbox rows and refs)
// and returns them (with DeviceID, without bodies), ordered by id. The
// (device, id) pairs go in as one JSON array: a batch costs the same three
// statements however many devices acked.
func (db *DB) AckMany(ctx context.Context, acks []chat.DeviceAck) ([]chat.Entry, error) {
	list, err := ackList(acks)
	if err != nil || list == "" {
		return nil, wrap("ack many", err)
	}
	db.prepareHot(ctx)
	var out []chat.Entry
	err = db.tx(ctx, func(tx *sql.Tx) error {
		out, err = ackIn(ctx, db.txQuerier(tx), list)
		return err
	})
	if err != nil {
		return nil, wrap("ack many", err)
	}
	return out, nil
}

// ackList is the (device, id) pairs of acks as a JSON array, each pair
// once, or "" when there are none.
func ackList(acks []chat.DeviceAck) (string, error) {
	var pairs [][2]int64
	for _, a := range acks {
		for _, id := range a.IDs {
			pairs = append(pairs, [2]int64{a.DeviceID, id})
		}
	}
	if len(pairs) == 0 {
		return "", nil
	}
	slices.SortFunc(pairs, func(a, b [2]int64) int { return cmp.Or(cmp.Compare(a[1], b[1]), cmp.Compare(a[0], b[0])) })
	pairs = slices.Compact(pairs) // an id acked twice is returned once
	list, err := json.Marshal(pairs)
	return string(list), err
}

// ackIn deletes the entries of list (ackList) in the transaction of q and
// returns them, ordered by id.
func ackIn(ctx context.Context, q querier, list string) ([]chat.Entry, error) {
	rows, err := q.query(ctx, ackEntries, list)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, sqlstore.ScanEntry)
	if err != nil {
		return nil, err
	}
	rows, err = q.query(ctx, ackedRefs, list)
	if err != nil {
		return nil, err
	}
	refs, err := collect(rows, sqlstore.ScanEntry)
	if err != nil {
		return nil, err
	}
	if len(refs) > 0 {
		out = append(out, refs...)
		if _, err := q.Exec(ctx, ackRefs, list); err != nil {
			return nil, err
		}
	}
	sqlstore.SortEntries(out)
	return out, nil
}

// RaiseReceipts stores each receipt whose status is higher than the stored
// one (or new) and returns exactly those, ordered by (chat, message,
// account). A receipt given twice counts once, with its highest status.
// The receipts go in as one JSON array, in one statement.
func (db *DB) RaiseReceipts(ctx context.Context, rs []chat.Receipt) ([]chat.Receipt, error) {
	raised, err := raise(ctx, querier{p: db.w}, rs)
	return raised, wrap("raise receipts", err)
}

// raise is RaiseReceipts on q.
func raise(ctx context.Context, q querier, rs []chat.Receipt) ([]chat.Receipt, error) {
	rs = sqlstore.Highest(rs)
	if len(rs) == 0 {
		return nil, nil
	}
	rows := make([][4]any, len(rs))
	for i, r := range rs {
		rows[i] = [4]any{r.ChatID, r.MessageID, r.AccountID, r.Status}
	}
	list, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	res, err := q.query(ctx, raiseReceipts, string(list))
	if err != nil {
		return nil, err
	}
	raised, err := collect(res, func(row sqlstore.Row) (chat.Receipt, error) {
		var r chat.Receipt
		err := row.Scan(&r.ChatID, &r.MessageID, &r.AccountID, &r.Status)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(raised, sqlstore.CompareReceipts)
	return raised, nil
}

// AckDelivered deletes acks, raises the receipts that receipts returns
// for them and commits the appends that notify returns for those raised,
// in one transaction, and returns the appends.
func (db *DB) AckDelivered(ctx context.Context, acks []chat.DeviceAck,
	receipts func(ctx context.Context, acked []chat.Entry) ([]chat.Receipt, error),
	notify func(raised []chat.Receipt) []*chat.Append) ([]*chat.Append, error) {
	list, err := ackList(acks)
	if err != nil || list == "" {
		return nil, wrap("ack delivered", err)
	}
	db.prepareHot(ctx)
	var appends []*chat.Append
	err = db.tx(ctx, func(tx *sql.Tx) error {
		q := db.txQuerier(tx)
		acked, err := ackIn(ctx, q, list)
		if err != nil {
			return err
		}
		rs, err := receipts(ctx, acked)
		if err != nil {
			return err
		}
		raised, err := raise(ctx, q, rs)
		if err != nil || len(raised) == 0 {
			return err
		}
		appends = notify(raised)
		return commitIn(ctx, q, appends)
	})
	if err != nil {
		return nil, wrap("ack delivered", err)
	}
	return appends, nil
}

// Expire deletes up to limit entries with ExpiresAt <= now, oldest expiry
// first (inbox rows, then refs of expired bodies), and returns those with
// NotifyExpiry set, without bodies. Entries with a zero ExpiresAt never
// expire.
func (db *DB) Expire(ctx context.Context, now time.Time, limit int) (int, []chat.Entry, error) {
	var es []chat.Entry
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM inbox WHERE id IN (
				SELECT id FROM inbox WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
			RETURNING `+sqlstore.EntryCols, now.UnixNano(), limit)
		if err != nil {
			return err
		}
		if es, err = collect(rows, sqlstore.ScanEntry); err != nil || len(es) >= limit {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT `+sqlstore.RefEntryCols+`
			FROM message_bodies b JOIN inbox_refs r ON r.body_id = b.id
			WHERE b.expires_at <= ? ORDER BY b.expires_at LIMIT ?`, now.UnixNano(), limit-len(es))
		if err != nil {
			return err
		}
		refs, err := collect(rows, sqlstore.ScanEntry)
		if err != nil || len(refs) == 0 {
			return err
		}
		es = append(es, refs...)
		return deleteRefs(ctx, tx, refs)
	})
	if err != nil {
		return 0, nil, wrap("expire", err)
	}
	return len(es), sqlstore.Notified(es), nil
}

// deleteRefs deletes the inbox_refs rows of refs.
func deleteRefs(ctx context.Context, tx *sql.Tx, refs []chat.Entry) error {
	pairs := make([][2]int64, len(refs))
	for i, e := range refs {
		pairs[i] = [2]int64{e.DeviceID, e.ID}
	}
	list, err := json.Marshal(pairs)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM inbox_refs WHERE (device_id, id) IN (
		SELECT a.value ->> 0, a.value ->> 1 FROM json_each(?) a)`, string(list))
	return err
}

// PruneMessages deletes message metadata created before t, with the
// receipts of those messages, and returns how many messages it deleted.
func (db *DB) PruneMessages(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM receipts WHERE EXISTS (
			SELECT 1 FROM messages m WHERE m.chat_id = receipts.chat_id
				AND m.message_id = receipts.message_id AND m.created_at < ?)`, before.UnixNano())
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE created_at < ?`, before.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), wrap("prune messages", err)
}

// PurgeChatEntries deletes every inbox entry of the chat created before
// createdBefore and returns how many it deleted.
func (db *DB) PurgeChatEntries(ctx context.Context, chatID int64, createdBefore time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM inbox WHERE chat_id = ? AND created_at < ?`,
			chatID, createdBefore.UnixNano())
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM inbox_refs WHERE body_id IN (
			SELECT id FROM message_bodies WHERE chat_id = ? AND created_at < ?)`, chatID, createdBefore.UnixNano())
		if err != nil {
			return err
		}
		refs, err := res.RowsAffected()
		n += refs
		return err
	})
	return int(n), wrap("purge chat entries", err)
}

// ShortenChatExpiry makes the chat's queued messages expire at most after
// past their creation, silently, and returns how many entries it changed
// (a shared body's expiry changes for each of its refs).
func (db *DB) ShortenChatExpiry(ctx context.Context, chatID int64, after time.Duration) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE inbox SET expires_at = created_at + ?1, notify_expiry = 0
			WHERE chat_id = ?2 AND type = 'message' AND kind <> 'system' AND expires_at > created_at + ?1`,
			after.Nanoseconds(), chatID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		var refs int64
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM message_bodies b JOIN inbox_refs r ON r.body_id = b.id
			WHERE b.chat_id = ?2 AND b.type = 'message' AND b.kind <> 'system' AND b.expires_at > b.created_at + ?1`,
			after.Nanoseconds(), chatID).Scan(&refs)
		if err != nil {
			return err
		}
		n += refs
		_, err = tx.ExecContext(ctx, `UPDATE message_bodies SET expires_at = created_at + ?1, notify_expiry = 0
			WHERE chat_id = ?2 AND type = 'message' AND kind <> 'system' AND expires_at > created_at + ?1`,
			after.Nanoseconds(), chatID)
		return err
	})
	return int(n), wrap("shorten chat expiry", err)
}
