package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/internal/postgres"
	"github.com/parleyhq/parley/internal/storetest"
)

// open returns a store on a fresh schema of the PARLEY_TEST_POSTGRES
// database, dropped when t ends. It skips t if the variable is unset.
func open(t testing.TB) *postgres.DB {
	t.Helper()
	dsn := os.Getenv("PARLEY_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("PARLEY_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	schema := "test_" + strings.ToLower(rand.Text())

	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Errorf("connect to drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})

	db, err := postgres.Open(ctx, withSearchPath(t, dsn, schema))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the schema is dropped
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// withSearchPath adds search_path=schema to dsn, a URL or keyword/value string.
func withSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse PARLEY_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
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
