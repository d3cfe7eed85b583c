package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
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
