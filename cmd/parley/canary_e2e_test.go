package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/parleyhq/parley/internal/canary"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
// and a group, with a photo (and a CLI's key backup and the history it
// sends a new device hold it too); then neither the marker nor the photo's
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
	// Erin's history now holds the marker: her key backup, and the
	// history her phone sends her new laptop (left queued there), must
	// hold it only sealed.
	cliRun("erin", "backup-keys", "enable")
	cliRun("erin-laptop", "login", "--phone", "+14155550105", "--request-only")
	cliRun("erin-laptop", "login", "--phone", "+14155550105", "--code", srv.Code("+14155550105"))
	if out := cliRun("erin", "devices", "approve", "6"); !strings.Contains(out, "sent 2 messages of history to device 6") {
		t.Fatalf("erin approves her laptop: got %q, want her history sent", out)
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
			for name, b := range canary.DumpSchema(t, dsn, schema) {
				blobs["postgres table "+name] = b
			}
		}
		return canary.Leaks(secret, blobs)
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
