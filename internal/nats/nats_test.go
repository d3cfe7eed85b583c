package nats

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wait = 5 * time.Second

// openEmbedded opens a Bus on an embedded server in a fresh directory and
// closes it when the test ends.
func openEmbedded(tb testing.TB, opts Options) *Bus {
	tb.Helper()
	if opts.DataDir == "" {
		opts.DataDir = tb.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b, err := Open(ctx, opts, testLogger(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return b
}

// testLogger logs to the test's output, where it shows when a test fails
// or with -v; everything, the embedded server's lines included, for tests,
// and only warnings for benchmarks, whose output always shows.
func testLogger(tb testing.TB) *slog.Logger {
	level := slog.LevelDebug
	if _, ok := tb.(*testing.B); ok {
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: level}))
}

// token returns a random string that keeps subjects and stream names of
// one test apart from anything else on a shared server.
func token(tb testing.TB) string {
	tb.Helper()
	p := make([]byte, 6)
	if _, err := rand.Read(p); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(p)
}

type msg struct {
	subject string
	data    []byte
}

// subscribe subscribes to subject and returns the channel that receives
// its messages.
func subscribe(tb testing.TB, b chat.Bus, subject string) (<-chan msg, func() error) {
	tb.Helper()
	ch := make(chan msg, 1024)
	unsub, err := b.Subscribe(subject, func(s string, d []byte) { ch <- msg{s, d} })
	if err != nil {
		tb.Fatalf("Subscribe(%q): %v", subject, err)
	}
	tb.Cleanup(func() { _ = unsub() })
	return ch, unsub
}

func publish(tb testing.TB, b chat.Bus, subject, data string) {
	tb.Helper()
	if err := b.Publish(subject, []byte(data)); err != nil {
		tb.Fatalf("Publish(%q): %v", subject, err)
	}
}

func recv(tb testing.TB, ch <-chan msg) msg {
	tb.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(wait):
		tb.Fatal("no message within", wait)
		return msg{}
	}
}

// flusher is what Bus offers beyond parley.Bus; the conformance suite uses
// it, when present, to make sure a subscription is known to the server
// before it publishes.
type flusher interface{ Flush(context.Context) error }

func flush(tb testing.TB, b chat.Bus) {
	tb.Helper()
	if f, ok := b.(flusher); ok {
		if err := f.Flush(context.Background()); err != nil {
			tb.Fatalf("Flush: %v", err)
		}
	}
}

// busConformance is the behaviour every parley.Bus must have. Subjects
// are unique to the run, so b may be a server other tests share.
func busConformance(t *testing.T, b chat.Bus) {
	prefix := "parley.test." + token(t)

	t.Run("RoundTrip", func(t *testing.T) {
		ch, _ := subscribe(t, b, prefix+".rt")
		flush(t, b)
		publish(t, b, prefix+".rt", "hello")
		m := recv(t, ch)
		if m.subject != prefix+".rt" || string(m.data) != "hello" {
			t.Errorf("got %q %q, want %q %q", m.subject, m.data, prefix+".rt", "hello")
		}
	})

	t.Run("EmptyPayload", func(t *testing.T) {
		ch, _ := subscribe(t, b, prefix+".empty")
		flush(t, b)
		publish(t, b, prefix+".empty", "")
		if m := recv(t, ch); len(m.data) != 0 {
			t.Errorf("got %q, want empty", m.data)
		}
	})

	t.Run("Wildcards", func(t *testing.T) {
		star, _ := subscribe(t, b, prefix+".wc.*")
		tail, _ := subscribe(t, b, prefix+".wc.>")
		flush(t, b)
		for _, s := range []string{"a", "b.c", "end"} {
			publish(t, b, prefix+".wc."+s, s)
		}
		// One publisher's messages reach a subscription in order, so
		// once "end" is in, anything else that matched is in too.
		var gotStar, gotTail []string
		for m := recv(t, star); ; m = recv(t, star) {
			gotStar = append(gotStar, strings.TrimPrefix(m.subject, prefix+".wc."))
			if string(m.data) == "end" {
				break
			}
		}
		for range 3 {
			gotTail = append(gotTail, strings.TrimPrefix(recv(t, tail).subject, prefix+".wc."))
		}
		if want := []string{"a", "end"}; !slices.Equal(gotStar, want) {
			t.Errorf("*: got %q, want %q", gotStar, want)
		}
		if want := []string{"a", "b.c", "end"}; !slices.Equal(gotTail, want) {
			t.Errorf(">: got %q, want %q", gotTail, want)
		}
	})

	t.Run("UnsubscribeStopsDelivery", func(t *testing.T) {
		subject := prefix + ".unsub"
		var stopped atomic.Int64
		unsub, err := b.Subscribe(subject, func(string, []byte) { stopped.Add(1) })
		if err != nil {
			t.Fatal(err)
		}
		witness, _ := subscribe(t, b, subject)
		flush(t, b)
		if err := unsub(); err != nil {
			t.Fatalf("unsubscribe: %v", err)
		}
		if err := unsub(); err != nil {
			t.Errorf("second unsubscribe: got %v, want nil", err)
		}
		const n = 10
		for i := range n {
			publish(t, b, subject, fmt.Sprint(i))
		}
		for range n {
			recv(t, witness)
		}
		if got := stopped.Load(); got != 0 {
			t.Errorf("unsubscribed handler got %d messages, want 0", got)
		}
	})

	t.Run("HandlerMayKeepData", func(t *testing.T) {
		ch, _ := subscribe(t, b, prefix+".keep")
		flush(t, b)
		const n = 100
		for i := range n {
			publish(t, b, prefix+".keep", fmt.Sprintf("message %03d", i))
		}
		var kept [][]byte
		for range n {
			kept = append(kept, recv(t, ch).data)
		}
		for i, d := range kept {
			if want := fmt.Sprintf("message %03d", i); string(d) != want {
				t.Fatalf("message %d: got %q, want %q", i, d, want)
			}
		}
	})

	t.Run("ConcurrentPublishers", func(t *testing.T) {
		subject := prefix + ".many"
		var got atomic.Int64
		const publishers, each = 8, 250
		done := make(chan struct{})
		unsub, err := b.Subscribe(subject, func(string, []byte) {
			if got.Add(1) == publishers*each {
				close(done)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		defer unsub()
		flush(t, b)
		var wg sync.WaitGroup
		for range publishers {
			wg.Go(func() {
				for range each {
					if err := b.Publish(subject, make([]byte, 200)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		select {
		case <-done:
		case <-time.After(wait):
			t.Fatalf("got %d messages, want %d", got.Load(), publishers*each)
		}
	})
}

func TestEmbeddedConformance(t *testing.T) {
	busConformance(t, openEmbedded(t, Options{}))
}

func TestEmbeddedDevWildcard(t *testing.T) {
	b := openEmbedded(t, Options{})
	ch, _ := subscribe(t, b, "parley.dev.*")
	flush(t, b)
	publish(t, b, "parley.dev.alice", "1")
	publish(t, b, "parley.other.alice", "2")
	publish(t, b, "parley.dev.alice.phone", "3")
	publish(t, b, "parley.dev.bob", "4")
	for _, want := range []string{"parley.dev.alice", "parley.dev.bob"} {
		if got := recv(t, ch).subject; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// jetStreamRoundTrip creates a stream, publishes one message to it and
// consumes it.
func jetStreamRoundTrip(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	name := "PARLEY_TEST_" + strings.ToUpper(token(t))
	subject := "parley.js." + name
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     name,
		Subjects: []string{subject},
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := js.DeleteStream(ctx, name); err != nil {
			t.Errorf("DeleteStream: %v", err)
		}
	})
	ack, err := js.Publish(ctx, subject, []byte("persisted"))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if ack.Stream != name || ack.Sequence != 1 {
		t.Errorf("ack: got %s/%d, want %s/1", ack.Stream, ack.Sequence, name)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("CreateOrUpdateConsumer: %v", err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(wait))
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if string(m.Data()) != "persisted" {
		t.Errorf("got %q, want %q", m.Data(), "persisted")
	}
	if err := m.Ack(); err != nil {
		t.Errorf("Ack: %v", err)
	}
}

func TestEmbeddedJetStream(t *testing.T) {
	dir := t.TempDir()
	b := openEmbedded(t, Options{DataDir: dir})
	jetStreamRoundTrip(t, b.JetStream())
	if _, err := os.Stat(filepath.Join(dir, "nats", "jetstream")); err != nil {
		t.Errorf("JetStream store not under DataDir: %v", err)
	}
}

// listeners returns the local addresses of the TCP sockets in LISTEN state
// that this process holds, read from /proc.
func listeners(t *testing.T) []string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	ours := map[string]bool{} // socket inodes
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			ours[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var addrs []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && fields[3] == "0A" && ours[fields[9]] {
				addrs = append(addrs, fields[1])
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(addrs)
	return addrs
}

func TestEmbeddedOpensNoPort(t *testing.T) {
	before := listeners(t)
	b := openEmbedded(t, Options{})
	if a := b.srv.Addr(); a != nil {
		t.Errorf("client listener: got %v, want none", a)
	}
	if a := b.srv.ClusterAddr(); a != nil {
		t.Errorf("cluster listener: got %v, want none", a)
	}
	if a := b.srv.MonitorAddr(); a != nil {
		t.Errorf("monitor listener: got %v, want none", a)
	}
	if after := listeners(t); !slices.Equal(after, before) {
		t.Errorf("listening sockets: got %v, want %v", after, before)
	}
	if err := b.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// TestEmbeddedListen also shows that the /proc check above can see a
// listener.
func TestEmbeddedListen(t *testing.T) {
	before := listeners(t)
	b := openEmbedded(t, Options{ListenPort: -1})
	addr := b.srv.Addr()
	if addr == nil {
		t.Fatal("no client listener")
	}
	if after := listeners(t); len(after) != len(before)+1 {
		t.Errorf("listening sockets: got %v, want one more than %v", after, before)
	}
	if !strings.HasPrefix(addr.String(), "127.0.0.1:") {
		t.Errorf("listens on %v, want loopback by default", addr)
	}

	nc, err := natsgo.Connect("nats://" + addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("parley.dev.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	publish(t, b, "parley.dev.x", "over tcp")
	m, err := sub.NextMsg(wait)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != "over tcp" {
		t.Errorf("got %q, want %q", m.Data, "over tcp")
	}
}

// TestEmbeddedCluster routes two embedded servers, with JetStream, together
// and sends a message from one node's bus to the other's.
func TestEmbeddedCluster(t *testing.T) {
	ports := freePorts(t, 2)
	routes := []string{fmt.Sprintf("nats://127.0.0.1:%d", ports[0]), fmt.Sprintf("nats://127.0.0.1:%d", ports[1])}
	node := func(name string, port int) Options {
		return Options{ServerName: name, ClusterName: "parley-test", ListenPort: -1, ClusterPort: port, Routes: routes}
	}
	a := openEmbedded(t, node("a", ports[0]))
	b := openEmbedded(t, node("b", ports[1]))

	ch, _ := subscribe(t, b, "parley.dev.*")
	flush(t, b)
	// Interest crosses the route asynchronously: poll until it has.
	deadline := time.Now().Add(wait)
	for {
		publish(t, a, "parley.dev.ping", "from a")
		select {
		case m := <-ch:
			if string(m.data) != "from a" {
				t.Errorf("got %q, want %q", m.data, "from a")
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message across the route within %s (routes: a=%d b=%d)", wait, a.srv.NumRoutes(), b.srv.NumRoutes())
		}
	}
}

// freePorts returns n TCP ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func TestClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	b, err := Open(context.Background(), Options{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Close drains: messages the server has delivered are still handled.
	var handled atomic.Int64
	if _, err := b.Subscribe("parley.dev.*", func(string, []byte) {
		time.Sleep(100 * time.Microsecond)
		handled.Add(1)
	}); err != nil {
		t.Fatal(err)
	}
	const n = 500
	for range n {
		publish(t, b, "parley.dev.x", "x")
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := handled.Load(); got != n {
		t.Errorf("handled %d messages before Close returned, want %d", got, n)
	}
	if b.srv.Running() {
		t.Error("embedded server still running after Close")
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	if err := b.Publish("parley.dev.x", nil); !errors.Is(err, natsgo.ErrConnectionClosed) {
		t.Errorf("Publish after Close: got %v, want %v", err, natsgo.ErrConnectionClosed)
	}
	if err := b.Ping(context.Background()); parley.ErrorCode(err) != parley.EUnavailable {
		t.Errorf("Ping after Close: got %v, want %s", err, parley.EUnavailable)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	tests := []struct {
		name string
		opts Options
		want string // in the error
	}{
		{"EmbeddedWithoutDataDir", Options{}, "DataDir is required"},
		{"ExternalUnreachable", Options{URL: "nats://127.0.0.1:1"}, "no servers available"},
		{"ClusterWithoutName", Options{DataDir: t.TempDir(), ListenPort: -1, ClusterPort: -1}, "server_name"},
		{"ClusterWithoutRoutes", Options{DataDir: t.TempDir(), ServerName: "a", ClusterName: "c", ListenPort: -1, ClusterPort: -1}, "requires configured routes"},
		{"ClusterWithoutListenPort", Options{DataDir: t.TempDir(), ServerName: "a", ClusterName: "c", ClusterPort: -1, Routes: []string{"nats://127.0.0.1:1"}}, "requires ListenPort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Open(ctx, tt.opts, nil)
			if err == nil {
				b.Close()
				t.Fatalf("got nil error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	got := redact("nats://user:secret@a:4222,nats://b:4222,nats://tok@c:4222")
	want := "nats://redacted@a:4222,nats://b:4222,nats://redacted@c:4222"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestExternal runs the conformance suite against the NATS server at
// $PARLEY_TEST_NATS (with JetStream), e.g. nats://127.0.0.1:4222.
func TestExternal(t *testing.T) {
	url := os.Getenv("PARLEY_TEST_NATS")
	if url == "" {
		t.Skip("PARLEY_TEST_NATS is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b, err := Open(ctx, Options{URL: url}, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if b.srv != nil {
		t.Fatal("embedded a server despite URL")
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	busConformance(t, b)
	t.Run("JetStream", func(t *testing.T) { jetStreamRoundTrip(t, b.JetStream()) })
}

// BenchmarkPublishSubscribe measures 200-byte messages through one
// wildcard subscription on the embedded server.
func BenchmarkPublishSubscribe(b *testing.B) {
	bus := openEmbedded(b, Options{})
	var subjects [16]string
	for i := range subjects {
		subjects[i] = fmt.Sprintf("parley.bench.%d", i)
	}
	payload := make([]byte, 200)
	n := int64(b.N)
	var got atomic.Int64
	done := make(chan struct{})
	unsub, err := bus.Subscribe("parley.bench.*", func(string, []byte) {
		if got.Add(1) == n {
			close(done)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer unsub()
	flush(b, bus)

	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for i := range b.N {
		if err := bus.Publish(subjects[i%len(subjects)], payload); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatalf("received %d of %d messages", got.Load(), n)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
