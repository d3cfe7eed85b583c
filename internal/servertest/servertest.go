// Package servertest starts a real Parley server for tests: the full
// wiring of internal/server on random loopback ports (the public listener
// and the operator's), with SQLite in a temporary directory and an
// embedded NATS, or PostgreSQL and an external NATS when asked. One-time codes are captured instead of logged, so tests
// can log in.
package servertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/testdb"
)

// Codes is a parley.CodeSender that remembers the last code per phone.
type Codes struct {
	mu    sync.Mutex
	codes map[string]string
	cond  *sync.Cond
}

// NewCodes returns an empty Codes.
func NewCodes() *Codes {
	c := &Codes{codes: map[string]string{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// SendCode records code for phone.
func (c *Codes) SendCode(ctx context.Context, phone, code string) error {
	c.mu.Lock()
	c.codes[phone] = code
	c.mu.Unlock()
	c.cond.Broadcast()
	return nil
}

// Last returns the last code sent to phone (E.164), waiting up to 5 s.
func (c *Codes) Last(phone string) string {
	deadline := time.Now().Add(5 * time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.codes[phone] == "" && time.Now().Before(deadline) {
		c.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		c.mu.Lock()
	}
	return c.codes[phone]
}

// Server is a running test server.
type Server struct {
	*server.Server
	URL string // the public listener
	// AdminURL is the operator listener: /admin/v1, the operator console
	// and /metrics.
	AdminURL string
	Opts     server.Options
	codes    *Codes
}

// Endpoint is the URL of path on the listener that serves it: the
// operator listener for /admin... and /metrics, the public one for
// everything else.
func (s *Server) Endpoint(path string) string {
	if strings.HasPrefix(path, "/admin") || path == "/metrics" {
		return s.AdminURL + path
	}
	return s.URL + path
}

// Code returns the last one-time code sent to phone.
func (s *Server) Code(phone string) string { return s.codes.Last(phone) }

// Option changes the server's options before it starts.
type Option func(*server.Options)

// WithConfig sets the service configuration.
func WithConfig(c chat.Config) Option { return func(o *server.Options) { o.Config = c } }

// WithBulkLogins lifts the node's token buckets of the login routes
// (chat.Config's CodeRequestsPerAddress, CodeRequestsTotal and
// VerifiesPerAddress), for a test that logs in more people from 127.0.0.1
// than a household would in a minute. Pass it after WithConfig, which replaces the whole Config.
// The daily limits in the database still hold.
func WithBulkLogins() Option {
	return func(o *server.Options) {
		o.Config.CodeRequestsPerAddress = chat.Rate{Burst: -1}
		o.Config.CodeRequestsTotal = chat.Rate{Burst: -1}
		o.Config.VerifiesPerAddress = chat.Rate{Burst: -1}
	}
}

// WithDataDir uses dir (to restart a server on the same data).
func WithDataDir(dir string) Option { return func(o *server.Options) { o.DataDir = dir } }

// WithPostgres uses the PostgreSQL server of dsn, in a fresh database
// (a copy of the migrated template) dropped at cleanup.
func WithPostgres(t testing.TB, dsn string) Option {
	t.Helper()
	db := testdb.FreshDatabase(t, dsn)
	return func(o *server.Options) { o.PostgresDSN = db }
}

// WithExternalNATS uses an external NATS server, with subjects under a
// random prefix chosen here, so that servers of other tests on the same
// NATS (with their own databases, hence the same ids) are not heard. Pass
// the same Option to several servers to make them nodes of one deployment.
func WithExternalNATS(url string) Option {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "t" + hex.EncodeToString(b)
	return func(o *server.Options) { o.NATS.URL, o.NATS.SubjectPrefix = url, prefix }
}

// Clock is a clock for tests: real time plus an offset that only Advance
// changes, so time still flows (timeouts, resend gaps) but a test can jump
// past a retention, a disappearing timer, an edit window or a code expiry.
// The zero value is real time.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen time.Time // while not zero, Now returns it (Freeze)
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	if !c.frozen.IsZero() {
		c.frozen = c.frozen.Add(d)
	}
	c.mu.Unlock()
}

// Freeze stops the clock until Thaw, for a test of a rate over real time
// that a loaded machine would otherwise refill between two requests.
func (c *Clock) Freeze() {
	c.mu.Lock()
	c.frozen = time.Now().Add(c.offset)
	c.mu.Unlock()
}

// Thaw starts a frozen clock again from where it stood.
func (c *Clock) Thaw() {
	c.mu.Lock()
	if !c.frozen.IsZero() {
		c.offset = time.Until(c.frozen)
		c.frozen = time.Time{}
	}
	c.mu.Unlock()
}

// WithClock makes the service read time from c.
func WithClock(c *Clock) Option { return func(o *server.Options) { o.Now = c.Now } }

// Sweep runs the service's expiry sweep now (Run does it every
// SweepInterval), failing the test on an error.
func (s *Server) Sweep(t testing.TB) {
	t.Helper()
	if err := s.Service().Sweep(context.Background()); err != nil {
		t.Fatalf("sweep: %v", err)
	}
}

// WithOptions edits the options directly.
func WithOptions(fn func(*server.Options)) Option { return fn }

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	codes := NewCodes()
	o := server.Options{
		// Test webhook receivers listen on loopback.
		WebhookAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Addr:         "127.0.0.1:0",
		AdminAddr:    "127.0.0.1:0",
		DataDir:      t.TempDir(),
		Logger:       slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Codes:        codes,
	}
	for _, fn := range opts {
		fn(&o)
	}
	if o.PostgresDSN == "" {
		if err := testdb.SeedSQLite(o.DataDir); err != nil {
			t.Fatalf("seed sqlite: %v", err)
		}
	}
	ctx := context.Background()
	srv, err := server.Start(ctx, o)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	s := &Server{Server: srv, URL: srv.URL(), AdminURL: srv.AdminURL(), Opts: o, codes: codes}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return s
}

// Restart shuts the server down and starts a new one on the same data and
// options (a new port).
func (s *Server) Restart(t testing.TB) *Server {
	t.Helper()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	srv, err := server.Start(context.Background(), s.Opts)
	if err != nil {
		t.Fatalf("restart server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return &Server{Server: srv, URL: srv.URL(), AdminURL: srv.AdminURL(), Opts: s.Opts, codes: s.codes}
}

// PostgresDSN returns $PARLEY_TEST_POSTGRES, or skips the test when unset
// (CI always sets it).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("PARLEY_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("PARLEY_TEST_POSTGRES is not set")
	}
	return dsn
}

// NATSURL returns $PARLEY_TEST_NATS, or skips the test when unset.
func NATSURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("PARLEY_TEST_NATS")
	if u == "" {
		t.Skip("PARLEY_TEST_NATS is not set")
	}
	return u
}

// FreshSchema creates a uniquely named schema and drops it at cleanup.
func FreshSchema(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	return schema
}

// WithSearchPath adds search_path=schema to a postgres:// DSN.
func WithSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return dsn + " search_path=" + schema
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// FreshDatabase creates a migrated database for several servers to share
// (the nodes of one deployment); see testdb.FreshDatabase.
func FreshDatabase(t testing.TB, dsn string) string { return testdb.FreshDatabase(t, dsn) }
