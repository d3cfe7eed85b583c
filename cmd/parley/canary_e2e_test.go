package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/wire"
)

// The canary test (docs/E2EE.md, docs/SECURITY.md): people send messages
// holding a unique marker from the CLI and the Go client, in a 1:1 chat
// and a group, with a photo; then neither the marker nor the photo's
// bytes may appear anywhere the server keeps things: its data folder
// (the SQLite database, its WAL, the blobs, the secret), the PostgreSQL
// tables, the server's log (at debug level) and everything published on
// NATS. A plaintext client then sends a control marker, which the same
// search must find: the search can fail.
//
// With PARLEY_TEST_NATS the bus is that server and the test listens to
// every subject of the deployment; with PARLEY_TEST_POSTGRES the
// PostgreSQL variant runs too.
func TestCanarySQLite(t *testing.T) { testCanary(t, false) }

func TestCanaryPostgres(t *testing.T) {
	servertest.PostgresDSN(t) // skips without PARLEY_TEST_POSTGRES
	testCanary(t, true)
}

// forms returns the ways a secret could sit in storage: raw, hex, and
// base64 at each of the three alignments (the edges cut off).
func forms(secret []byte) [][]byte {
	out := [][]byte{secret, []byte(hex.EncodeToString(secret)), []byte(strings.ToUpper(hex.EncodeToString(secret)))}
	for pad := range 3 {
		b := base64.StdEncoding.EncodeToString(append(make([]byte, pad), secret...))
		start := (pad*4 + 2) / 3
		out = append(out, []byte(b[start+1:len(b)-4]))
	}
	return out
}

// leaks returns where a form of secret occurs among the named blobs.
func leaks(secret []byte, blobs map[string][]byte) []string {
	var where []string
	for name, b := range blobs {
		for _, f := range forms(secret) {
			if bytes.Contains(b, f) {
				where = append(where, name)
				break
			}
		}
	}
	return where
}

// syncLog is a log sink safe for the server's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

func testCanary(t *testing.T, postgres bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	logs := &syncLog{}
	opts := []servertest.Option{
		servertest.WithConfig(chatpkg.Config{CodeResend: time.Millisecond}),
		servertest.WithOptions(func(o *server.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}),
	}
	var schema, dsn string
	if postgres {
		dsn = servertest.PostgresDSN(t)
		schema = servertest.FreshSchema(t, dsn)
		opts = append(opts, servertest.WithOptions(func(o *server.Options) { o.PostgresDSN = servertest.WithSearchPath(dsn, schema) }))
	}
	// Everything published on the bus.
	var bus syncLog
	if url := os.Getenv("PARLEY_TEST_NATS"); url != "" {
		natsOpt := servertest.WithExternalNATS(url)
		opts = append(opts, natsOpt)
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		sub, err := nc.Subscribe(">", func(m *nats.Msg) {
			fmt.Fprintf(&bus, "%s %s\n", m.Subject, m.Data)
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		_ = nc.Flush()
	} else {
		t.Log("PARLEY_TEST_NATS is not set: the embedded bus is not searched")
	}
	srv := servertest.Start(t, opts...)

	marker := []byte(fmt.Sprintf("CANARY-%d-7f3a9c", time.Now().UnixNano()))
	photo := append([]byte("PHOTO-"), bytes.Repeat(marker, 40)...)

	// The Go client: Alice, Bob and Carol, encrypting.
	secure := func(phone string) *client.Client {
		c := client.New(srv.URL)
		if err := c.RequestCode(ctx, phone); err != nil {
			t.Fatal(err)
		}
		s, err := c.Verify(ctx, phone, srv.Code(phone), "phone", nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := e2ee.NewDevice(s.AccountID, s.DeviceID)
		if err != nil {
			t.Fatal(err)
		}
		c.UseE2EE(d)
		if err := c.SetupE2EE(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	alice, bob, carol := secure("+14155550101"), secure("+14155550102"), secure("+14155550103")
	dm, err := alice.OpenDirect(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	g, err := alice.CreateGroup(ctx, "Canaries", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	text := "go client: " + string(marker)
	for _, chat := range []int64{dm.ID, g.ID} {
		if _, err := alice.SendText(ctx, chat, text); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := alice.SendMedia(ctx, g.ID, "image/png", photo, string(marker)); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SendText(ctx, g.ID, "bob: "+string(marker)); err != nil {
		t.Fatal(err)
	}

	// The CLI: Dave and Erin, with their own profiles.
	home := t.TempDir()
	cliRun := func(profile string, args ...string) string {
		t.Helper()
		getenv := envFunc(map[string]string{"PARLEY_SERVER": srv.URL, "PARLEY_HOME": home, "PARLEY_PROFILE": profile})
		var out bytes.Buffer
		if err := runCLI(ctx, args, getenv, strings.NewReader(""), &out, &out); err != nil {
			t.Fatalf("parley %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	for _, p := range []struct{ name, phone string }{{"dave", "+14155550104"}, {"erin", "+14155550105"}} {
		cliRun(p.name, "login", "--phone", p.phone, "--request-only")
		cliRun(p.name, "login", "--phone", p.phone, "--code", srv.Code(p.phone))
	}
	cliRun("dave", "chat", "open", "5")
	cliRun("dave", "send", "3", "cli: "+string(marker))
	cliRun("dave", "group", "create", "--subject", "Nest", "5", "1")
	cliRun("dave", "send", "4", "cli group: "+string(marker))

	// The messages arrive readable where they should. Carol's and
	// Alice's copies stay queued (not acked), so the server still holds
	// their envelopes while it is searched.
	if out := cliRun("erin", "inbox"); strings.Count(out, string(marker)) != 2 {
		t.Fatalf("erin's inbox: got %q, want the marker twice", out)
	}
	es, err := carol.Pending(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var read int
	for _, e := range es {
		if e.Type != wire.EntryMessage || e.Kind == wire.KindSystem {
			continue
		}
		b, err := carol.OpenBody(ctx, e)
		if err != nil {
			t.Fatalf("carol opens entry %d: %v", e.ID, err)
		}
		if strings.Contains(b.Text, string(marker)) {
			read++
		}
		if b.MediaKey != "" {
			got, err := carol.OpenMedia(ctx, b)
			if err != nil || !bytes.Equal(got, photo) {
				t.Fatalf("carol opens the photo: %d bytes, %v", len(got), err)
			}
		}
	}
	if read != 3 {
		t.Fatalf("carol read the marker in %d messages, want 3", read)
	}

	search := func(secret []byte) []string {
		t.Helper()
		blobs := map[string][]byte{"server log": logs.Bytes(), "nats": bus.Bytes()}
		err := filepath.WalkDir(srv.Opts.DataDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			blobs["file "+strings.TrimPrefix(path, srv.Opts.DataDir)] = b
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if postgres {
			for name, b := range dumpSchema(t, dsn, schema) {
				blobs["postgres table "+name] = b
			}
		}
		return leaks(secret, blobs)
	}
	time.Sleep(100 * time.Millisecond) // let the bus subscriber drain
	if where := search(marker); len(where) > 0 {
		t.Errorf("the marker is stored in the clear in: %v", where)
	}
	if where := search(photo[:64]); len(where) > 0 {
		t.Errorf("the photo's bytes are stored in the clear in: %v", where)
	}

	// The control: a client without end-to-end encryption leaks, and the
	// search sees it.
	control := []byte(fmt.Sprintf("CONTROL-%d-plain", time.Now().UnixNano()))
	plain := client.New(srv.URL)
	if err := plain.RequestCode(ctx, "+14155550106"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Verify(ctx, "+14155550106", srv.Code("+14155550106"), "bot", nil); err != nil {
		t.Fatal(err)
	}
	pdm, err := plain.OpenDirect(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.SendText(ctx, pdm.ID, string(control)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if where := search(control); len(where) == 0 {
		t.Error("the control marker, sent in plaintext, was found nowhere: the search is blind")
	} else {
		t.Logf("control marker found in %v", where)
	}
}

// dumpSchema returns every row of every table of the schema as text.
func dumpSchema(t *testing.T, dsn, schema string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, tb := range tables {
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %s.%s t`, pgx.Identifier{schema}.Sanitize(), pgx.Identifier{tb}.Sanitize()))
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		out[tb] = []byte(strings.Join(lines, "\n"))
	}
	return out
}
