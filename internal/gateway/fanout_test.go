package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/lesismal/nbio"
)

// fanoutRig is a Gateway with only its fan-out: sessions on real loopback
// sockets served by transport tr, indexed under channel 1, with no
// Service or bus.
type fanoutRig struct {
	g        *Gateway
	sessions []*session
	clients  []*websocket.Conn
}

// eachTransport runs fn on each transport.
func eachTransport(t *testing.T, fn func(t *testing.T, tr Transport)) {
	for _, tr := range []Transport{TransportReadiness, TransportGoroutine} {
		t.Run(string(tr), func(t *testing.T) { fn(t, tr) })
	}
}

func newFanoutRig(t *testing.T, n int, tr Transport) *fanoutRig {
	t.Helper()
	r := &fanoutRig{g: &Gateway{log: slog.New(slog.DiscardHandler), fan: newFanout(2)}}
	r.g.opts.Limits.WriteTimeout = defaultWriteTimeout
	t.Cleanup(r.g.fan.close)
	if tr == TransportReadiness {
		nb, err := newReadiness(r.g)
		if err != nil {
			t.Fatal(err)
		}
		if err := nb.start(); err != nil {
			t.Fatal(err)
		}
		r.g.nb = nb
		t.Cleanup(func() { nb.stop(r.g.log) })
	}
	accepted := make(chan *session, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s := &session{g: r.g, refs: 2} // never ends: the rig has no Service
		if tr == TransportReadiness {
			h := &nbHijacker{ResponseWriter: w}
			conn, err := r.g.nb.up.UpgradeAndTransferConnToPoller(h, req, nil)
			if err != nil {
				t.Error(err)
				return
			}
			ns := &nbSocket{conn: conn, nbc: conn.UnderlayerConn().(*nbio.Conn), s: s, timeout: defaultWriteTimeout,
				onFrame: func(bool, []byte) {}}
			s.sock = ns
			conn.SetSession(ns)
			accepted <- s
			return
		}
		hc := &hijackCapture{ResponseWriter: w}
		conn, err := websocket.Accept(hc, req, nil)
		if err != nil {
			t.Error(err)
			return
		}
		if hc.wc == nil {
			t.Error("no raw socket captured")
		}
		s.sock = &rawSocket{conn: conn, wc: hc.wc}
		accepted <- s
	}))
	t.Cleanup(srv.Close)
	for range n {
		c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadLimit(1 << 20)
		t.Cleanup(func() { c.CloseNow() })
		s := <-accepted
		r.g.chmu.Lock()
		r.g.indexChannel(s, 1)
		r.g.chmu.Unlock()
		r.sessions = append(r.sessions, s)
		r.clients = append(r.clients, c)
	}
	return r
}

// setWriteBuffer sets the kernel's send buffer of s's socket.
func setWriteBuffer(t *testing.T, s *session, n int) {
	t.Helper()
	var err error
	switch sock := s.sock.(type) {
	case *rawSocket:
		err = sock.wc.Conn.(*net.TCPConn).SetWriteBuffer(n)
	case *nbSocket:
		err = sock.nbc.SetWriteBuffer(n)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// behind reports whether s holds frames its socket did not take.
func behind(s *session) bool {
	if ns, ok := s.sock.(*nbSocket); ok {
		return ns.unsent() > 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writing
}

// readAll reads want frames from c and returns them.
func readAll(ctx context.Context, c *websocket.Conn, want int) ([]string, error) {
	var got []string
	for len(got) < want {
		_, data, err := c.Read(ctx)
		if err != nil {
			return got, fmt.Errorf("after %d frames: %w", len(got), err)
		}
		got = append(got, string(data))
	}
	return got, nil
}

// TestFanoutSlowFollower: a follower whose socket is never read (its
// buffers fill) does not stop 100 others from receiving every post, and
// when it reads again it gets every post, whole and in order.
func TestFanoutSlowFollower(t *testing.T) { eachTransport(t, testFanoutSlowFollower) }

func testFanoutSlowFollower(t *testing.T, tr Transport) {
	const readers, posts = 100, 24
	r := newFanoutRig(t, readers+1, tr)
	slow := r.sessions[readers]
	setWriteBuffer(t, slow, 4096)
	// 24 posts of 16 KiB overflow the 4 KiB send buffer and the unread
	// peer's initial receive window (tcp_rmem default 128 KiB).
	body := strings.Repeat("x", 16<<10)
	want := make([]string, posts)
	for i := range want {
		want[i] = fmt.Sprintf(`{"type":"channel_post","seq":%d,"text":"%s"}`, i, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for i := range readers {
		wg.Go(func() {
			got, err := readAll(ctx, r.clients[i], posts)
			if err == nil {
				for j := range got {
					if got[j] != want[j] {
						err = fmt.Errorf("reader %d frame %d: got %.40q, want post %d", i, j, got[j], j)
						break
					}
				}
			}
			errs <- err
		})
	}
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		for _, p := range want {
			r.g.onChannel(1, []byte(p))
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-posted:
	case <-ctx.Done():
		t.Fatal("the posts did not return while one follower did not read")
	}
	if !behind(slow) {
		t.Fatal("the unread socket took every post; the test did not fill it")
	}

	// The slow follower reads now: everything, in order, no torn frame.
	got, err := readAll(ctx, r.clients[readers], posts)
	if err != nil {
		t.Fatalf("slow follower: %v", err)
	}
	for j := range got {
		if got[j] != want[j] {
			t.Fatalf("slow follower frame %d: got %.40q, want post %d", j, got[j], j)
		}
	}
}

// TestFanoutKeepsSessionOrder: a session's other frames (pushed by the
// bus callbacks) and channel posts arrive in the order they were sent,
// whether a frame goes out directly or through the writer.
func TestFanoutKeepsSessionOrder(t *testing.T) { eachTransport(t, testFanoutKeepsSessionOrder) }

func testFanoutKeepsSessionOrder(t *testing.T, tr Transport) {
	const n, rounds = 10, 150
	r := newFanoutRig(t, n, tr)
	var want []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range rounds {
			post := fmt.Sprintf(`{"type":"channel_post","seq":%d}`, i)
			r.g.onChannel(1, []byte(post))
			// A big frame now and then, so that some sockets fill and
			// later frames queue behind the writer.
			entry := fmt.Sprintf(`{"type":"entry","n":%d,"pad":"%s"}`, i, strings.Repeat("y", (i%7)*4000))
			for _, s := range r.sessions {
				s.push([]byte(entry))
			}
		}
	}()
	for i := range rounds {
		want = append(want, fmt.Sprintf(`{"type":"channel_post","seq":%d}`, i))
		want = append(want, fmt.Sprintf(`{"type":"entry","n":%d,"pad":"%s"}`, i, strings.Repeat("y", (i%7)*4000)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i, c := range r.clients {
		wg.Go(func() {
			got, err := readAll(ctx, c, len(want))
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			for j := range got {
				if got[j] != want[j] {
					t.Errorf("client %d frame %d: got %.50q, want %.50q", i, j, got[j], want[j])
					return
				}
			}
		})
	}
	wg.Wait()
	<-done
}

func TestTextFrame(t *testing.T) {
	for _, tt := range []struct{ n, header int }{{0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}} {
		f := textFrame(make([]byte, tt.n))
		if f[0] != 0x81 || len(f)-tt.n != tt.header {
			t.Errorf("textFrame(%d bytes): got first byte %#x and a %d-byte header, want 0x81 and %d", tt.n, f[0], len(f)-tt.n, tt.header)
		}
	}
}
