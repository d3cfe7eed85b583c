package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/internal/sqlite"
	"github.com/parleyhq/parley/internal/storetest"
)

// open returns a fresh, migrated database in t's temporary directory.
func open(t testing.TB) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) parley.Store { return open(t) })
}

func TestMigrateTwice(t *testing.T) {
	db := open(t)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("second migrate: got %v, want nil", err)
	}
}

// BenchmarkCommit measures one group commit of 500 messages with two
// envelopes each, spread over 50 chats.
func BenchmarkCommit(b *testing.B) {
	db := open(b)
	ctx := context.Background()
	const appends, chats = 500, 50
	acct := parley.Account{Phone: "+15550000001"}
	if err := db.CreateAccount(ctx, &acct); err != nil {
		b.Fatal(err)
	}
	d := parley.Device{AccountID: acct.ID}
	if err := db.CreateDevice(ctx, &d, []byte("t"), 10); err != nil {
		b.Fatal(err)
	}
	var chatIDs []int64
	for range chats {
		c := parley.Chat{Kind: parley.ChatGroup, CreatedBy: acct.ID}
		if err := db.CreateChat(ctx, &c, []parley.Member{{AccountID: acct.ID, Role: parley.RoleAdmin}}); err != nil {
			b.Fatal(err)
		}
		chatIDs = append(chatIDs, c.ID)
	}
	now := time.Now()
	body := make([]byte, 200)
	n := 0
	for b.Loop() {
		batch := make([]*parley.Append, appends)
		for i := range batch {
			n++
			chat := chatIDs[i%chats]
			id := fmt.Sprintf("m%d", n)
			e := parley.Entry{DeviceID: d.ID, Type: parley.EntryMessage, ChatID: chat, MessageID: id,
				Kind: parley.KindMessage, SenderAccount: acct.ID, SenderDevice: d.ID, Body: body,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			batch[i] = &parley.Append{ChatID: chat, Meta: &parley.MessageMeta{
				ID: id, SenderAccount: acct.ID, SenderDevice: d.ID, Kind: parley.KindMessage, CreatedAt: now,
			}, Entries: []parley.Entry{e, e}}
		}
		if err := db.Commit(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*appends)/b.Elapsed().Seconds(), "appends/s")
}
