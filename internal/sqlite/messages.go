package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	err := db.tx(ctx, func(tx *sql.Tx) error {
		c, err := prepareCommit(ctx, tx)
		if err != nil {
			return err
		}
		defer c.close()
		for _, a := range appends {
			if err := c.append(ctx, a); err != nil {
				return err
			}
		}
		if err := c.flush(ctx); err != nil {
			return err
		}
		if b := business.AppendedBusiness(appends); b != nil {
			return sqlstore.WriteBusiness(ctx, db.Store, db.txQuerier(tx), b)
		}
		return nil
	})
	return wrap("commit", err)
}

// entryChunk is how many entries one INSERT writes (entryParams each).
const entryChunk = 64

// entryParams is the number of parameters of one inbox row.
const entryParams = 16

// entryInsert is the INSERT of n inbox rows.
func entryInsert(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO inbox (id, device_id, type, chat_id, seq, message_id, kind, ref,
		sender_account, sender_device, body, shared, key, created_at, expires_at, notify_expiry) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	return b.String()
}

var entryInsertChunk = entryInsert(entryChunk)

// committer holds the statements and buffered entries of one Commit
// transaction.
type committer struct {
	tx                                                               *sql.Tx
	nextSeq, undoSeq, insertMeta, getMeta, insertBody, insertEntries *sql.Stmt

	// Entry ids are assigned here, not by SQLite, so that entries can be
	// written many rows per statement. BEGIN IMMEDIATE makes this
	// connection the only writer, so lastID cannot go stale.
	lastID  int64
	pending []any // parameters of buffered entries, entryParams per entry
}

func prepareCommit(ctx context.Context, tx *sql.Tx) (*committer, error) {
	c := &committer{tx: tx}
	// sqlite_sequence holds the largest id inbox has ever used.
	err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'inbox'), 0)`).Scan(&c.lastID)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&c.nextSeq, `UPDATE chats SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`},
		{&c.undoSeq, `UPDATE chats SET last_seq = last_seq - 1 WHERE id = ?`},
		{&c.insertMeta, `INSERT INTO messages (chat_id, message_id, seq, sender_account, sender_device, kind, ref, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO NOTHING`},
		{&c.getMeta, `SELECT seq, sender_account, sender_device, created_at FROM messages WHERE chat_id = ? AND message_id = ?`},
		{&c.insertBody, `INSERT INTO message_bodies (chat_id, message_id, body) VALUES (?, ?, ?)`},
		{&c.insertEntries, entryInsertChunk},
	} {
		st, err := tx.PrepareContext(ctx, p.q)
		if err != nil {
			c.close()
			return nil, err
		}
		*p.st = st
	}
	return c, nil
}

func (c *committer) close() {
	for _, st := range []*sql.Stmt{c.nextSeq, c.undoSeq, c.insertMeta, c.getMeta, c.insertBody, c.insertEntries} {
		if st != nil {
			st.Close()
		}
	}
}

// append writes one append. It returns an error only for failures that
// must abort the whole transaction; per-append outcomes go in a.Err.
func (c *committer) append(ctx context.Context, a *chat.Append) error {
	a.Seq, a.Duplicate, a.Err = 0, false, nil
	var seq int64
	if a.Sequenced || a.Meta != nil {
		err := c.nextSeq.QueryRowContext(ctx, a.ChatID).Scan(&seq)
		if err == sql.ErrNoRows {
			a.Err = fmt.Errorf("chat %d: %w", a.ChatID, parley.ErrNotFound)
			return nil
		}
		if err != nil {
			return err
		}
	}
	if m := a.Meta; m != nil {
		res, err := c.insertMeta.ExecContext(ctx, a.ChatID, m.ID, seq, m.SenderAccount, m.SenderDevice, m.Kind, m.Ref, ns(m.CreatedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			// The message exists: give the sequence number back.
			if _, err := c.undoSeq.ExecContext(ctx, a.ChatID); err != nil {
				return err
			}
			var old chat.MessageMeta
			err := c.getMeta.QueryRowContext(ctx, a.ChatID, m.ID).
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
			if _, err := c.insertBody.ExecContext(ctx, a.ChatID, m.ID, a.Shared); err != nil {
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
	var err error
	switch n := len(c.pending) / entryParams; n {
	case 0:
		return nil
	case entryChunk:
		_, err = c.insertEntries.ExecContext(ctx, c.pending...)
	default:
		_, err = c.tx.ExecContext(ctx, entryInsert(n), c.pending...)
	}
	c.pending = c.pending[:0]
	return err
}

// Ack deletes the device's entries with the given ids and returns them,
// without bodies, ascending by ID.
func (db *DB) Ack(ctx context.Context, deviceID int64, ids []int64) ([]chat.Entry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("ack: %w", err)
	}
	rows, err := db.w.QueryContext(ctx, `DELETE FROM inbox
		WHERE device_id = ? AND id IN (SELECT value FROM json_each(?))
		RETURNING `+sqlstore.EntryCols, deviceID, string(list))
	if err != nil {
		return nil, wrap("ack", err)
	}
	es, err := collect(rows, sqlstore.ScanEntry)
	if err != nil {
		return nil, wrap("ack", err)
	}
	sqlstore.SortEntries(es)
	return es, nil
}

// AckMany deletes the entries of several devices in one transaction and
// returns them (with DeviceID, without bodies), ordered by id.
func (db *DB) AckMany(ctx context.Context, acks []chat.DeviceAck) ([]chat.Entry, error) {
	var out []chat.Entry
	err := db.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		st, err := tx.PrepareContext(ctx, `DELETE FROM inbox
			WHERE device_id = ? AND id IN (SELECT value FROM json_each(?))
			RETURNING `+sqlstore.EntryCols)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, a := range acks {
			if len(a.IDs) == 0 {
				continue
			}
			list, err := json.Marshal(a.IDs)
			if err != nil {
				return err
			}
			rows, err := st.QueryContext(ctx, a.DeviceID, string(list))
			if err != nil {
				return err
			}
			es, err := collect(rows, sqlstore.ScanEntry)
			if err != nil {
				return err
			}
			for i := range es {
				es[i].Body = nil
			}
			out = append(out, es...)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("ack many", err)
	}
	sqlstore.SortEntries(out)
	return out, nil
}

// RaiseReceipts stores each receipt whose status is higher than the stored
// one (or new) and returns exactly those, ordered by (chat, message,
// account). A receipt given twice counts once, with its highest status.
func (db *DB) RaiseReceipts(ctx context.Context, rs []chat.Receipt) ([]chat.Receipt, error) {
	rs = sqlstore.Highest(rs)
	if len(rs) == 0 {
		return nil, nil
	}
	var raised []chat.Receipt
	err := db.tx(ctx, func(tx *sql.Tx) error {
		raised = nil
		st, err := tx.PrepareContext(ctx, `INSERT INTO receipts (chat_id, message_id, account_id, status)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (chat_id, message_id, account_id) DO UPDATE SET status = excluded.status
			WHERE excluded.status > receipts.status`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rs {
			res, err := st.ExecContext(ctx, r.ChatID, r.MessageID, r.AccountID, r.Status)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n > 0 {
				raised = append(raised, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("raise receipts", err)
	}
	return raised, nil
}

// Expire deletes up to limit entries with ExpiresAt <= now, oldest expiry
// first, and returns those with NotifyExpiry set, without bodies. Entries
// with a zero ExpiresAt never expire.
func (db *DB) Expire(ctx context.Context, now time.Time, limit int) (int, []chat.Entry, error) {
	rows, err := db.w.QueryContext(ctx, `DELETE FROM inbox WHERE id IN (
			SELECT id FROM inbox WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
		RETURNING `+sqlstore.EntryCols, now.UnixNano(), limit)
	if err != nil {
		return 0, nil, wrap("expire", err)
	}
	es, err := collect(rows, sqlstore.ScanEntry)
	if err != nil {
		return 0, nil, wrap("expire", err)
	}
	return len(es), sqlstore.Notified(es), nil
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
	res, err := db.w.ExecContext(ctx, `DELETE FROM inbox WHERE chat_id = ? AND created_at < ?`,
		chatID, createdBefore.UnixNano())
	if err != nil {
		return 0, wrap("purge chat entries", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("purge chat entries", err)
}

// ShortenChatExpiry makes the chat's queued messages expire at most after
// past their creation, silently, and returns how many entries it changed.
func (db *DB) ShortenChatExpiry(ctx context.Context, chatID int64, after time.Duration) (int, error) {
	res, err := db.w.ExecContext(ctx, `UPDATE inbox SET expires_at = created_at + ?1, notify_expiry = 0
		WHERE chat_id = ?2 AND type = 'message' AND kind <> 'system' AND expires_at > created_at + ?1`,
		after.Nanoseconds(), chatID)
	if err != nil {
		return 0, wrap("shorten chat expiry", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("shorten chat expiry", err)
}
