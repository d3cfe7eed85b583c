package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/sqlstore"
)

// msgKey identifies a message.
type msgKey struct {
	chat int64
	id   string
}

// storedMeta is what Commit needs of an existing message.
type storedMeta struct {
	seq                         int64
	senderAccount, senderDevice int64
	createdAt                   time.Time
}

// entryOrderLock is the first key of the advisory lock that orders entry
// commits; the second is the schema's hash.
const entryOrderLock int32 = 0x70617279 // "pary"

// Commit writes all appends in one transaction. Besides BEGIN and COMMIT
// it takes three round trips:
//
//  1. take the entry order lock (entryOrderLock), lock the chats to
//     sequence (FOR NO KEY UPDATE, in id order, so that
//     concurrent commits cannot deadlock), read the messages that may be
//     duplicates, and take ids for the entries from the inbox sequence
//     (and for the shared bodies from theirs);
//  2. (in Go) decide every append: sequence numbers, Duplicate, EConflict;
//  3. write chats.last_seq, the messages, the shared bodies and their
//     inbox_refs rows with unnest;
//  4. write the inbox rows with COPY.
//
// While the chat rows are locked no other Commit can add a message to
// those chats, so the duplicate check of step 1 cannot go stale.
func (db *DB) Commit(ctx context.Context, appends []*chat.Append) error {
	if len(appends) == 0 {
		return nil
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := commitIn(ctx, tx, appends); err != nil {
			return err
		}
		if b := business.AppendedBusiness(appends); b != nil {
			return sqlstore.WriteBusiness(ctx, db.Store, querier{tx}, b)
		}
		return nil
	})
	return wrap("commit", err)
}

// commitIn writes appends in tx, as Commit describes.
func commitIn(ctx context.Context, tx pgx.Tx, appends []*chat.Append) error {
	var (
		chatIDs  []int64
		keyChats []int64
		keyIDs   []string
		keyN     []int32 // entries of the append with that key
		nEntries int
		nBodies  int
	)
	for _, a := range appends {
		a.Seq, a.Duplicate, a.Err = 0, false, nil
		if a.Sequenced || a.Meta != nil {
			chatIDs = append(chatIDs, a.ChatID)
		}
		if a.Meta != nil {
			keyChats = append(keyChats, a.ChatID)
			keyIDs = append(keyIDs, a.Meta.ID)
			keyN = append(keyN, int32(len(a.Entries)))
		}
		nEntries += len(a.Entries)
		if a.Meta != nil && a.Shared != nil {
			nBodies++
		}
	}
	slices.Sort(chatIDs)
	chatIDs = slices.Compact(chatIDs)

	lastSeq := make(map[int64]int64, len(chatIDs))
	stored := make(map[msgKey]storedMeta)
	var ids, bodyIDs []int64

	// Round trip 1.
	b := &pgx.Batch{}
	if nEntries > 0 {
		// Entry ids must become visible in the order they are taken:
		// a device resumes from the highest id it has seen, so an entry
		// with a lower id committed later by another node would be
		// skipped. Commits that add entries hold this lock from taking
		// their ids until they commit, so ids are handed out in commit
		// order across nodes (one node's commits are already serial).
		// Keyed by schema: deployments sharing a server do not wait
		// on each other.
		b.Queue(`SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, entryOrderLock)
	}
	if len(chatIDs) > 0 {
		b.Queue(`SELECT id, last_seq FROM chats WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, chatIDs).
			Query(func(rows pgx.Rows) error {
				var id, seq int64
				_, err := pgx.ForEachRow(rows, []any{&id, &seq}, func() error {
					lastSeq[id] = seq
					return nil
				})
				return err
			})
	}
	if len(keyIDs) > 0 {
		b.Queue(`SELECT m.chat_id, m.message_id, m.seq, m.sender_account, m.sender_device, m.created_at
			FROM messages m
			JOIN unnest($1::bigint[], $2::text[]) AS k(chat_id, message_id)
				ON m.chat_id = k.chat_id AND m.message_id = k.message_id`, keyChats, keyIDs).
			Query(func(rows pgx.Rows) error {
				var k msgKey
				var m storedMeta
				_, err := pgx.ForEachRow(rows, []any{&k.chat, &k.id, &m.seq, &m.senderAccount, &m.senderDevice, tcol(&m.createdAt)},
					func() error {
						stored[k] = m
						return nil
					})
				return err
			})
	}
	if nEntries > 0 {
		// A retry already committed takes no ids (it writes no
		// entries), so retries leave no gaps in a device's ids: the
		// same ids as on SQLite (internal/golden).
		b.Queue(`SELECT nextval(pg_get_serial_sequence('inbox', 'id')) FROM generate_series(1, $1::int - COALESCE((
				SELECT sum(k.n) FROM unnest($2::bigint[], $3::text[], $4::int[]) AS k(chat_id, message_id, n)
				WHERE EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = k.chat_id AND m.message_id = k.message_id)), 0)::int)`,
			nEntries, keyChats, keyIDs, keyN).
			Query(func(rows pgx.Rows) error {
				var id int64
				_, err := pgx.ForEachRow(rows, []any{&id}, func() error {
					ids = append(ids, id)
					return nil
				})
				return err
			})
	}
	if nBodies > 0 {
		// A duplicate's body id goes unused: a gap, which is harmless.
		b.Queue(`SELECT nextval(pg_get_serial_sequence('message_bodies', 'id')) FROM generate_series(1, $1)`, nBodies).
			Query(func(rows pgx.Rows) error {
				var id int64
				_, err := pgx.ForEachRow(rows, []any{&id}, func() error {
					bodyIDs = append(bodyIDs, id)
					return nil
				})
				return err
			})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	slices.Sort(ids)

	// Step 2, in Go.
	var w writes
	for _, a := range appends {
		sequenced := a.Sequenced || a.Meta != nil
		if sequenced {
			if _, ok := lastSeq[a.ChatID]; !ok {
				a.Err = fmt.Errorf("chat %d: %w", a.ChatID, parley.ErrNotFound)
				continue
			}
		}
		if m := a.Meta; m != nil {
			k := msgKey{a.ChatID, m.ID}
			if old, ok := stored[k]; ok {
				if old.senderAccount != m.SenderAccount || old.senderDevice != m.SenderDevice {
					a.Err = parley.Errorf(parley.EConflict, "message id %q is taken in this chat", m.ID)
					continue
				}
				a.Duplicate, a.Seq = true, old.seq
				m.Seq, m.CreatedAt = old.seq, old.createdAt
				continue
			}
		}
		if sequenced {
			lastSeq[a.ChatID]++
			a.Seq = lastSeq[a.ChatID]
			w.chat(a.ChatID, a.Seq)
		}
		if m := a.Meta; m != nil {
			m.ChatID, m.Seq = a.ChatID, a.Seq
			stored[msgKey{a.ChatID, m.ID}] = storedMeta{a.Seq, m.SenderAccount, m.SenderDevice, m.CreatedAt}
			w.meta(m)
		}
		var bodyID int64
		var shared *chat.Entry
		if m := a.Meta; m != nil && a.Shared != nil {
			// The message's columns go on its body once; entries
			// that match them are refs (sqlstore.RefTemplate).
			bodyID, bodyIDs = bodyIDs[0], bodyIDs[1:]
			shared = sqlstore.RefTemplate(a)
			t := chat.Entry{ChatID: a.ChatID, MessageID: m.ID}
			if shared != nil {
				t = *shared
			}
			t.Seq = a.Seq
			w.body(bodyID, &t, a.Shared)
		}
		for i := range a.Entries {
			e := &a.Entries[i]
			if sequenced {
				e.Seq = a.Seq
			}
			e.ID, ids = ids[0], ids[1:]
			if shared != nil && sqlstore.IsRef(shared, e) {
				w.ref(e, bodyID)
				continue
			}
			w.entry(e)
		}
	}

	// Round trip 3.
	b = &pgx.Batch{}
	if len(w.chatIDs) > 0 {
		b.Queue(`UPDATE chats SET last_seq = u.seq
			FROM unnest($1::bigint[], $2::bigint[]) AS u(id, seq) WHERE chats.id = u.id`, w.chatIDs, w.chatSeqs)
	}
	if len(w.mChat) > 0 {
		b.Queue(`INSERT INTO messages (chat_id, message_id, seq, sender_account, sender_device, kind, ref, created_at)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::timestamptz[])`,
			w.mChat, w.mID, w.mSeq, w.mAccount, w.mDevice, w.mKind, w.mRef, w.mCreated)
	}
	if len(w.bodies.id) > 0 {
		bs := &w.bodies
		b.Queue(`INSERT INTO message_bodies (id, chat_id, message_id, body, type, seq, kind, ref,
				sender_account, sender_device, created_at, expires_at, notify_expiry)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[], $5::text[], $6::bigint[], $7::text[], $8::text[],
				$9::bigint[], $10::bigint[], $11::timestamptz[], $12::timestamptz[], $13::boolean[])`,
			bs.id, bs.chat, bs.messageID, bs.body, bs.typ, bs.seq, bs.kind, bs.ref,
			bs.account, bs.device, bs.created, bs.expires, bs.notify)
	}
	if len(w.refs) > 0 {
		// A few small columns: unnest in this round trip costs less
		// than a COPY of its own.
		devs, ids, keys := make([]int64, len(w.refs)), make([]int64, len(w.refs)), make([][]byte, len(w.refs))
		for i, e := range w.refs {
			devs[i], ids[i], keys[i] = e.DeviceID, e.ID, e.Key
		}
		b.Queue(`INSERT INTO inbox_refs (device_id, id, body_id, key)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bytea[])`, devs, ids, w.refBodies, keys)
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
	}
	if len(w.entries) > 0 {
		// Round trip 4.
		if err := copyEntries(ctx, tx, w.entries); err != nil {
			return err
		}
	}
	return nil
}

// copyEntries writes inbox rows with COPY.
func copyEntries(ctx context.Context, tx pgx.Tx, entries []*chat.Entry) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"inbox"}, []string{"id", "device_id", "type", "chat_id", "seq", "message_id", "kind", "ref",
		"sender_account", "sender_device", "body", "shared", "key", "created_at", "expires_at", "notify_expiry"},
		pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
			e := entries[i]
			body := e.Body
			if e.Shared {
				body = nil // stored once, in message_bodies
			}
			return []any{e.ID, e.DeviceID, string(e.Type), e.ChatID, e.Seq, e.MessageID, string(e.Kind), e.Ref,
				e.SenderAccount, e.SenderDevice, body, e.Shared, e.Key, ts(e.CreatedAt), ts(e.ExpiresAt), e.NotifyExpiry}, nil
		}))
	return err
}

// writes collects the rows of a Commit as columns for unnest.
type writes struct {
	chatIDs, chatSeqs []int64
	chatIdx           map[int64]int

	mChat, mSeq, mAccount, mDevice []int64
	mID, mKind, mRef               []string
	mCreated                       []pgtype.Timestamptz

	bodies bodyColumns // shared bodies, with their messages' columns

	entries   []*chat.Entry
	refs      []*chat.Entry // entries written as inbox_refs rows
	refBodies []int64       // the body of each of refs
}

// bodyColumns are message_bodies rows as columns for unnest.
type bodyColumns struct {
	id, chat, seq, account, device []int64
	messageID, typ, kind, ref      []string
	body                           [][]byte
	created, expires               []pgtype.Timestamptz
	notify                         []bool
}

// chat records that chat's last_seq is now seq.
func (w *writes) chat(chatID, seq int64) {
	if w.chatIdx == nil {
		w.chatIdx = make(map[int64]int)
	}
	if i, ok := w.chatIdx[chatID]; ok {
		w.chatSeqs[i] = seq
		return
	}
	w.chatIdx[chatID] = len(w.chatIDs)
	w.chatIDs = append(w.chatIDs, chatID)
	w.chatSeqs = append(w.chatSeqs, seq)
}

// body records a message's shared body, with the columns of its refs
// (t's).
func (w *writes) body(id int64, t *chat.Entry, body []byte) {
	bs := &w.bodies
	bs.id = append(bs.id, id)
	bs.chat = append(bs.chat, t.ChatID)
	bs.messageID = append(bs.messageID, t.MessageID)
	bs.body = append(bs.body, body)
	bs.typ = append(bs.typ, string(t.Type))
	bs.seq = append(bs.seq, t.Seq)
	bs.kind = append(bs.kind, string(t.Kind))
	bs.ref = append(bs.ref, t.Ref)
	bs.account = append(bs.account, t.SenderAccount)
	bs.device = append(bs.device, t.SenderDevice)
	bs.created = append(bs.created, ts(t.CreatedAt))
	bs.expires = append(bs.expires, ts(t.ExpiresAt))
	bs.notify = append(bs.notify, t.NotifyExpiry)
}

// ref records an entry written as a ref to body.
func (w *writes) ref(e *chat.Entry, body int64) {
	w.refs = append(w.refs, e)
	w.refBodies = append(w.refBodies, body)
}

func (w *writes) meta(m *chat.MessageMeta) {
	w.mChat = append(w.mChat, m.ChatID)
	w.mID = append(w.mID, m.ID)
	w.mSeq = append(w.mSeq, m.Seq)
	w.mAccount = append(w.mAccount, m.SenderAccount)
	w.mDevice = append(w.mDevice, m.SenderDevice)
	w.mKind = append(w.mKind, string(m.Kind))
	w.mRef = append(w.mRef, m.Ref)
	w.mCreated = append(w.mCreated, ts(m.CreatedAt))
}

func (w *writes) entry(e *chat.Entry) { w.entries = append(w.entries, e) }

// Ack deletes the device's entries with the given ids and returns them,
// without bodies, ascending by ID.
func (db *DB) Ack(ctx context.Context, deviceID int64, ids []int64) ([]chat.Entry, error) {
	return db.AckMany(ctx, []chat.DeviceAck{{DeviceID: deviceID, IDs: ids}})
}

// ackRefs deletes the (device, id) pairs $1, $2 from inbox_refs and returns
// them as entries, with their bodies' columns.
var ackRefs = `WITH gone AS (DELETE FROM inbox_refs r USING unnest($1::bigint[], $2::bigint[]) AS a(device_id, id)
		WHERE r.device_id = a.device_id AND r.id = a.id RETURNING r.id, r.device_id, r.body_id)
	SELECT ` + sqlstore.RefEntryCols + ` FROM gone r JOIN message_bodies b ON b.id = r.body_id`

// AckMany deletes the entries of several devices (inbox rows and refs) in
// one round trip and returns them (with DeviceID, without bodies), ordered
// by id.
func (db *DB) AckMany(ctx context.Context, acks []chat.DeviceAck) ([]chat.Entry, error) {
	// A batch runs as one implicit transaction (one Sync).
	es, err := ackIn(ctx, db.pool, acks)
	if err != nil {
		return nil, wrap("ack many", err)
	}
	return es, nil
}

// batcher sends a batch: the pool or a transaction.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// ackIn deletes the acked entries on q, in one round trip of two
// statements, and returns them ordered by id.
func ackIn(ctx context.Context, q batcher, acks []chat.DeviceAck) ([]chat.Entry, error) {
	var devs, ids []int64
	for _, a := range acks {
		for _, id := range a.IDs {
			devs = append(devs, a.DeviceID)
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var es []chat.Entry
	scan := func(rows pgx.Rows) error {
		got, err := collect(rows, nil, sqlstore.ScanEntry)
		es = append(es, got...)
		return err
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM inbox AS i USING unnest($1::bigint[], $2::bigint[]) AS a(device_id, id)
		WHERE i.device_id = a.device_id AND i.id = a.id RETURNING `+sqlstore.PrefixCols("i.", sqlstore.EntryCols), devs, ids).Query(scan)
	b.Queue(ackRefs, devs, ids).Query(scan)
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	sqlstore.SortEntries(es)
	return es, nil
}

// RaiseReceipts stores each receipt whose status is higher than the stored
// one (or new) and returns exactly those, ordered by (chat, message,
// account). A receipt given twice counts once, with its highest status.
func (db *DB) RaiseReceipts(ctx context.Context, rs []chat.Receipt) ([]chat.Receipt, error) {
	raised, err := raise(ctx, db.pool, rs)
	if err != nil {
		return nil, wrap("raise receipts", err)
	}
	return raised, nil
}

// raise is RaiseReceipts on q.
func raise(ctx context.Context, q pgxQuerier, rs []chat.Receipt) ([]chat.Receipt, error) {
	rs = sqlstore.Highest(rs)
	if len(rs) == 0 {
		return nil, nil
	}
	chats := make([]int64, len(rs))
	msgs := make([]string, len(rs))
	accounts := make([]int64, len(rs))
	statuses := make([]int16, len(rs))
	for i, r := range rs {
		chats[i], msgs[i], accounts[i], statuses[i] = r.ChatID, r.MessageID, r.AccountID, int16(r.Status)
	}
	// Rows go in key order, so that concurrent calls lock them in the same
	// order and cannot deadlock.
	rows, err := q.Query(ctx, `
		INSERT INTO receipts (chat_id, message_id, account_id, status)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::smallint[])
		ON CONFLICT (chat_id, message_id, account_id) DO UPDATE SET status = excluded.status
			WHERE excluded.status > receipts.status
		RETURNING chat_id, message_id, account_id, status`, chats, msgs, accounts, statuses)
	raised, err := collect(rows, err, func(row sqlstore.Row) (chat.Receipt, error) {
		var r chat.Receipt
		var st int16
		err := row.Scan(&r.ChatID, &r.MessageID, &r.AccountID, &st)
		r.Status = chat.ReceiptStatus(st)
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
// in one transaction, and returns the appends. The receipts' entries take
// the entry order lock last (commitIn), after the acks' and the receipts'
// row locks, which no Commit waits for.
func (db *DB) AckDelivered(ctx context.Context, acks []chat.DeviceAck,
	receipts func(ctx context.Context, acked []chat.Entry) ([]chat.Receipt, error),
	notify func(raised []chat.Receipt) []*chat.Append) ([]*chat.Append, error) {
	if !slices.ContainsFunc(acks, func(a chat.DeviceAck) bool { return len(a.IDs) > 0 }) {
		return nil, nil
	}
	var appends []*chat.Append
	err := db.tx(ctx, func(tx pgx.Tx) error {
		appends = nil
		acked, err := ackIn(ctx, tx, acks)
		if err != nil {
			return err
		}
		rs, err := receipts(ctx, acked)
		if err != nil {
			return err
		}
		raised, err := raise(ctx, tx, rs)
		if err != nil || len(raised) == 0 {
			return err
		}
		appends = notify(raised)
		if len(appends) == 0 {
			return nil
		}
		return commitIn(ctx, tx, appends)
	})
	if err != nil {
		return nil, wrap("ack delivered", err)
	}
	return appends, nil
}

// Expire deletes up to limit entries with ExpiresAt <= now, oldest expiry
// first (inbox rows, then refs of expired bodies), and returns those with
// NotifyExpiry set, without bodies. Entries with a zero ExpiresAt never
// expire. Rows locked by a concurrent Expire are skipped, so several
// nodes may expire at once.
func (db *DB) Expire(ctx context.Context, now time.Time, limit int) (int, []chat.Entry, error) {
	rows, err := db.pool.Query(ctx, `DELETE FROM inbox WHERE id IN (
			SELECT id FROM inbox WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING `+sqlstore.EntryCols, now, limit)
	es, err := collect(rows, err, sqlstore.ScanEntry)
	if err != nil {
		return 0, nil, wrap("expire", err)
	}
	if len(es) < limit {
		rows, err := db.pool.Query(ctx, `WITH x AS (
				SELECT r.device_id, r.id FROM message_bodies b JOIN inbox_refs r ON r.body_id = b.id
				WHERE b.expires_at <= $1 ORDER BY b.expires_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED),
			gone AS (DELETE FROM inbox_refs r USING x WHERE r.device_id = x.device_id AND r.id = x.id
				RETURNING r.id, r.device_id, r.body_id)
			SELECT `+sqlstore.RefEntryCols+` FROM gone r JOIN message_bodies b ON b.id = r.body_id`, now, limit-len(es))
		refs, err := collect(rows, err, sqlstore.ScanEntry)
		if err != nil {
			return 0, nil, wrap("expire", err)
		}
		es = append(es, refs...)
	}
	return len(es), sqlstore.Notified(es), nil
}

// PruneMessages deletes message metadata created before t, with the
// receipts of those messages, and returns how many messages it deleted.
func (db *DB) PruneMessages(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `
		WITH m AS (DELETE FROM messages WHERE created_at < $1 RETURNING chat_id, message_id),
		r AS (DELETE FROM receipts USING m WHERE receipts.chat_id = m.chat_id AND receipts.message_id = m.message_id)
		SELECT count(*) FROM m`, before).Scan(&n)
	return n, wrap("prune messages", err)
}

// PurgeChatEntries deletes every inbox entry of the chat created before
// createdBefore and returns how many it deleted.
func (db *DB) PurgeChatEntries(ctx context.Context, chatID int64, createdBefore time.Time) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `WITH own AS (DELETE FROM inbox WHERE chat_id = $1 AND created_at < $2 RETURNING 1),
		refs AS (DELETE FROM inbox_refs WHERE body_id IN (
			SELECT id FROM message_bodies WHERE chat_id = $1 AND created_at < $2) RETURNING 1)
		SELECT (SELECT count(*) FROM own) + (SELECT count(*) FROM refs)`, chatID, createdBefore).Scan(&n)
	if err != nil {
		return 0, wrap("purge chat entries", err)
	}
	return n, nil
}

// ShortenChatExpiry makes the chat's queued messages expire at most after
// past their creation, silently, and returns how many entries it changed
// (a shared body's expiry changes for each of its refs).
func (db *DB) ShortenChatExpiry(ctx context.Context, chatID int64, after time.Duration) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `WITH own AS (UPDATE inbox SET expires_at = created_at + $2::bigint * interval '1 microsecond', notify_expiry = false
			WHERE chat_id = $1 AND type = 'message' AND kind <> 'system'
				AND expires_at > created_at + $2::bigint * interval '1 microsecond' RETURNING 1),
		bodies AS (UPDATE message_bodies SET expires_at = created_at + $2::bigint * interval '1 microsecond', notify_expiry = false
			WHERE chat_id = $1 AND type = 'message' AND kind <> 'system'
				AND expires_at > created_at + $2::bigint * interval '1 microsecond' RETURNING id)
		SELECT (SELECT count(*) FROM own) + (SELECT count(*) FROM inbox_refs r JOIN bodies b ON r.body_id = b.id)`,
		chatID, after.Microseconds()).Scan(&n)
	if err != nil {
		return 0, wrap("shorten chat expiry", err)
	}
	return n, nil
}
