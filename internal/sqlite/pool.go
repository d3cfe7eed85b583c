package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/parleyhq/parley/internal/sqlstore"
)

// maxCachedStmts bounds the statement cache; queries beyond it (there
// should be none: every query text here is a constant) run unprepared.
const maxCachedStmts = 1024

// pool is a *sql.DB whose QueryContext, QueryRowContext and ExecContext
// reuse prepared statements. Parsing SQL was a quarter of the server's CPU
// under load (docs/PERFORMANCE.md); a prepared *sql.Stmt is parsed once per
// connection and reused.
type pool struct {
	*sql.DB
	stmts sync.Map // query text → *sql.Stmt
	n     atomic.Int32
}

func newPool(db *sql.DB) *pool { return &pool{DB: db} }

func (p *pool) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	if p.n.Load() >= maxCachedStmts {
		return nil, nil
	}
	s, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := p.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	p.n.Add(1)
	return s, nil
}

// QueryContext runs query as a cached prepared statement.
func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, query)
	if err != nil || s == nil {
		return p.DB.QueryContext(ctx, query, args...)
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs query as a cached prepared statement.
func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := p.stmt(ctx, query)
	if err != nil || s == nil {
		return p.DB.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// ExecContext runs query as a cached prepared statement.
func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := p.stmt(ctx, query)
	if err != nil || s == nil {
		return p.DB.ExecContext(ctx, query, args...)
	}
	return s.ExecContext(ctx, args...)
}

// Close closes the cached statements and the database.
func (p *pool) Close() error {
	var errs []error
	p.stmts.Range(func(k, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		return true
	})
	errs = append(errs, p.DB.Close())
	return errors.Join(errs...)
}

// querier runs the shared queries (package sqlstore) on a pool, or in tx
// when tx is not nil, as prepared statements: the pool's cache outside a
// transaction; inside one, the statements it has prepared so far.
type querier struct {
	p     *pool
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // in tx; closed with it
}

func (q querier) stmt(ctx context.Context, query string) *sql.Stmt {
	if q.tx == nil {
		s, err := q.p.stmt(ctx, query)
		if err != nil {
			return nil
		}
		return s
	}
	if s, ok := q.stmts[query]; ok {
		return s
	}
	// The pool cannot prepare now: its one connection is this
	// transaction's. A statement it prepared before is reused here.
	var s *sql.Stmt
	if ps, ok := q.p.stmts.Load(query); ok {
		s = q.tx.StmtContext(ctx, ps.(*sql.Stmt))
	} else if ts, err := q.tx.PrepareContext(ctx, query); err == nil {
		s = ts
	} else {
		return nil
	}
	q.stmts[query] = s
	return s
}

// Exec runs query and returns the number of rows affected.
func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	switch s := q.stmt(ctx, query); {
	case s != nil:
		res, err = s.ExecContext(ctx, args...)
	case q.tx != nil:
		res, err = q.tx.ExecContext(ctx, query, args...)
	default:
		res, err = q.p.DB.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Query runs query.
func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rs, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows{rs}, nil
}

// query is Query for this package, as *sql.Rows.
func (q querier) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	switch s := q.stmt(ctx, query); {
	case s != nil:
		return s.QueryContext(ctx, args...)
	case q.tx != nil:
		return q.tx.QueryContext(ctx, query, args...)
	default:
		return q.p.DB.QueryContext(ctx, query, args...)
	}
}

// QueryRow runs query for at most one row.
func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	switch s := q.stmt(ctx, query); {
	case s != nil:
		return s.QueryRowContext(ctx, args...)
	case q.tx != nil:
		return q.tx.QueryRowContext(ctx, query, args...)
	default:
		return q.p.DB.QueryRowContext(ctx, query, args...)
	}
}

// rows is *sql.Rows as sqlstore.Rows.
type rows struct{ *sql.Rows }

func (r rows) Close() { r.Rows.Close() }
