package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/internal/sqlite"
	"github.com/parleyhq/parley/internal/storetest"
	"github.com/parleyhq/parley/internal/testdb"
)

// open returns a fresh, migrated database in t's temporary directory (a
// copy of the migrated template; Migrate then finds nothing to do, and
// TestMigrateFromEmpty covers migrating from nothing).
func open(t testing.TB) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := testdb.SeedSQLite(dir); err != nil {
		t.Fatalf("seed: %v", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
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
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t) })
}

func TestMigrateFromEmpty(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
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
