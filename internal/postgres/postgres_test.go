package postgres_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/internal/postgres"
	"github.com/parleyhq/parley/internal/storetest"
	"github.com/parleyhq/parley/internal/testdb"
)

// open returns a store on a fresh database of the PARLEY_TEST_POSTGRES
// server (a copy of the migrated template), dropped when t ends. It
// skips t if the variable is unset. TestMigrateFromEmpty covers
// migrating from nothing.
func open(t testing.TB) *postgres.DB {
	t.Helper()
	dsn := os.Getenv("PARLEY_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("PARLEY_TEST_POSTGRES is not set")
	}
	db := openDSN(t, testdb.FreshDatabase(t, dsn))
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// freshSchema creates a schema dropped when t ends and returns the DSN
// that uses it. It skips t if PARLEY_TEST_POSTGRES is unset.
func freshSchema(t testing.TB) string {
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

	return withSearchPath(t, dsn, schema)
}

// openDSN opens a store, closed when t ends (before its schema is dropped).
func openDSN(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
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
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

// Two nodes committing at once: a reader resuming from the highest id it
// saw skips nothing.
func TestEntryOrderAcrossNodes(t *testing.T) {
	dsn := freshSchema(t)
	a := openDSN(t, dsn)
	if err := a.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	storetest.EntryOrder(t, a, openDSN(t, dsn))
}

func TestMigrateFromEmpty(t *testing.T) {
	db := openDSN(t, freshSchema(t))
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

func TestMigrateTwice(t *testing.T) {
	db := open(t)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("second migrate: got %v, want nil", err)
	}
}

// BenchmarkCommit is the store-independent commit benchmark.
func BenchmarkCommit(b *testing.B) { storetest.BenchmarkCommit(b, open(b)) }

// BenchmarkSharedFanout is the store's part of a group message's delivery.
func BenchmarkSharedFanout(b *testing.B) { storetest.BenchmarkSharedFanout(b, open(b)) }
