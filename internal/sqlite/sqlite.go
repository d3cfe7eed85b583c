// Package sqlite implements every context's Store on SQLite (modernc.org/sqlite, no cgo).
// It owns the SQLite schema and its migrations (migrations/*.sql, embedded
// and applied with goose) and nothing else: business rules and
// authorization live in package parley. It imports only parley and the
// database drivers; internal/storetest holds the tests it must pass.
//
// One database file is opened twice: a writer pool of exactly one
// connection, whose transactions start with BEGIN IMMEDIATE, and a read-only
// pool of several connections. In WAL mode readers never wait for the
// writer. synchronous=FULL makes every acknowledged commit durable across a
// crash or power loss.
//
// Times are stored as integer unix nanoseconds, NULL for the zero time, so
// a time.Time comes back exactly as it went in (as UTC).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/sqlstore"
	"github.com/parleyhq/parley/revenue"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded migration files, for tools that must
// know the schema's version (the tests' migrated templates).
func Migrations() fs.FS { return migrations }

// DB implements every context's Store on one SQLite file.
type DB struct {
	*sqlstore.Store // the queries written once for both databases

	w *pool // the only writer: one connection, BEGIN IMMEDIATE
	r *pool // readers, query_only
}

var (
	_ chat.Store     = (*DB)(nil)
	_ channel.Store  = (*DB)(nil)
	_ business.Store = (*DB)(nil)
	_ revenue.Store  = (*DB)(nil)
	_ ads.Store      = (*DB)(nil)
)

// Open opens (creating if needed) the SQLite database at path. Call Migrate
// before using it.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(FULL)")
		for i := 0; i+1 < len(extra); i += 2 {
			q.Add(extra[i], extra[i+1])
		}
		u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
		return u.String()
	}

	w, err := sql.Open("sqlite", dsn("_pragma", "journal_mode(WAL)", "_txlock", "immediate"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer connects first so that the file is in WAL mode before any
	// reader opens it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}

	r, err := sql.Open("sqlite", dsn("_pragma", "query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	db := &DB{w: newPool(w), r: newPool(r)}
	db.Store = sqlstore.New(dialect{}, querier{p: db.r}, querier{p: db.w}, db.sharedTx)
	return db, nil
}

// Migrate applies the embedded migrations that have not been applied yet.
func (db *DB) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.w.DB, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping checks that both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// tx runs fn in a write transaction and commits it if fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// sharedTx is tx for package sqlstore.
func (db *DB) sharedTx(ctx context.Context, fn func(tx sqlstore.Querier) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return fn(db.txQuerier(tx)) })
}

// txQuerier runs the shared queries in tx.
func (db *DB) txQuerier(tx *sql.Tx) querier {
	return querier{p: db.w, tx: tx, stmts: map[string]*sql.Stmt{}}
}

// wrap adds op to err and turns missing rows, dangling references and
// unique violations into parley codes.
func wrap(op string, err error) error { return sqlstore.Wrap(dialect{}, op, err) }

// dialect is what SQLite does its own way in the shared queries.
type dialect struct{}

func (dialect) Time(t time.Time) any { return ns(t) }

// In matches col against a JSON array: one statement text for any length.
func (dialect) In(col string) string { return col + " IN (SELECT value FROM json_each(?))" }

func (dialect) List(v any) (any, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func (dialect) Greatest() string { return "MAX" }

// LockRows is empty: the one writer connection, BEGIN IMMEDIATE, holds
// the whole database for the transaction.
func (dialect) LockRows() string { return "" }

func (dialect) SkipLocked() string { return "" }

func (dialect) Lock(context.Context, sqlstore.Querier, int32, int32) error { return nil }

func (dialect) Code(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		// A full disk (or a write the disk refused) is the operator's to
		// fix and the client's to retry: 503 unavailable, not 500. The
		// transaction rolled back, the database is intact, and writes
		// succeed again once space returns (TestFaultDiskFullSQLite).
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return &parley.Error{Code: parley.EUnavailable, Message: "the server's storage is full; retry later", Err: err}
		case sqlite3.SQLITE_IOERR:
			return &parley.Error{Code: parley.EUnavailable, Message: "the database could not write to disk; retry later", Err: err}
		}
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return parley.ErrNotFound
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &parley.Error{Code: parley.EConflict, Message: "already exists", Err: err}
		}
	}
	return nil
}

// ns encodes t as unix nanoseconds, or NULL for the zero time.
func ns(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// tcol returns a sql.Scanner that stores into t.
func tcol(t *time.Time) sqlstore.TimeCol { return sqlstore.Tcol(t) }

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(sqlstore.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
