package server_test

// Fault injection: a dependency fails while people send, and afterwards
// every send the server acknowledged is in the recipient's inbox exactly
// once, and the server works again without being restarted. The kill -9
// and webhook-outage cases are in cmd/parley and internal/cloudapi; here:
// PostgreSQL restarted mid-load (a throwaway instance this test starts
// with initdb and pg_ctl, never the shared one), the external NATS server
// restarted mid-load (a throwaway nats-server), and the disk filling up
// under SQLite (a small tmpfs, which needs root). See docs/SECURITY.md,
// "Fault injection".

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/wire"

	_ "modernc.org/sqlite" // integrity_check on the filled database
)

// The fast variant runs in CI; the long one is asked for with flags
// (docs/SECURITY.md, "Fault injection"):
//
//	go test ./internal/server -run TestFault -fault-rounds 5 -fault-load 10 -timeout 30m
var (
	faultRounds = flag.Int("fault-rounds", 1, "fault tests: how many times PostgreSQL and NATS are restarted under load")
	faultLoad   = flag.Int("fault-load", 1, "fault tests: multiplies the acknowledged sends awaited around each fault")
)

// sendLoad is people sending to one chat from several goroutines until
// stopped, keeping the ids of the sends the server acknowledged.
type sendLoad struct {
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	acked  []string
	failed map[string]int // error code (or transport error) → count
}

func startLoad(c *client.Client, chatID int64, senders int, text string) *sendLoad {
	l := &sendLoad{stop: make(chan struct{}), failed: map[string]int{}}
	for range senders {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				id := client.NewMessageID()
				_, err := c.SendBody(ctx, chatID, id, wire.KindMessage, "", client.Body{Text: text})
				cancel()
				l.mu.Lock()
				if err == nil {
					l.acked = append(l.acked, id)
				} else {
					code := client.ErrorCode(err)
					if code == "" {
						code = "transport"
					}
					if code != "unavailable" {
						code += " (" + err.Error() + ")"
					}
					l.failed[code]++
				}
				l.mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

// count returns how many sends were acknowledged so far.
func (l *sendLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitFor waits until n more sends than now are acknowledged.
func (l *sendLoad) waitFor(t *testing.T, what string, n int, within time.Duration) {
	t.Helper()
	want := l.count() + n
	deadline := time.Now().Add(within)
	for l.count() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d sends acknowledged in %v, want %d more (failures: %v)", what, l.count()-want+n, within, n, l.failures())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *sendLoad) failures() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.failed {
		out[k] = v
	}
	return out
}

// finish stops the load and returns the acknowledged ids.
func (l *sendLoad) finish() []string {
	close(l.stop)
	l.wg.Wait()
	return l.acked
}

// checkInbox checks that every acknowledged id is in c's inbox exactly
// once, and that no message is there twice.
func checkInbox(t *testing.T, c *client.Client, acked []string) {
	t.Helper()
	counts := map[string]int{}
	var after int64
	for {
		es, err := c.Pending(context.Background(), after, 1000)
		if err != nil {
			t.Fatalf("pending: %v", err)
		}
		for _, e := range es {
			if e.Type == chat.EntryMessage && e.Kind == chat.KindMessage {
				counts[e.MessageID]++
			}
			after = e.ID
		}
		if len(es) < 1000 {
			break
		}
	}
	lost := 0
	for _, id := range acked {
		if counts[id] != 1 {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged message %s is in the inbox %d times, want once", id, counts[id])
			}
		}
	}
	for id, n := range counts {
		if n > 1 {
			t.Errorf("message %s is in the inbox %d times", id, n)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged messages lost", lost, len(acked))
	}
	t.Logf("%d sends acknowledged, all in the inbox once; %d messages in the inbox", len(acked), len(counts))
}

// pair logs in a sender and a recipient and opens their chat.
func pair(t *testing.T, srv *servertest.Server) (alice, bob person, chatID int64) {
	t.Helper()
	alice, bob = login(t, srv, "+14155550171"), login(t, srv, "+14155550172")
	ch, err := alice.c.OpenDirect(context.Background(), bob.AccountID)
	if err != nil {
		t.Fatalf("open chat: %v", err)
	}
	return alice, bob, ch.ID
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tempPostgres is a PostgreSQL instance of this test's own, in a
// temporary directory, on a free port.
type tempPostgres struct {
	bin, dir string
	port     int
	cred     *syscall.Credential // run as this user (initdb refuses root)
}

// startTempPostgres starts a throwaway PostgreSQL with the binaries of
// /usr/lib/postgresql/*/bin. Without them the test is skipped, unless
// PARLEY_TEST_POSTGRES is set: a machine that runs the PostgreSQL tests
// must be able to run this one too.
func startTempPostgres(t *testing.T) *tempPostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("PARLEY_TEST_POSTGRES") != "" {
			t.Fatal("PARLEY_TEST_POSTGRES is set but /usr/lib/postgresql/*/bin/initdb is missing: install postgresql")
		}
		t.Skip("no /usr/lib/postgresql/*/bin/initdb and PARLEY_TEST_POSTGRES is not set")
	}
	sort.Strings(bins)
	pg := &tempPostgres{bin: filepath.Dir(bins[len(bins)-1]), port: freePort(t)}
	dir, err := os.MkdirTemp("", "parley-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pg.dir = filepath.Join(dir, "data")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	pg.run(t, "initdb", "-D", pg.dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	pg.start(t)
	t.Cleanup(func() { _ = pg.ctl("stop", "-m", "immediate") })
	return pg
}

func (pg *tempPostgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(pg.bin, name), args...)
	if pg.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	}
	return cmd
}

func (pg *tempPostgres) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := pg.command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func (pg *tempPostgres) ctl(args ...string) error {
	args = append([]string{"-D", pg.dir, "-w", "-t", "60"}, args...)
	out, err := pg.command("pg_ctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (pg *tempPostgres) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", pg.port, filepath.Dir(pg.dir))
	if err := pg.ctl("-l", filepath.Join(filepath.Dir(pg.dir), "log"), "-o", opts, "start"); err != nil {
		t.Fatal(err)
	}
}

func (pg *tempPostgres) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

// TestFaultPostgresRestart: PostgreSQL stops dead (pg_ctl stop -m
// immediate: no checkpoint, recovery from the WAL at start) while two
// people send without pause, and comes back 1 s later. Sends fail
// meanwhile, with a clear error; afterwards they succeed again on the
// same server (its pool reconnects by itself), and every acknowledged
// send is in the inbox once.
func TestFaultPostgresRestart(t *testing.T) {
	pg := startTempPostgres(t)
	srv := servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}),
		servertest.WithOptions(func(o *server.Options) { o.PostgresDSN = pg.dsn() }))
	alice, bob, chatID := pair(t, srv)
	load := startLoad(alice.c, chatID, 4, "under a restart")
	load.waitFor(t, "before the restart", 20, 30*time.Second)

	for round := range *faultRounds {
		if err := pg.ctl("stop", "-m", "immediate"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if status, _, body := call(t, srv, "GET", "/readyz", "", "", nil); status != 503 {
			t.Errorf("round %d: /readyz with the database down: got %d %s, want 503", round+1, status, body)
		}
		pg.start(t)
		load.waitFor(t, fmt.Sprintf("round %d: after the restart", round+1), 20*(*faultLoad), 60*time.Second*time.Duration(*faultLoad))
	}
	acked := load.finish()
	failed := load.failures()
	t.Logf("failures while the database was down: %v", failed)
	for code := range failed {
		if code != "unavailable" && !strings.HasPrefix(code, "transport") {
			t.Errorf("a send failed with %q while the database was down, want only unavailable (503)", code)
		}
	}
	if status, _, body := call(t, srv, "GET", "/readyz", "", "", nil); status != 200 {
		t.Errorf("/readyz after the restart: got %d %s, want 200", status, body)
	}
	checkInbox(t, bob.c, acked)
}

// tempNATS is a nats-server process of this test's own, on a free port.
type tempNATS struct {
	bin  string
	port int
	cmd  *exec.Cmd
}

// startTempNATS starts a throwaway nats-server (the apt package installs
// it at /usr/sbin/nats-server), or skips the test without one, unless
// PARLEY_TEST_NATS is set: a machine that runs the external NATS tests
// must be able to run this one too.
func startTempNATS(t *testing.T) *tempNATS {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		bin = "/usr/sbin/nats-server"
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("PARLEY_TEST_NATS") != "" {
			t.Fatal("PARLEY_TEST_NATS is set but no nats-server binary is installed: install nats-server")
		}
		t.Skip("no nats-server binary and PARLEY_TEST_NATS is not set")
	}
	n := &tempNATS{bin: bin, port: freePort(t)}
	n.start(t)
	t.Cleanup(func() { n.kill() })
	return n
}

func (n *tempNATS) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

func (n *tempNATS) start(t *testing.T) {
	t.Helper()
	n.cmd = exec.Command(n.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(n.port))
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not listen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill stops the server dead (SIGKILL) and waits for it.
func (n *tempNATS) kill() {
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Kill()
		_ = n.cmd.Wait()
		n.cmd = nil
	}
}

// TestFaultNATSRestart: the external NATS server is killed while two
// people send, and started again 2 s later on the same port. The bus is
// fire-and-forget (docs/ARCHITECTURE.md): sends keep being acknowledged
// while it is down, since the database holds them; the recipient, online
// all along on a WebSocket, receives every acknowledged message once the
// bus is back (live, or by replay after its session is dropped), and the
// inbox holds each once. Runs on SQLite and, when PARLEY_TEST_POSTGRES is
// set, on PostgreSQL.
func TestFaultNATSRestart(t *testing.T) {
	stores := map[string]func(t *testing.T) []servertest.Option{
		"sqlite": func(t *testing.T) []servertest.Option { return nil },
		"postgres": func(t *testing.T) []servertest.Option {
			return []servertest.Option{servertest.WithPostgres(t, servertest.PostgresDSN(t))}
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			opts := stores[name](t)
			nats := startTempNATS(t)
			opts = append(opts, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}), servertest.WithExternalNATS(nats.url()))
			srv := servertest.Start(t, opts...)
			alice, bob, chatID := pair(t, srv)

			// Bob online, collecting what reaches his socket.
			var mu sync.Mutex
			got := map[string]int{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- bob.c.Stream(ctx, 0, func(ev wire.Event) error {
					if ev.Entry != nil && ev.Entry.Type == chat.EntryMessage && ev.Entry.Kind == chat.KindMessage {
						mu.Lock()
						got[ev.Entry.MessageID]++
						mu.Unlock()
					}
					return nil
				}, client.StreamBackoff(50*time.Millisecond, 500*time.Millisecond))
			}()
			defer func() { cancel(); <-done }()

			load := startLoad(alice.c, chatID, 2, "under a bus restart")
			load.waitFor(t, "before the restart", 20, 30*time.Second)
			for round := range *faultRounds {
				nats.kill()
				load.waitFor(t, fmt.Sprintf("round %d: while the bus is down", round+1), 10*(*faultLoad), 30*time.Second*time.Duration(*faultLoad))
				time.Sleep(2 * time.Second)
				nats.start(t)
				load.waitFor(t, fmt.Sprintf("round %d: after the restart", round+1), 20*(*faultLoad), 30*time.Second*time.Duration(*faultLoad))
			}
			acked := load.finish()
			if failed := load.failures(); len(failed) > 0 {
				t.Errorf("sends failed: %v, want none: the bus is not needed to accept a message", failed)
			}

			// Every acknowledged message reaches Bob's socket.
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				missing := 0
				for _, id := range acked {
					if got[id] == 0 {
						missing++
					}
				}
				mu.Unlock()
				if missing == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d acknowledged messages never reached the online recipient", missing, len(acked))
				}
				time.Sleep(50 * time.Millisecond)
			}
			mu.Lock()
			for id, n := range got {
				if n > 1 {
					t.Errorf("message %s reached the recipient %d times", id, n)
				}
			}
			mu.Unlock()
			t.Logf("%d sends acknowledged, each delivered live once", len(acked))
		})
	}
}

// mountSmallTmpfs mounts a tmpfs of size bytes at a new directory, or
// skips the test where mounting is not allowed (it needs root, or
// CAP_SYS_ADMIN). resize changes its size in place.
func mountSmallTmpfs(t *testing.T, size int64) (dir string, resize func(size int64)) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	opt := func(size int64) string { return fmt.Sprintf("size=%d,mode=0700", size) }
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opt(size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir, func(size int64) {
		if out, err := exec.Command("mount", "-o", "remount,"+opt(size), dir).CombinedOutput(); err != nil {
			t.Fatalf("resize tmpfs: %v %s", err, out)
		}
	}
}

// TestFaultDiskFullSQLite: the data directory (database, WAL, media) is
// an 8 MiB tmpfs that two people fill with messages. Once it is full,
// sends fail with a clear error (503 unavailable, "storage is full"), not
// a 500; when space returns the same server takes sends again; every
// acknowledged send is in the inbox once; and the database passes
// SQLite's integrity check.
func TestFaultDiskFullSQLite(t *testing.T) {
	dir, resize := mountSmallTmpfs(t, 8<<20)
	srv := servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}), servertest.WithDataDir(dir))
	alice, bob, chatID := pair(t, srv)
	load := startLoad(alice.c, chatID, 2, strings.Repeat("full ", 1600)) // 8 KB a message

	// Fill it: wait until sends keep failing.
	deadline := time.Now().Add(90 * time.Second)
	for {
		f := load.failures()
		n := 0
		for _, c := range f {
			n += c
		}
		if n >= 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the disk never filled: %d sends acknowledged", load.count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	full := load.failures()
	t.Logf("disk full after %d sends; failures: %v", load.count(), full)
	for code := range full {
		if code != "unavailable" {
			t.Errorf("a send failed with %q on a full disk, want unavailable (503)", code)
		}
	}
	// An upload on the full disk is refused the same way.
	if _, err := alice.c.UploadMedia(context.Background(), chatID, "image/png", strings.NewReader(string(pngBytes)+strings.Repeat("\x00", 1<<20))); client.ErrorCode(err) != "unavailable" {
		t.Errorf("upload on a full disk: got %v, want unavailable", err)
	}
	// Space returns: the same server takes sends again.
	resize(64 << 20)
	load.waitFor(t, "after space returned", 20*(*faultLoad), 60*time.Second*time.Duration(*faultLoad))
	acked := load.finish()
	checkInbox(t, bob.c, acked)

	// No corruption.
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check: got %q, %v, want ok", res, err)
	}
}
