// Package sqlstore holds the store queries that SQLite and
// PostgreSQL share, written once with ? placeholders. It owns no schema:
// internal/sqlite and internal/postgres own theirs, embed a *Store in their
// DB, and keep only what truly differs between the two databases (the
// message hot path, pools, migrations). It imports only parley and the
// standard library; internal/storetest runs the same suite on both.
//
// A Dialect supplies what differs in the shared queries: how a time is
// encoded, how a list is passed, row locks and error codes. Placeholders
// are rebound by the PostgreSQL Querier (see Rebind).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley"
)

// Row is one row of a result: *sql.Row and pgx.Row both are.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set: pgx.Rows is; *sql.Rows needs Close without a result.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// Querier runs SQL written with ? placeholders on a pool or inside a
// transaction. Exec returns the number of rows affected. A QueryRow that
// finds nothing scans an error that errors.Is sql.ErrNoRows (pgx.ErrNoRows
// wraps it).
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Dialect is what differs between the databases in the shared queries.
type Dialect interface {
	// Time encodes t as an argument, NULL for the zero time.
	Time(t time.Time) any
	// In returns a condition true when col is one of the values of one
	// argument made by List.
	In(col string) string
	// List encodes a slice of ids or strings for In.
	List(v any) (any, error)
	// Greatest names the function of two arguments that returns the larger.
	Greatest() string
	// LockRows is appended to a SELECT inside a transaction to lock the
	// rows it returns until the end of the transaction, where a write
	// transaction does not already exclude every other writer. "" if it does.
	LockRows() string
	// SkipLocked is appended to a SELECT in an UPDATE to lock the rows it
	// returns and pass over those that another transaction holds; "" where
	// writers exclude each other anyway.
	SkipLocked() string
	// Lock takes a transaction-scoped lock on the pair (a, b), or does
	// nothing where a write transaction already excludes every other writer.
	Lock(ctx context.Context, tx Querier, a, b int32) error
	// Code returns the parley error for a driver error that has one (a
	// dangling reference is ErrNotFound, a duplicate key EConflict), or nil.
	Code(err error) error
}

// Store is the part of every context's Store written once. The stores embed it.
type Store struct {
	d    Dialect
	r, w Querier // readers and the writer; the same pool on PostgreSQL
	tx   func(ctx context.Context, fn func(tx Querier) error) error
}

// New returns a Store that reads with r, writes with w and runs
// transactions with tx, which commits if fn returns nil.
func New(d Dialect, r, w Querier, tx func(ctx context.Context, fn func(tx Querier) error) error) *Store {
	return &Store{d: d, r: r, w: w, tx: tx}
}

// Wrap adds op to err and turns missing rows, dangling references and
// unique violations into parley codes.
func Wrap(d Dialect, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, parley.ErrNotFound)
	}
	var pe *parley.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if e := d.Code(err); e != nil {
		return fmt.Errorf("%s: %w", op, e)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (s *Store) wrap(op string, err error) error { return Wrap(s.d, op, err) }

// ts encodes t for the dialect.
func (s *Store) ts(t time.Time) any { return s.d.Time(t) }

// affected returns ErrNotFound if an Exec changed no rows.
func affected(n int64, err error) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return parley.ErrNotFound
	}
	return nil
}

// noRows reports whether err says a QueryRow found nothing.
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// collect scans every row with scan and closes rows.
func collect[T any](rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
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

// queryAll runs q on db and scans every row with scan.
func queryAll[T any](ctx context.Context, db Querier, q string, scan func(Row) (T, error), args ...any) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	return collect(rows, err, scan)
}

// scanID scans one integer column.
func scanID(r Row) (int64, error) {
	var id int64
	return id, r.Scan(&id)
}

// TimeCol scans a nullable time column into a time.Time (UTC): unix
// nanoseconds from SQLite, a time.Time from PostgreSQL's timestamptz.
type TimeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c TimeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.Unix(0, v).UTC()
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("scan time: unsupported %T", src)
	}
	return nil
}

// Tcol returns a scan target that stores into t.
func Tcol(t *time.Time) TimeCol { return TimeCol{t} }

// tcol is Tcol for the shared code.
func tcol(t *time.Time) TimeCol { return TimeCol{t} }

// mustAffect returns ErrNotFound if an Exec changed no rows.
func mustAffect(n int64) error { return affected(n, nil) }

// lockRow returns ErrNotFound if table has no row id and otherwise, where
// the database needs it, locks that row until the end of tx.
func (s *Store) lockRow(ctx context.Context, tx Querier, table string, id int64) error {
	return tx.QueryRow(ctx, `SELECT id FROM `+table+` WHERE id = ?`+s.d.LockRows(), id).Scan(&id)
}

// nonNil returns s, or an empty slice for nil: some lists are never null
// in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// values returns the VALUES list of n rows of cols placeholders each:
// "(?,?),(?,?)".
func values(n, cols int) string {
	row := "(?" + strings.Repeat(",?", cols-1) + ")"
	return row + strings.Repeat(","+row, n-1)
}
