package server_test

// The abuse suite for connections (docs/SECURITY.md, "Connections,
// timeouts and WebSocket budgets"): each attack against a real server
// over real sockets, with the limits made short, and a well-behaved
// client beside it that must not notice.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/wire"
)

// withLimits sets the connection limits, limiting loopback too.
func withLimits(l server.Limits) servertest.Option {
	return servertest.WithOptions(func(o *server.Options) {
		if l.ConnLimitExempt == nil {
			l.ConnLimitExempt = []netip.Prefix{}
		}
		o.Limits = l
	})
}

// dialFrom opens a TCP connection to the server from the loopback address
// local (Linux answers on all of 127.0.0.0/8).
func dialFrom(t *testing.T, srv *servertest.Server, local string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatalf("dial from %s: %v", local, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the server closes c within d: a read ends
// in EOF or a reset (whatever it answered first is read and dropped).
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowBodyClosed: connections that send headers and then trickle
// their body one byte at a time are closed once the read timeout passes,
// on an unauthenticated route (the attack found 3,000 such connections
// still open after 61 s), while a normal request on the side is answered.
func TestSlowBodyClosed(t *testing.T) {
	srv := servertest.Start(t, withLimits(server.Limits{ReadTimeout: 300 * time.Millisecond}))
	const attackers = 20
	conns := make([]net.Conn, attackers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	for i := range conns {
		c := dialFrom(t, srv, "127.0.0.1")
		fmt.Fprintf(c, "POST /v1/auth/code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
		conns[i] = c
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		})
	}
	if code, _, _ := call(t, srv, "GET", "/healthz", "", "", nil); code != 200 {
		t.Errorf("healthz beside the attack: got %d, want 200", code)
	}
	for i, c := range conns {
		if !closedWithin(c, 3*time.Second) {
			t.Fatalf("slow-body connection %d still open 3 s after a 300 ms read timeout", i)
		}
	}
}

// TestSlowUploadWithinUploadTimeout: an upload is given the upload
// timeout, not the ordinary read timeout: a body that takes longer than
// ReadTimeout but less than UploadTimeout is stored.
func TestSlowUploadWithinUploadTimeout(t *testing.T) {
	srv := servertest.Start(t, withLimits(server.Limits{ReadTimeout: 200 * time.Millisecond, UploadTimeout: 10 * time.Second}))
	a := login(t, srv, "+14155550171")
	b := login(t, srv, "+14155550172")
	ch, err := a.c.CreateGroup(context.Background(), "uploads", b.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() {
		for range 6 {
			time.Sleep(100 * time.Millisecond)
			pw.Write([]byte(strings.Repeat("x", 100)))
		}
		pw.Close()
	}()
	if _, err := a.c.UploadMedia(context.Background(), ch.ID, "application/octet-stream", pr); err != nil {
		t.Fatalf("upload taking 600 ms with a 200 ms read timeout and a 10 s upload timeout: %v", err)
	}
}

// TestWebSocketOutlivesWriteTimeout: the write timeout of ordinary
// responses does not end a WebSocket session.
func TestWebSocketOutlivesWriteTimeout(t *testing.T) {
	// One second, not less: the login before the socket must fit in it on
	// a loaded machine.
	srv := servertest.Start(t, withLimits(server.Limits{ReadTimeout: time.Second, WriteTimeout: time.Second}))
	a := login(t, srv, "+14155550173")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := a.c.Connect(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if ev, err := conn.Next(ctx); err != nil || ev.Type != "ready" {
		t.Fatalf("first event: got %v %v, want ready", ev.Type, err)
	}
	time.Sleep(3 * time.Second)
	if err := conn.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if ev, err := conn.Next(ctx); err != nil || ev.Type != client.EventPong {
		t.Fatalf("after 3 write timeouts: got %v %v, want pong", ev.Type, err)
	}
}

// TestConnLimitPerAddr: one address can hold MaxConnsPerAddr connections
// and no more; another address is unaffected; a closed connection frees
// its slot.
func TestConnLimitPerAddr(t *testing.T) {
	const max = 5
	srv := servertest.Start(t, withLimits(server.Limits{MaxConnsPerAddr: max}))
	var held []net.Conn
	for range max {
		c := dialFrom(t, srv, "127.0.0.1")
		held = append(held, c)
	}
	// Each of the first max is served.
	for i, c := range held {
		if code := get(t, c, "/healthz"); code != 200 {
			t.Fatalf("connection %d of %d: got %d, want 200", i+1, max, code)
		}
	}
	extra := dialFrom(t, srv, "127.0.0.1")
	fmt.Fprintf(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if !closedWithin(extra, 2*time.Second) {
		t.Fatalf("connection %d from one address was kept open", max+1)
	}
	other := dialFrom(t, srv, "127.0.0.2")
	if code := get(t, other, "/healthz"); code != 200 {
		t.Fatalf("another address: got %d, want 200", code)
	}
	held[0].Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		c := dialFrom(t, srv, "127.0.0.1")
		if code := tryGet(c, "/healthz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection did not free its address's slot")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get sends one request on c and returns the status.
func get(t *testing.T, c net.Conn, path string) int {
	t.Helper()
	code := tryGet(c, path)
	if code == 0 {
		t.Fatalf("GET %s: no response", path)
	}
	return code
}

func tryGet(c net.Conn, path string) int {
	c.SetDeadline(time.Now().Add(2 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// withWebSocket sets the WebSocket limits.
func withWebSocket(l gateway.Limits) servertest.Option {
	return servertest.WithOptions(func(o *server.Options) { o.WebSocket = l })
}

// slowClient is a client whose sockets have a 16 KiB receive buffer, so
// that a socket it does not read fills after little data.
func slowClient(srv *servertest.Server, token string) *client.Client {
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
		return errors.Join(err, serr)
	}}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	return client.New(srv.URL, client.WithToken(token), client.WithHTTPClient(hc))
}

// TestSlowReaderBudget: a WebSocket client that stops reading while a
// group is busy is closed once the frames queued for it pass the byte
// budget (the attack held 1.6 GB for 300 such sockets); a normal reader
// in the same group receives every message; and the slow client, on
// reconnecting, gets everything it had not acknowledged from its inbox.
func TestSlowReaderBudget(t *testing.T) {
	srv := servertest.Start(t, withWebSocket(gateway.Limits{QueueBytes: 256 << 10, WriteTimeout: 5 * time.Second}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := login(t, srv, "+14155550174")
	slow := login(t, srv, "+14155550175")
	normal := login(t, srv, "+14155550176")
	group, err := a.c.CreateGroup(ctx, "busy", slow.AccountID, normal.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := slowClient(srv, slow.Token).Connect(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	nc, err := normal.c.Connect(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// The group's creation is an entry already in both inboxes.
	pre, err := nextOfType(ctx, sc, "ready")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nextOfType(ctx, nc, "ready"); err != nil {
		t.Fatal(err)
	}
	const messages = 100 // 100 × 40 KB: far more than the budget and the socket buffers
	text := strings.Repeat("x", 40<<10)
	got := make(chan int, 1)
	go func() {
		n := 0
		for n < messages {
			if _, err := nextOfType(ctx, nc, "entry"); err != nil {
				break
			}
			n++
		}
		got <- n
	}()
	for i := range messages {
		if _, err := a.c.SendText(ctx, group.ID, fmt.Sprint(i, text)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if n := <-got; n != messages {
		t.Fatalf("the normal reader got %d messages, want %d", n, messages)
	}
	// The slow client now reads: what the socket held, then the close.
	n := 0
	var readErr error
	for {
		ev, err := sc.Next(ctx)
		if err != nil {
			readErr = err
			break
		}
		if ev.Type == "entry" {
			n++
		}
	}
	// The close frame waits behind the bytes the socket holds, for the
	// websocket library's close timeout (5 s); a loaded machine can take
	// longer than that to send the 100 messages, and then the socket is
	// closed without the frame. Either way the session ended.
	if st := websocket.CloseStatus(readErr); st != 4002 && !errors.Is(readErr, io.ErrUnexpectedEOF) {
		t.Fatalf("slow reader after %d of %d messages: got %v, want close 4002 (too slow)", n, messages, readErr)
	}
	if n >= messages {
		t.Fatalf("slow reader got all %d messages before the close; the budget never applied", n)
	}
	// Reconnecting, it gets its whole backlog: nothing was acknowledged.
	rc, err := slow.c.Connect(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	backlog := 0
	for {
		ev, err := rc.Next(ctx)
		if err != nil {
			t.Fatalf("replay after %d entries: %v", backlog, err)
		}
		if ev.Type == "ready" {
			break
		}
		if ev.Type == "entry" {
			backlog++
		}
	}
	if want := pre.Pending + messages; backlog != want {
		t.Fatalf("backlog on reconnect: got %d entries, want %d", backlog, want)
	}
}

// nextOfType reads events until one of type typ.
func nextOfType(ctx context.Context, c *client.Conn, typ string) (wire.Event, error) {
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			return ev, err
		}
		if string(ev.Type) == typ {
			return ev, nil
		}
	}
}

// TestClientFrameFlood: a client that sends frames faster than the limit
// gets a rate_limited error frame and is closed (policy violation); a
// client beside it that pings within the limit is unaffected.
func TestClientFrameFlood(t *testing.T) {
	srv := servertest.Start(t, withWebSocket(gateway.Limits{FrameRate: 10, FrameBurst: 20}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	flooder := login(t, srv, "+14155550177")
	calm := login(t, srv, "+14155550178")
	fc, err := flooder.c.Connect(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	cc, err := calm.c.Connect(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	for _, c := range []*client.Conn{fc, cc} {
		if _, err := nextOfType(ctx, c, "ready"); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		for range 200 {
			if fc.Typing(ctx, 1, "typing") != nil {
				return
			}
		}
	}()
	var limited bool
	var readErr error
	for {
		ev, err := fc.Next(ctx)
		if err != nil {
			readErr = err
			break
		}
		if ev.Type == "error" && ev.Error != nil && ev.Error.Code == "rate_limited" {
			limited = true
		}
	}
	if !limited {
		t.Errorf("flooder: no rate_limited error frame before the close")
	}
	if st := websocket.CloseStatus(readErr); st != websocket.StatusPolicyViolation {
		t.Errorf("flooder: got %v, want close 1008 (policy violation)", readErr)
	}
	for i := range 5 {
		if err := cc.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := nextOfType(ctx, cc, string(client.EventPong)); err != nil {
			t.Fatalf("calm client, ping %d: %v", i, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClientFrameTooBig: a client frame over MaxFrameBytes closes the
// session with 1009 (message too big); a client that sends a frame just
// under the limit keeps its session and its pings are answered.
func TestClientFrameTooBig(t *testing.T) {
	srv := servertest.Start(t, withWebSocket(gateway.Limits{MaxFrameBytes: 4 << 10}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(phone string) *websocket.Conn {
		a := login(t, srv, phone)
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/ws?access_token="+a.Token, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.CloseNow() })
		return ws
	}
	ack := func(n int) []byte {
		return []byte(`{"type":"ack","ids":[` + strings.TrimSuffix(strings.Repeat("123456789,", n), ",") + `]}`)
	}
	ws, calm := dial("+14155550179"), dial("+14155550180")
	if err := ws.Write(ctx, websocket.MessageText, ack(600)); err != nil { // 6 KB
		t.Fatal(err)
	}
	var err error
	for {
		if _, _, err = ws.Read(ctx); err != nil {
			break
		}
	}
	if st := websocket.CloseStatus(err); st != websocket.StatusMessageTooBig {
		t.Fatalf("6 KB frame with a 4 KiB limit: got %v, want close 1009", err)
	}
	// The well-behaved client: a 3.5 KB frame, then a ping, answered.
	if f := ack(350); len(f) >= 4<<10 {
		t.Fatalf("the calm frame is %d bytes, not under the limit", len(f))
	} else if err := calm.Write(ctx, websocket.MessageText, f); err != nil {
		t.Fatal(err)
	}
	if err := calm.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	for {
		_, b, err := calm.Read(ctx)
		if err != nil {
			t.Fatalf("the client under the limit lost its session: %v", err)
		}
		if strings.Contains(string(b), `"type":"pong"`) {
			break
		}
	}
}
