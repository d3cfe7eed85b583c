package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
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

// The session's behaviour is the same on both transports: these tests
// run each case on a server of each (docs/ARCHITECTURE.md, "Gateway").

var transports = []gateway.Transport{gateway.TransportReadiness, gateway.TransportGoroutine}

func start(t *testing.T, tr gateway.Transport, l gateway.Limits) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.WithBulkLogins(), servertest.WithOptions(func(o *server.Options) {
		o.WebSocketTransport, o.WebSocket = tr, l
	}))
}

type person struct {
	client.Session
	c *client.Client
}

func login(t *testing.T, srv *servertest.Server, phone string, opts ...client.Option) person {
	t.Helper()
	ctx := context.Background()
	c := client.New(srv.URL, opts...)
	if err := c.RequestCode(ctx, phone); err != nil {
		t.Fatalf("request code for %s: %v", phone, err)
	}
	s, err := c.Verify(ctx, phone, srv.Code(phone), "phone", nil)
	if err != nil {
		t.Fatalf("verify %s: %v", phone, err)
	}
	return person{Session: s, c: c}
}

// next reads events until one of type typ.
func next(ctx context.Context, c *client.Conn, typ wire.EventType) (wire.Event, error) {
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			return ev, err
		}
		if ev.Type == typ {
			return ev, nil
		}
	}
}

// untilClosed reads until the socket ends and returns the error.
func untilClosed(ctx context.Context, c *client.Conn) error {
	for {
		if _, err := c.Next(ctx); err != nil {
			return err
		}
	}
}

// TestTransportReplayThenLive: an entry sent while the device was away is
// replayed, then "ready", then a live entry; an acknowledged entry is not
// replayed on the next connect.
func TestTransportReplayThenLive(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			srv := start(t, tr, gateway.Limits{})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			a, b := login(t, srv, "+14155550101"), login(t, srv, "+14155550102")
			dm, err := a.c.OpenDirect(ctx, b.AccountID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.c.SendText(ctx, dm.ID, "while away"); err != nil {
				t.Fatal(err)
			}
			conn, err := b.c.Connect(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var replayed []int64
			for {
				ev, err := conn.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Type == wire.EventReady {
					if ev.Pending != len(replayed) {
						t.Errorf("ready: got pending %d, want %d", ev.Pending, len(replayed))
					}
					break
				}
				if ev.Type == wire.EventEntry {
					replayed = append(replayed, ev.Entry.ID)
				}
			}
			if len(replayed) == 0 {
				t.Fatal("no entry replayed")
			}
			if _, err := a.c.SendText(ctx, dm.ID, "live"); err != nil {
				t.Fatal(err)
			}
			live, err := next(ctx, conn, wire.EventEntry)
			if err != nil {
				t.Fatal(err)
			}
			if live.Entry.ID <= replayed[len(replayed)-1] {
				t.Errorf("live entry %d not after the replayed %d", live.Entry.ID, replayed[len(replayed)-1])
			}
			if err := conn.Ack(ctx, append(replayed, live.Entry.ID)...); err != nil {
				t.Fatal(err)
			}
			// A ping after the ack is answered after it: the ack was taken.
			if err := conn.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := next(ctx, conn, wire.EventPong); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			again, err := b.c.Connect(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			ev, err := again.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != wire.EventReady || ev.Pending != 0 {
				t.Errorf("after the ack: got %s (pending %d), want ready with nothing pending", ev.Type, ev.Pending)
			}
		})
	}
}

// TestTransportCloseCodes: the close codes of the session's limits, on
// both transports.
func TestTransportCloseCodes(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			t.Run("replaced", func(t *testing.T) {
				srv := start(t, tr, gateway.Limits{})
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				a := login(t, srv, "+14155550103")
				old, err := a.c.Connect(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer old.Close()
				if _, err := next(ctx, old, wire.EventReady); err != nil {
					t.Fatal(err)
				}
				newer, err := a.c.Connect(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer newer.Close()
				if st := websocket.CloseStatus(untilClosed(ctx, old)); st != gateway.CloseReplaced {
					t.Errorf("old socket: got close %d, want %d (replaced)", st, gateway.CloseReplaced)
				}
				if _, err := next(ctx, newer, wire.EventReady); err != nil {
					t.Fatalf("newer socket: %v", err)
				}
			})
			t.Run("too many frames", func(t *testing.T) {
				srv := start(t, tr, gateway.Limits{FrameRate: 5, FrameBurst: 10})
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				a := login(t, srv, "+14155550104")
				conn, err := a.c.Connect(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if _, err := next(ctx, conn, wire.EventReady); err != nil {
					t.Fatal(err)
				}
				for range 30 {
					if conn.Ping(ctx) != nil {
						break
					}
				}
				var limited bool
				var err2 error
				for {
					ev, err := conn.Next(ctx)
					if err != nil {
						err2 = err
						break
					}
					limited = limited || (ev.Type == wire.EventError && ev.Error != nil && ev.Error.Code == "rate_limited")
				}
				if !limited {
					t.Error("no rate_limited error before the close")
				}
				if st := websocket.CloseStatus(err2); st != websocket.StatusPolicyViolation {
					t.Errorf("got %v, want close 1008", err2)
				}
			})
			t.Run("frame too big", func(t *testing.T) {
				srv := start(t, tr, gateway.Limits{MaxFrameBytes: 1 << 10})
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				a := login(t, srv, "+14155550105")
				ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/ws?access_token="+a.Token, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer ws.CloseNow()
				big := `{"type":"ping","pad":"` + strings.Repeat("x", 2<<10) + `"}`
				if err := ws.Write(ctx, websocket.MessageText, []byte(big)); err != nil {
					t.Fatal(err)
				}
				for {
					if _, _, err = ws.Read(ctx); err != nil {
						break
					}
				}
				if st := websocket.CloseStatus(err); st != websocket.StatusMessageTooBig {
					t.Errorf("got %v, want close 1009", err)
				}
			})
			t.Run("slow reader", func(t *testing.T) {
				srv := start(t, tr, gateway.Limits{QueueBytes: 64 << 10, WriteTimeout: 10 * time.Second})
				ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				a := login(t, srv, "+14155550106")
				slow := login(t, srv, "+14155550107", client.WithHTTPClient(smallReceiveBuffer()))
				dm, err := a.c.OpenDirect(ctx, slow.AccountID)
				if err != nil {
					t.Fatal(err)
				}
				conn, err := slow.c.Connect(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if _, err := next(ctx, conn, wire.EventReady); err != nil {
					t.Fatal(err)
				}
				// It reads nothing while 100 × 40 KB arrive: far past the
				// 64 KiB budget and the socket's buffers.
				text := strings.Repeat("x", 40<<10)
				const messages = 100
				for i := range messages {
					if _, err := a.c.SendText(ctx, dm.ID, fmt.Sprint(i, text)); err != nil {
						t.Fatalf("send %d: %v", i, err)
					}
				}
				n := 0
				var readErr error
				for {
					ev, err := conn.Next(ctx)
					if err != nil {
						readErr = err
						break
					}
					if ev.Type == wire.EventEntry {
						n++
					}
				}
				if st := websocket.CloseStatus(readErr); st != 4002 {
					t.Errorf("after %d entries: got %v, want close 4002 (too slow)", n, readErr)
				}
				if n >= messages {
					t.Errorf("got all %d entries; the budget never applied", n)
				}
			})
		})
	}
}

// smallReceiveBuffer is an HTTP client whose sockets have a 16 KiB
// receive buffer, so that one it does not read fills after little data.
func smallReceiveBuffer() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
		return errors.Join(err, serr)
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestReadinessIdleSockets: idle sockets served on readiness add no
// goroutine (on the goroutine transport each adds its reader), and once
// closed, their sessions end and leave none behind.
func TestReadinessIdleSockets(t *testing.T) {
	const n = 100
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			srv := start(t, tr, gateway.Limits{})
			tokens := make([]string, n)
			for i := range tokens {
				tokens[i] = login(t, srv, fmt.Sprintf("+1415555%04d", 2000+i)).Token
			}
			settle := func() int {
				time.Sleep(200 * time.Millisecond)
				return runtime.NumGoroutine()
			}
			base := settle()
			conns := make([]net.Conn, n)
			for i, tok := range tokens {
				conns[i] = dialRaw(t, srv.URL, tok)
			}
			waitFor(t, func() bool { return srv.Sessions() == n }, "sessions to register")
			grown := settle() - base
			switch tr {
			case gateway.TransportReadiness:
				if grown > 10 {
					t.Errorf("%d idle sockets on readiness: %d more goroutines, want about none", n, grown)
				}
			case gateway.TransportGoroutine:
				if grown < n {
					t.Errorf("%d idle sockets on goroutines: %d more goroutines, want at least %d (the test measures nothing)", n, grown, n)
				}
			}
			for _, c := range conns {
				c.Close()
			}
			waitFor(t, func() bool { return srv.Sessions() == 0 }, "sessions to end")
			deadline := time.Now().Add(10 * time.Second)
			for settle() > base+10 && time.Now().Before(deadline) {
			}
			if left := runtime.NumGoroutine() - base; left > 10 {
				t.Errorf("after the sockets closed: %d goroutines more than before", left)
			}
		})
	}
}

// dialRaw opens a WebSocket by hand on a plain TCP connection that nothing
// reads afterwards (a client library would run goroutines of its own).
func dialRaw(t *testing.T, base, token string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /v1/ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", token)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("upgrade: got %s %s", resp.Status, b)
	}
	c.SetDeadline(time.Time{})
	return c
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestTransportAckEachEntryOfALongReplay: a client that acks every entry of
// a replay longer than the frame burst with a frame of its own (as the Go
// client does) is not closed for it: each entry sent allows one ack frame
// past the rate. Acks beyond what was delivered still meet the rate.
func TestTransportAckEachEntryOfALongReplay(t *testing.T) {
	for _, tr := range transports {
		t.Run(string(tr), func(t *testing.T) {
			srv := start(t, tr, gateway.Limits{FrameRate: 2, FrameBurst: 5})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			a, b := login(t, srv, "+14155550111"), login(t, srv, "+14155550112")
			dm, err := a.c.OpenDirect(ctx, b.AccountID)
			if err != nil {
				t.Fatal(err)
			}
			const away = 40
			for i := range away {
				if _, err := a.c.SendText(ctx, dm.ID, fmt.Sprintf("while away %d", i)); err != nil {
					t.Fatal(err)
				}
			}
			conn, err := b.c.Connect(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			acked := 0
			for {
				ev, err := conn.Next(ctx)
				if err != nil {
					t.Fatalf("after %d acks: %v", acked, err)
				}
				if ev.Type == wire.EventReady {
					break
				}
				if ev.Type == wire.EventEntry {
					if err := conn.Ack(ctx, ev.Entry.ID); err != nil {
						t.Fatal(err)
					}
					acked++
				}
			}
			if acked < away {
				t.Fatalf("replayed %d entries, want at least %d", acked, away)
			}
			if err := conn.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := next(ctx, conn, wire.EventPong); err != nil {
				t.Fatalf("after acking each of %d entries: %v, want the session open", acked, err)
			}

			// Acks for entries never sent have no credit: past the few
			// left, the session closes as for any frame over the rate.
			for i := range 3 * away {
				if conn.Ack(ctx, int64(1_000_000+i)) != nil {
					break
				}
			}
			if st := websocket.CloseStatus(untilClosed(ctx, conn)); st != websocket.StatusPolicyViolation {
				t.Errorf("after %d acks of nothing: close %d, want 1008", 3*away, st)
			}
		})
	}
}
