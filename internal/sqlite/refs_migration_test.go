package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
)

// TestRefsMigrationKeepsEntries: a shared message queued before migration
// 00890 (whole inbox rows marked shared) still reads with its body and
// key, acks and sweeps as before; a message sent after it is stored as
// references, and its ids follow the old entries'.
func TestRefsMigrationKeepsEntries(t *testing.T) {
	ctx := context.Background()
	db, exec, migrateToEnd := oldDatabase(t, 860)
	created := time.Now().Truncate(time.Second)
	exec(`INSERT INTO chats (kind, created_at, last_seq) VALUES ('group', ?, 1)`, created.UnixNano())
	exec(`INSERT INTO message_bodies (chat_id, message_id, body) VALUES (1, 'old', 'the old body')`)
	for _, dev := range []int64{7, 8} {
		key := any(nil)
		if dev == 7 {
			key = []byte("seven's key")
		}
		exec(`INSERT INTO inbox (device_id, type, chat_id, seq, message_id, kind, sender_account, sender_device,
			shared, key, created_at, expires_at, notify_expiry) VALUES (?, 'message', 1, 1, 'old', 'message', 1, 1, 1, ?, ?, ?, 1)`,
			dev, key, created.UnixNano(), created.Add(time.Hour).UnixNano())
	}
	migrateToEnd()

	es, err := db.Pending(ctx, 7, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].ID != 1 || string(es[0].Body) != "the old body" || string(es[0].Key) != "seven's key" || !es[0].Shared {
		t.Fatalf("device 7 after the migration: got %+v, want entry 1 with the old body and its key", es)
	}

	meta := &chat.MessageMeta{ID: "new", SenderAccount: 1, SenderDevice: 1, Kind: chat.KindMessage, CreatedAt: created}
	a := &chat.Append{ChatID: 1, Sequenced: true, Meta: meta, Shared: []byte("the new body")}
	for _, dev := range []int64{7, 8} {
		a.Entries = append(a.Entries, chat.Entry{DeviceID: dev, Type: chat.EntryMessage, ChatID: 1, MessageID: "new",
			Kind: chat.KindMessage, SenderAccount: 1, SenderDevice: 1, Body: a.Shared, Shared: true,
			CreatedAt: created, ExpiresAt: created.Add(time.Hour), NotifyExpiry: true})
	}
	if err := db.Commit(ctx, []*chat.Append{a}); err != nil || a.Err != nil {
		t.Fatalf("commit: %v %v", err, a.Err)
	}
	var refs int
	if err := db.w.QueryRowContext(ctx, `SELECT count(*) FROM inbox_refs`).Scan(&refs); err != nil || refs != 2 {
		t.Fatalf("inbox_refs rows: got %d (%v), want 2", refs, err)
	}
	es, err = db.Pending(ctx, 8, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].ID != 2 || es[1].ID != 4 || string(es[0].Body) != "the old body" || string(es[1].Body) != "the new body" || es[1].Seq != 2 {
		t.Fatalf("device 8: got %+v, want entry 2 (old body) then entry 4 (new body, seq 2)", es)
	}

	acked, err := db.AckMany(ctx, []chat.DeviceAck{{DeviceID: 7, IDs: []int64{1, 3}}, {DeviceID: 8, IDs: []int64{2, 4}}})
	if err != nil || len(acked) != 4 {
		t.Fatalf("ack every entry: got %d entries (%v), want 4", len(acked), err)
	}
	if _, n, err := db.SweepBodies(ctx, 0, 100); err != nil || n != 2 {
		t.Errorf("sweep after every entry was acked: got %d bodies deleted (%v), want 2", n, err)
	}
}
