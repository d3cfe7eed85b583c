// Package testdb gives tests fresh databases quickly: copies of a
// migrated template instead of a migration per test.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/internal/postgres"
	"github.com/parleyhq/parley/internal/sqlite"
)

// Migrating a fresh database is most of a test server's start (about a
// hundred migrations; seconds under -race on two cores, and hundreds of
// servers per test run). So each store is migrated once into a template
// named by the digest of its migrations, and every test database is a
// copy: a file copy for SQLite, CREATE DATABASE ... TEMPLATE for
// PostgreSQL. The templates outlive the run and are reused by the next
// one until a migration changes; the server still runs Migrate, which
// finds nothing to do.

// digest names a set of migrations.
func digest(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

// sqliteTemplate is the path of a migrated SQLite database, built once
// per process (or found from an earlier run).
var sqliteTemplate = sync.OnceValues(func() (string, error) {
	sum, err := digest(sqlite.Migrations())
	if err != nil {
		return "", err
	}
	path := filepath.Join(os.TempDir(), "parley-test-template-"+sum+".db")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	dir, err := os.MkdirTemp("", "parley-template-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "parley.db"))
	if err != nil {
		return "", err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return "", err
	}
	if err := db.Close(); err != nil { // checkpoints the WAL into the file
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "parley.db-wal")); err == nil {
		return "", errors.New("sqlite template: the WAL was not checkpointed at close")
	}
	// Renamed into place whole, so a concurrent test process sees either
	// no template or a complete one.
	if err := os.Rename(filepath.Join(dir, "parley.db"), path); err != nil {
		return "", err
	}
	return path, nil
})

// SeedSQLite copies the migrated template to dir/parley.db unless a
// database is already there (a restart on the same data).
func SeedSQLite(dir string) error {
	dst := filepath.Join(dir, "parley.db")
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	src, err := sqliteTemplate()
	if err != nil {
		return fmt.Errorf("sqlite template: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// templateLock serializes building the PostgreSQL template across test
// processes (the packages of one `go test ./...` run in parallel).
const templateLock = 0x7061726c // "parl"

// postgresTemplate returns the name of a migrated template database on
// the server of dsn, building it if it is missing.
func postgresTemplate(ctx context.Context, dsn string) (string, error) {
	sum, err := digest(postgres.Migrations())
	if err != nil {
		return "", err
	}
	name := "parley_template_" + sum
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, templateLock); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, templateLock) //nolint:errcheck // closing the connection unlocks too
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	sweep(ctx, conn, dsn)
	if exists {
		return name, nil
	}
	// Built under another name and renamed when complete, so a process
	// that died half way leaves nothing that looks finished.
	building := name + "_building"
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+building); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, withDatabase(dsn, building))
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, `ALTER DATABASE `+building+` RENAME TO `+name); err != nil {
		return "", err
	}
	// Templates of older migrations are of no further use.
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'parley\_template\_%' AND datname <> $1`, name)
	if err != nil {
		return name, nil
	}
	old, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, o := range old {
		_, _ = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{o}.Sanitize()+` WITH (FORCE)`)
	}
	return name, nil
}

// FreshDatabase creates a database copied from the migrated template on
// the server of dsn, drops it at cleanup, and returns its DSN. Several
// servers given the same DSN are nodes of one deployment.
func FreshDatabase(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	tmpl, err := postgresTemplate(ctx, dsn)
	if err != nil {
		t.Fatalf("postgres template: %v", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := fmt.Sprintf("t_%d_%s", time.Now().Unix(), hex.EncodeToString(b))
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE `+tmpl); err != nil {
		t.Fatalf("create database: %v", err)
	}
	// DROP DATABASE waits for a checkpoint (seconds on a busy machine),
	// so the test does not wait for it: the statement goes out in the
	// background, and PostgreSQL finishes it even if this process exits
	// first. One that never went out is swept by a later run.
	t.Cleanup(func() { go dropDatabase(dsn, name) })
	return withDatabase(dsn, name)
}

func dropDatabase(dsn, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
}

// sweepOnce drops, once per process, the test databases that earlier runs
// left behind (named t_<unix seconds>_..., older than three hours).
var sweepOnce sync.Map // by dsn

func sweep(ctx context.Context, conn *pgx.Conn, dsn string) {
	if _, done := sweepOnce.LoadOrStore(dsn, true); done {
		return
	}
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname ~ '^t_[0-9]+_[0-9a-f]+$'`)
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	cutoff := time.Now().Add(-3 * time.Hour).Unix()
	for _, n := range names {
		secs, err := strconv.ParseInt(strings.Split(n, "_")[1], 10, 64)
		if err == nil && secs < cutoff {
			go dropDatabase(dsn, n)
		}
	}
}

// withDatabase points a DSN (a URL or keyword/value string) at database db.
func withDatabase(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return dsn + " dbname=" + db
	}
	u.Path = "/" + db
	return u.String()
}
