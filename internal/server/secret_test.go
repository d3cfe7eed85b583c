package server_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

// Nodes that share a database must share their secret: a login code
// requested on one node has to verify on another. A node started with
// another secret refuses to start and says why; the same secret starts.
func TestNodesAgreeOnTheirSecret(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		testNodesAgreeOnTheirSecret(t, func(o *server.Options) { o.DataDir = dir })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := servertest.FreshDatabase(t, servertest.PostgresDSN(t))
		testNodesAgreeOnTheirSecret(t, func(o *server.Options) { o.PostgresDSN = dsn })
	})
}

func testNodesAgreeOnTheirSecret(t *testing.T, shared func(*server.Options)) {
	first := servertest.Start(t, servertest.WithOptions(shared),
		servertest.WithOptions(func(o *server.Options) { o.Secret = []byte("the first node's secret, 32 bytes or more") }))
	o := first.Opts
	o.Addr, o.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	o.Logger = slog.New(slog.DiscardHandler)
	o.Secret = []byte("another secret, also 32 bytes or more long")
	if srv, err := server.Start(context.Background(), o); !errors.Is(err, server.ErrSecretMismatch) {
		if err == nil {
			_ = srv.Shutdown(context.Background())
		}
		t.Fatalf("a node with another secret: got %v, want ErrSecretMismatch", err)
	}
	o.Secret = first.Opts.Secret
	srv, err := server.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("a node with the same secret: %v", err)
	}
	_ = srv.Shutdown(context.Background())
}
