// Package postgres implements every context's Store on PostgreSQL (jackc/pgx, pgxpool).
// It owns the PostgreSQL schema and its migrations (migrations/*.sql,
// embedded and applied with goose) and nothing else: business rules and
// authorization live in package parley. It imports only parley and the
// database drivers; internal/storetest holds the tests it must pass.
//
// Several nodes may share one database. Commit locks the chat rows it
// sequences, in id order, so concurrent commits neither race on sequence
// numbers nor deadlock. Inbox entry ids come from a sequence: they grow
// within a Commit and across the Commits of one caller, but commits from
// different nodes may become visible out of id order.
//
// Times are timestamptz, kept to the microsecond, NULL for the zero time.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

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

// DB implements every context's Store on a PostgreSQL connection pool.
type DB struct {
	*sqlstore.Store // the queries written once for both databases

	pool *pgxpool.Pool
}

var (
	_ chat.Store     = (*DB)(nil)
	_ channel.Store  = (*DB)(nil)
	_ business.Store = (*DB)(nil)
	_ revenue.Store  = (*DB)(nil)
	_ ads.Store      = (*DB)(nil)
)

// Open connects to the database at dsn (a URL or keyword/value string as
// pgx accepts; search_path and pool_max_conns are honoured). Call Migrate
// before using it.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err) // pgconn redacts the password
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := &DB{pool: pool}
	q := querier{pool}
	db.Store = sqlstore.New(dialect{}, q, q, db.sharedTx)
	return db, nil
}

// Migrate applies the embedded migrations that have not been applied yet.
// An advisory lock keeps nodes that start together from migrating twice.
func (db *DB) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// goose's default lock id is one for the whole database; nodes of one
	// deployment share a schema, so the lock is the schema's, and servers on
	// other schemas of the same database (tests, tenants) migrate in
	// parallel instead of queueing behind each other.
	var schema string
	if err := db.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(schema))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// PostgreSQL error codes that map to parley codes.
const (
	foreignKeyViolation = "23503"
	uniqueViolation     = "23505"
)

// wrap adds op to err and turns missing rows, dangling references and
// unique violations into parley codes.
func wrap(op string, err error) error { return sqlstore.Wrap(dialect{}, op, err) }

// dialect is what PostgreSQL does its own way in the shared queries.
type dialect struct{}

func (dialect) Time(t time.Time) any { return ts(t) }

func (dialect) In(col string) string { return col + " = ANY(?)" }

func (dialect) List(v any) (any, error) { return v, nil }

func (dialect) Greatest() string { return "GREATEST" }

// LockRows locks the rows selected, so that writers on several nodes
// serialize on them.
func (dialect) LockRows() string { return " FOR NO KEY UPDATE" }

func (dialect) SkipLocked() string { return " FOR UPDATE SKIP LOCKED" }

func (dialect) Lock(ctx context.Context, tx sqlstore.Querier, a, b int32) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?, ?)`, a, b)
	return err
}

func (dialect) Code(err error) error {
	if e := unavailable(err); e != nil {
		return e
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case foreignKeyViolation:
			return parley.ErrNotFound
		case uniqueViolation:
			return &parley.Error{Code: parley.EConflict, Message: "already exists", Err: err}
		}
	}
	return nil
}

// unavailable returns EUnavailable (503, "retry") for an error that says
// the database cannot be reached, rather than that it refused the query:
// a connection refused or broken, or a server shutting down or starting
// up (SQLSTATE class 08, 57P01 to 57P03). The pool reconnects by itself
// once the database is back (TestFaultPostgresRestart). nil otherwise.
func unavailable(err error) error {
	var pe *parley.Error
	if err == nil || errors.As(err, &pe) {
		return nil
	}
	down := false
	var ce *pgconn.ConnectError
	var pg *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		down = true
	case errors.As(err, &pg):
		down = strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), pgconn.SafeToRetry(err):
		down = true
	}
	if !down {
		return nil
	}
	return &parley.Error{Code: parley.EUnavailable, Message: "the database is unavailable; retry", Err: err}
}

// pgxQuerier is what a pool and a transaction share.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier runs the shared queries (package sqlstore) with pgx, their ?
// placeholders rebound to $n.
type querier struct{ q pgxQuerier }

// Exec runs query and returns the number of rows affected.
func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sqlstore.Rebind(query), args...)
	return tag.RowsAffected(), err
}

// Query runs query.
func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return q.q.Query(ctx, sqlstore.Rebind(query), args...)
}

// QueryRow runs query for at most one row.
func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return q.q.QueryRow(ctx, sqlstore.Rebind(query), args...)
}

// sharedTx is tx for package sqlstore.
func (db *DB) sharedTx(ctx context.Context, fn func(tx sqlstore.Querier) error) error {
	return db.tx(ctx, func(tx pgx.Tx) error { return fn(querier{tx}) })
}

// tx runs fn in a transaction and commits it if fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.pool, fn)
	if e := unavailable(err); e != nil {
		return fmt.Errorf("transaction: %w", e)
	}
	return err
}

// ts encodes t, NULL for the zero time.
func ts(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// tcol returns a scan target that stores into t.
func tcol(t *time.Time) sqlstore.TimeCol { return sqlstore.Tcol(t) }

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, err error, scan func(sqlstore.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
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
