package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
)

// oldDatabase is a fresh database migrated up to version, for tests that
// fill it as an older release would and then migrate it to the end with
// the returned func. exec runs a statement and fails t on error.
func oldDatabase(t *testing.T, version int64) (db *DB, exec func(q string, args ...any), migrateToEnd func()) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.w.DB, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
	exec = func(q string, args ...any) {
		t.Helper()
		if _, err := db.w.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	migrateToEnd = func() {
		t.Helper()
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("migrate to the end: %v", err)
		}
	}
	return db, exec, migrateToEnd
}
