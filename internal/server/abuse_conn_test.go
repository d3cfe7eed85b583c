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
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
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
	srv := servertest.Start(t, withLimits(server.Limits{ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}))
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
	time.Sleep(600 * time.Millisecond)
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
