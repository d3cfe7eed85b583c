package main

// End-to-end tests of the real binary: built once, started as a process
// with "parley serve" on a random port, driven with the client, killed
// with SIGKILL or stopped with SIGTERM.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

const (
	e2eAlice = "+14155550101"
	e2eBob   = "+14155550102"
)

// TestBinary builds the parley command once and runs the process-level
// tests against it.
func TestBinary(t *testing.T) {
	bin := buildParley(t)
	t.Run("kill -9/sqlite", func(t *testing.T) {
		t.Parallel()
		testKill9(t, bin)
	})
	t.Run("kill -9/postgres", func(t *testing.T) {
		t.Parallel()
		dsn := servertest.PostgresDSN(t)
		testKill9(t, bin, "--postgres", servertest.FreshDatabase(t, dsn))
	})
	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		testCluster(t, bin)
	})
	t.Run("sigterm", func(t *testing.T) {
		t.Parallel()
		testSIGTERM(t, bin)
	})
	t.Run("backup under load/sqlite", func(t *testing.T) {
		t.Parallel()
		testBackupUnderLoad(t, bin)
	})
}

// buildParley builds this package into a temporary directory. It builds
// with -race when the tests do, so that it reuses their compiled packages.
func buildParley(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "parley")
	args := []string{"build", "-o", bin}
	if raceBuild {
		args = append(args, "-race")
	}
	out, err := exec.Command(gobin, append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a running "parley serve" whose text log the test reads.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited

	mu       sync.Mutex
	log      bytes.Buffer
	addr     string
	codes    map[string]string // last one-time code by phone
	stopping bool              // it logged "shutting down"
	err      error             // Wait's result, once exited
}

// logAttr matches one key=value of slog's text format.
var logAttr = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S*)`)

// startParley starts the binary with args and kills it when the test ends.
func startParley(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	// Only the flags configure it; under -race, exit without the wait
	// for reports.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") && !strings.HasPrefix(kv, "GORACE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start parley: %v", err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{}), codes: map[string]string{}}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			p.line(sc.Text())
		}
		_, _ = io.Copy(io.Discard, stderr)
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			p.mu.Lock()
			t.Logf("parley %s log:\n%s", strings.Join(args, " "), p.log.String())
			p.mu.Unlock()
		}
	})
	return p
}

func (p *proc) line(s string) {
	attrs := map[string]string{}
	for _, m := range logAttr.FindAllStringSubmatch(s, -1) {
		v := m[2]
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		attrs[m[1]] = v
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log.WriteString(s + "\n")
	switch attrs["msg"] {
	case "parley serving":
		p.addr = attrs["addr"]
	case "one-time code":
		p.codes[attrs["phone"]] = attrs["code"]
	case "shutting down":
		p.stopping = true
	}
}

// until polls cond (which runs under p.mu) until it holds, failing the
// test if the process exits first or 60 s pass (a -race binary migrating
// PostgreSQL under a loaded CI machine is slow).
func (p *proc) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ok := testutil.Within(60*time.Second, func() bool {
		p.mu.Lock()
		ok := cond()
		p.mu.Unlock()
		select {
		case <-p.exited:
			if !ok {
				t.Fatalf("parley exited (%v) while waiting for %s", p.err, what)
			}
		default:
		}
		return ok
	})
	if !ok {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// url waits until the server is listening and returns its base URL.
func (p *proc) url(t *testing.T) string {
	t.Helper()
	p.until(t, "the server to listen", func() bool { return p.addr != "" })
	url := "http://" + p.addr
	if !testutil.Within(60*time.Second, func() bool { return client.New(url).Ready(context.Background()) == nil }) {
		t.Fatal("the server never became ready")
	}
	return url
}

// login registers phone (reading the code from the log) and returns a
// client holding the new device's token.
func (p *proc) login(t *testing.T, url, phone string) (*client.Client, client.Session) {
	t.Helper()
	ctx := context.Background()
	p.mu.Lock()
	delete(p.codes, phone)
	p.mu.Unlock()
	c := client.New(url)
	if err := c.RequestCode(ctx, phone); err != nil {
		t.Fatalf("request code for %s: %v", phone, err)
	}
	var code string
	p.until(t, "the code for "+phone, func() bool { code = p.codes[phone]; return code != "" })
	s, err := c.Verify(ctx, phone, code, "phone", nil)
	if err != nil {
		t.Fatalf("verify %s: %v", phone, err)
	}
	return c, s
}

// wait waits up to 20 s for the process to exit and returns Wait's error.
func (p *proc) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("parley did not exit")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// inboxCounts returns how often each message id is in c's inbox.
func inboxCounts(t *testing.T, c *client.Client) map[string]int {
	t.Helper()
	counts := map[string]int{}
	var after int64
	for {
		es, err := c.Pending(context.Background(), after, 1000)
		if err != nil {
			t.Fatalf("pending: %v", err)
		}
		for _, e := range es {
			if e.Type == chatpkg.EntryMessage && e.Kind == chatpkg.KindMessage {
				counts[e.MessageID]++
			}
		}
		if len(es) < 1000 {
			return counts
		}
		after = es[len(es)-1].ID
	}
}

// testKill9 sends messages from several goroutines, kills the server
// mid-stream, restarts it on the same data and checks that every
// acknowledged message is there once, and that retrying the others with
// their ids commits each exactly once.
func testKill9(t *testing.T, bin string, extra ...string) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", t.TempDir(), "--log-format", "text"}, extra...)
	p := startParley(t, bin, args...)
	url := p.url(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice, bob, chat, devs := p.directChat(ctx, t, url)
	send := func(c *client.Client, id string) (wire.SendResult, error) {
		envs := make([]wire.Envelope, len(devs))
		for i, d := range devs {
			envs[i] = wire.Envelope{DeviceID: d.DeviceID, Body: []byte("ciphertext of " + id)}
		}
		return c.Send(ctx, chat.ID, client.SendRequest{MessageID: id, Envelopes: envs})
	}

	var (
		mu      sync.Mutex
		acked   = map[string]int64{} // message id → seq
		unacked []string             // sent, but no answer
		apiErrs []error              // answers that were errors
	)
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("w%d-%05d", w, i)
				res, err := send(alice, id)
				mu.Lock()
				var apiErr *client.Error
				switch {
				case err == nil:
					acked[id] = res.Seq
				case errors.As(err, &apiErr):
					apiErrs = append(apiErrs, err)
				default:
					unacked = append(unacked, id)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	const minAcked = 200
	p.until(t, fmt.Sprint(minAcked, " acknowledged sends"), func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= minAcked || len(apiErrs) > 0
	})
	p.signal(t, syscall.SIGKILL)
	if err := p.wait(t); err == nil {
		t.Fatal("parley exited cleanly after SIGKILL")
	}
	wg.Wait()
	if len(apiErrs) > 0 {
		t.Fatalf("sends failed with %d answers from the server, such as %v", len(apiErrs), apiErrs[0])
	}
	t.Logf("%d sends acknowledged, %d unanswered when the server was killed", len(acked), len(unacked))

	// Back up on the same data. The retries get a clock of their own: on a
	// loaded machine the first phase may have used most of its 30 s.
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p = startParley(t, bin, args...)
	url = p.url(t)
	alice = client.New(url, client.WithToken(alice.Token()))
	bob = client.New(url, client.WithToken(bob.Token()))
	got := inboxCounts(t, bob)
	for id := range acked {
		if got[id] != 1 {
			t.Errorf("acknowledged message %s is in bob's inbox %d times, want 1", id, got[id])
		}
	}
	// The unanswered may or may not have been committed; retrying each
	// with its id commits it exactly once.
	for _, id := range unacked {
		if _, err := send(alice, id); err != nil {
			t.Fatalf("retry %s: %v", id, err)
		}
	}
	for id, seq := range acked {
		res, err := send(alice, id)
		if err != nil {
			t.Fatalf("retry of acknowledged %s: %v", id, err)
		}
		if !res.Duplicate || res.Seq != seq {
			t.Errorf("retry of acknowledged %s: got duplicate %v seq %d, want duplicate seq %d", id, res.Duplicate, res.Seq, seq)
		}
	}
	got = inboxCounts(t, bob)
	if want := len(acked) + len(unacked); len(got) != want {
		t.Errorf("bob's inbox holds %d messages, want %d", len(got), want)
	}
	for _, id := range append(slices.Collect(maps.Keys(acked)), unacked...) {
		if got[id] != 1 {
			t.Errorf("message %s is in bob's inbox %d times after the retries, want 1", id, got[id])
		}
	}

	p.signal(t, syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Errorf("after SIGTERM parley exited with %v, want success", err)
	}
}

// testSIGTERM stops the server while a request is in flight and a device
// is connected: the request completes, the socket is told to reconnect and
// closed with 1012, and the process exits 0.
func testSIGTERM(t *testing.T, bin string) {
	p := startParley(t, bin, "serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data", t.TempDir(), "--log-format", "text")
	url := p.url(t)
	alice, _ := p.login(t, url, e2eAlice)
	bob, bobSess := p.login(t, url, e2eBob)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	chat, err := alice.OpenDirect(ctx, bobSess.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := bob.Connect(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for {
		ev, err := conn.Next(ctx)
		if err != nil {
			t.Fatalf("read backlog: %v", err)
		}
		if ev.Type == wire.EventReady {
			break
		}
	}

	// An upload whose body is still coming when the signal arrives.
	head := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 1024)...)
	rest := bytes.Repeat([]byte{0xAB}, 32<<10)
	pr, pw := io.Pipe()
	uploader := client.New(url, client.WithToken(alice.Token()), client.WithHTTPClient(&http.Client{Transport: &http.Transport{}}))
	type result struct {
		m   client.Media
		err error
	}
	uploaded := make(chan result, 1)
	go func() {
		m, err := uploader.UploadMedia(ctx, chat.ID, "image/png", pr)
		uploaded <- result{m, err}
	}()
	if _, err := pw.Write(head); err != nil {
		t.Fatal(err)
	}
	// A request on a newer connection is answered only once the upload's
	// connection has been accepted (the server accepts in order).
	fresh := client.New(url, client.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
	if err := fresh.Health(ctx); err != nil {
		t.Fatal(err)
	}

	p.signal(t, syscall.SIGTERM)
	p.until(t, "shutting down", func() bool { return p.stopping })
	if _, err := pw.Write(rest); err != nil {
		t.Fatalf("write the rest of the upload: %v", err)
	}
	pw.Close()
	r := <-uploaded
	if r.err != nil {
		t.Fatalf("the in-flight upload failed: %v", r.err)
	}
	if want := int64(len(head) + len(rest)); r.m.Size != want {
		t.Errorf("the upload stored %d bytes, want %d", r.m.Size, want)
	}

	ev, err := conn.Next(ctx)
	if err != nil || ev.Type != wire.EventReconnect {
		t.Fatalf("the socket got %+v (%v), want a reconnect event", ev, err)
	}
	_, err = conn.Next(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusServiceRestart {
		t.Fatalf("the socket ended with %v (status %d), want close status %d", err, got, websocket.StatusServiceRestart)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("after SIGTERM parley exited with %v, want success", err)
	}
	// New connections are refused once it is gone.
	if err := fresh.Health(ctx); err == nil {
		t.Error("the server still answers after exiting")
	}
}

// directChat logs Alice and Bob in on p and opens their 1:1 chat. It
// returns both clients, the chat, and the devices a message from Alice
// must carry an envelope for.
func (p *proc) directChat(ctx context.Context, t *testing.T, url string) (alice, bob *client.Client, chat wire.ChatView, devs []wire.RecipientDevice) {
	t.Helper()
	alice, _ = p.login(t, url, e2eAlice)
	bob, bobSess := p.login(t, url, e2eBob)
	chat, err := alice.OpenDirect(ctx, bobSess.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if devs, err = alice.RecipientDevices(ctx, chat.ID); err != nil {
		t.Fatal(err)
	}
	return alice, bob, chat, devs
}
