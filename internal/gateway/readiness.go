package gateway

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/parleyhq/parley"
)

// Sockets served on readiness (TransportReadiness). net/http still
// serves the HTTP request: authentication and validation run in
// ServeHTTP as on the goroutine transport. Then nbio's upgrader answers
// the handshake, takes the socket's descriptor from net/http (it dups
// it and closes the net.Conn) and hands it to its epoll poller. From
// then on, no goroutine waits on the socket and it has no buffer of its
// own: the poller reads it when it is readable, into one buffer shared by
// every socket, and parses its frames; nbio keeps only the bytes of a
// frame not whole yet, and the bytes the socket did not take yet.
//
// The poller runs every callback itself (ServerExecutor): frames of one
// socket are taken in order, and nothing that may block runs there.
// session.frame answers a ping at once and hands everything else (acks,
// typing, presence, sends: the database) to a worker goroutine of the
// session that exists only while frames wait (session.work). The replay
// and a session's end run on goroutines of their own too.
//
// Writes never wait: nbio writes what the socket takes and keeps the rest
// until epoll says the socket is writable. nbSocket counts the bytes it
// gave nbio and those the socket took (the engine's OnWrittenSize), which
// is how Limits.QueueBytes (closeSlow) and Limits.WriteTimeout apply; the
// library's own pongs go through the same count. Every frame is one
// Write of its encoded bytes, so frames never interleave.

// closeWait is how long a socket that was sent a close frame has to
// answer it (coder/websocket's close handshake waits as long).
const closeWait = 5 * time.Second

// readiness is the gateway's nbio engine and upgrader. The engine starts
// with the first socket it serves: nbio v1.6.8's pollers reset their
// shutdown flag when their goroutine begins, so a Stop right after Start
// (a server whose start failed after the gateway was made) could wait for
// ever; a gateway that serves no socket on readiness (TLS that Parley
// terminates) never starts it.
type readiness struct {
	engine *nbhttp.Engine
	up     *nbws.Upgrader

	mu      sync.Mutex
	started bool
	stopped bool
}

// errEngineStopped answers an upgrade that arrives after the gateway
// closed.
var errEngineStopped = errors.New("the readiness engine is stopped")

// start starts the engine once.
func (nb *readiness) start() error {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	if nb.stopped {
		return errEngineStopped
	}
	if !nb.started {
		if err := nb.engine.Start(); err != nil {
			return fmt.Errorf("start the readiness engine: %w", err)
		}
		nb.started = true
	}
	return nil
}

// engineStopWait bounds how long stop waits for nbio's pollers.
const engineStopWait = 10 * time.Second

var nbioLog sync.Once

func newReadiness(g *Gateway) (*readiness, error) {
	nbioLog.Do(func() { logging.SetLogger(nbioLogger{}) })
	l := g.opts.Limits
	backstop := 0 // nbio's own cap on a socket's unsent bytes: closes without a close frame
	if l.QueueBytes > 0 {
		backstop = 2*l.QueueBytes + 64<<10
	}
	engine := nbhttp.NewEngine(nbhttp.Config{
		Name:                    "parley-gateway",
		ServerExecutor:          func(f func()) { f() }, // on the poller; see above
		SupportServerOnly:       true,
		ReleaseWebsocketPayload: true,
		MaxWriteBufferSize:      backstop,
	})
	engine.OnWrittenSize(func(c *nbio.Conn, _ []byte, n int) {
		if ns := nbSocketOf(c); ns != nil {
			ns.wrote(n)
		}
	})
	up := nbws.NewUpgrader()
	up.Engine = engine
	up.KeepaliveTime = 0 // no read deadline: an idle socket may stay (as on the goroutine transport)
	up.MessageLengthLimit = int(l.MaxFrameBytes)
	up.ReleasePayload = true
	up.OnMessage(func(c *nbws.Conn, typ nbws.MessageType, data []byte) {
		if ns, _ := c.Session().(*nbSocket); ns != nil {
			ns.onFrame(typ == nbws.TextMessage, data)
		}
	})
	up.SetPingHandler(func(c *nbws.Conn, data string) {
		if ns, _ := c.Session().(*nbSocket); ns != nil {
			_ = ns.write(controlFrame(0x8a, []byte(data)), false) // pong, counted with the data frames
		}
	})
	up.SetCloseHandler(func(c *nbws.Conn, code int, reason string) {
		// The peer closes, or answers our close; nbio closes the socket
		// when this returns.
		ns, _ := c.Session().(*nbSocket)
		if ns == nil || ns.closeSent.Swap(true) {
			return
		}
		var payload []byte
		if code != 1005 { // no status
			payload = binary.BigEndian.AppendUint16(nil, uint16(code))
		}
		_ = ns.write(controlFrame(0x88, payload), false)
	})
	up.OnClose(func(c *nbws.Conn, _ error) {
		if ns, _ := c.SessionWithLock().(*nbSocket); ns != nil {
			ns.closed()
		}
	})
	return &readiness{engine: engine, up: up}, nil
}

// stop closes every socket the engine serves and stops its pollers, if it
// started. It gives up waiting after engineStopWait and says so: a
// shutdown must not hang on the library.
func (nb *readiness) stop(log *slog.Logger) {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	if nb.stopped {
		return
	}
	nb.stopped = true
	if !nb.started {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nb.engine.Stop()
	}()
	select {
	case <-done:
	case <-time.After(engineStopWait):
		log.Error("the readiness engine did not stop", "waited", engineStopWait)
	}
}

// isTCP reports whether r came on a TCP socket (not TLS: checked apart).
func isTCP(r *http.Request) bool {
	_, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	return ok
}

// serveReadiness upgrades r and hands its socket to the poller.
func (g *Gateway) serveReadiness(w http.ResponseWriter, r *http.Request, p parley.Principal, after int64) {
	if err := g.nb.start(); err != nil {
		g.log.Error("serve a socket on readiness", "device", p.DeviceID, "err", err)
		g.opts.WriteError(w, r, parley.Errorf(parley.EUnavailable, "the server is stopping; reconnect"))
		return
	}
	h := &nbHijacker{ResponseWriter: w}
	conn, err := g.nb.up.UpgradeAndTransferConnToPoller(h, r, nil)
	if err != nil {
		if h.orig != nil {
			_ = h.orig.Close()
		}
		g.log.Debug("upgrade on readiness", "device", p.DeviceID, "err", err)
		return
	}
	nbc, ok := conn.UnderlayerConn().(*nbio.Conn)
	if !ok { // nbio kept it blocking: not a socket this transport serves
		_ = conn.Close()
		if h.orig != nil {
			_ = h.orig.Close()
		}
		g.log.Error("upgrade on readiness: not a plain TCP socket", "device", p.DeviceID, "conn", fmt.Sprintf("%T", h.orig))
		return
	}
	l := g.opts.Limits
	ctx, cancel := context.WithCancel(context.Background())
	orig := h.orig // kept only to give a per-address slot back: a bare *net.TCPConn is closed already
	if _, wrapped := orig.(tcpConner); !wrapped {
		orig = nil
	}
	ns := &nbSocket{conn: conn, nbc: nbc, orig: orig, budget: int64(max(l.QueueBytes, 0)), timeout: l.WriteTimeout}
	s := g.newSession(p, ns, cancel)
	s.refs = 2       // run (then the worker turn it holds during the replay), and the open socket
	s.working = true // frames wait for the replay's end
	ns.s = s
	ns.onFrame = func(text bool, data []byte) { s.frame(ctx, text, data) }
	conn.SetSession(ns)
	if closed, _ := nbc.IsClosed(); closed {
		ns.closed() // before SetSession: OnClose did not see it
	}
	g.wg.Add(1)
	go g.run(ctx, s, after, func() {
		s.work(ctx)
		s.release()
	})
}

// nbHijacker hands nbio's upgrader the TCP connection under the
// per-address limit's wrapper (internal/server), and keeps the wrapper to
// close it (giving the address's slot back) when the socket closes.
type nbHijacker struct {
	http.ResponseWriter
	orig net.Conn
}

// tcpConner is a connection that wraps a plain TCP connection.
type tcpConner interface{ TCP() *net.TCPConn }

func (h *nbHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.orig = conn
	if brw.Reader.Buffered() > 0 {
		// The client must wait for the handshake's answer before it
		// sends frames (RFC 6455 section 4.1); nbio would not see these.
		return nil, nil, errors.New("client sent data before the handshake's answer")
	}
	if tc, ok := conn.(tcpConner); ok {
		return tc.TCP(), brw, nil
	}
	return conn, brw, nil
}

// Unwrap lets http.ResponseController reach the writer's other methods.
func (h *nbHijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// nbSocket is a session's socket served on readiness.
type nbSocket struct {
	conn    *nbws.Conn
	nbc     *nbio.Conn
	orig    net.Conn // the connection net/http hijacked, closed again at the end (its address's slot)
	s       *session
	onFrame func(text bool, data []byte)
	budget  int64 // Limits.QueueBytes; 0: none
	timeout time.Duration

	given     atomic.Int64 // bytes given to nbio since the upgrade
	taken     atomic.Int64 // of those, bytes the socket took
	closeSent atomic.Bool
	ended     atomic.Bool
	drained   atomic.Pointer[chan struct{}] // a writeFrames waiting for room

	mu        sync.Mutex
	timer     *time.Timer // armed while bytes are unsent or a close is under way
	lastTaken int64
	closing   bool
}

// nbSocketOf returns the nbSocket of an nbio connection, or nil before
// the session is set (the handshake's answer).
func nbSocketOf(c *nbio.Conn) *nbSocket {
	wsc, _ := c.Session().(*nbws.Conn)
	if wsc == nil {
		return nil
	}
	ns, _ := wsc.Session().(*nbSocket)
	return ns
}

func (ns *nbSocket) unsent() int64 { return ns.given.Load() - ns.taken.Load() }

// wrote counts n bytes the socket took. It runs under nbio's lock of the
// connection: it must not call into the connection.
func (ns *nbSocket) wrote(n int) {
	ns.taken.Add(int64(n))
	if ch := ns.drained.Load(); ch != nil {
		select {
		case *ch <- struct{}{}:
		default:
		}
	}
}

// write gives b to nbio, which writes what the socket takes now and the
// rest when it is writable. With budgeted, b is refused (errSlow) when
// bytes are unsent and b would take them over the budget.
func (ns *nbSocket) write(b []byte, budgeted bool) error {
	if budgeted && ns.budget > 0 {
		if u := ns.unsent(); u > 0 && u+int64(len(b)) > ns.budget {
			return errSlow
		}
	}
	ns.given.Add(int64(len(b)))
	if _, err := ns.nbc.Write(b); err != nil {
		return err
	}
	if ns.unsent() > 0 {
		ns.arm()
	}
	return nil
}

func (ns *nbSocket) tryWrite(frame []byte) (bool, bool, error) {
	if err := ns.write(frame, true); err != nil {
		return false, false, err
	}
	return true, false, nil
}

// writeFrames writes frames, waiting while the socket holds its budget's
// worth of unsent bytes (the replay of a long inbox to a slow reader),
// up to the write timeout without progress.
func (ns *nbSocket) writeFrames(frames [][]byte) error {
	for _, f := range frames {
		for {
			err := ns.write(f, true)
			if !errors.Is(err, errSlow) {
				if err != nil {
					return err
				}
				break
			}
			if err := ns.waitRoom(int64(len(f))); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitRoom waits until n more bytes fit in the budget, or the socket
// took nothing for the write timeout.
func (ns *nbSocket) waitRoom(n int64) error {
	ch := make(chan struct{}, 1)
	ns.drained.Store(&ch)
	defer ns.drained.Store(nil)
	t := time.NewTimer(ns.timeout)
	defer t.Stop()
	last := ns.taken.Load()
	for {
		if u := ns.unsent(); u == 0 || u+n <= ns.budget {
			return nil
		}
		if closed, _ := ns.nbc.IsClosed(); closed {
			return net.ErrClosed
		}
		select {
		case <-ch:
		case <-t.C:
			if now := ns.taken.Load(); now == last {
				return fmt.Errorf("write: no progress for %v", ns.timeout)
			} else {
				last = now
			}
			t.Reset(ns.timeout)
		}
	}
}

// arm starts the watchdog if it is not running: a socket that takes none
// of its unsent bytes for the write timeout is closed.
func (ns *nbSocket) arm() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.timer == nil {
		ns.lastTaken = ns.taken.Load()
		ns.timer = time.AfterFunc(ns.timeout, ns.tick)
	}
}

// tick is the watchdog: it closes a socket that took nothing since the
// last tick while bytes were unsent, or that had its close frame for
// closeWait and did not answer; it stops once nothing is unsent.
func (ns *nbSocket) tick() {
	ns.mu.Lock()
	taken := ns.taken.Load()
	progressed := taken != ns.lastTaken
	ns.lastTaken = taken
	unsent := ns.unsent() > 0
	var stop bool
	switch {
	case ns.closing:
		stop = !unsent || !progressed
		if !stop {
			ns.timer.Reset(closeWait)
		}
	case !unsent:
		ns.timer = nil
	case progressed:
		ns.timer.Reset(ns.timeout)
	default:
		stop = true
	}
	ns.mu.Unlock()
	if stop {
		ns.closeNow()
	}
}

func (ns *nbSocket) close(code websocket.StatusCode, reason string) {
	if ns.closeSent.Swap(true) {
		return
	}
	payload := binary.BigEndian.AppendUint16(nil, uint16(code))
	payload = append(payload, reason[:min(len(reason), 123)]...)
	if err := ns.write(controlFrame(0x88, payload), false); err != nil {
		ns.closeNow()
		return
	}
	ns.mu.Lock()
	ns.closing = true
	if ns.timer != nil {
		ns.timer.Stop()
	}
	ns.lastTaken = ns.taken.Load()
	ns.timer = time.AfterFunc(closeWait, ns.tick)
	ns.mu.Unlock()
}

func (ns *nbSocket) closeNow() { _ = ns.conn.Close() }

// closed runs once when the socket has closed: it stops the watchdog,
// gives the address's slot back and lets go of the session, on a
// goroutine of its own (the session's end may write to the database;
// this may be the poller).
func (ns *nbSocket) closed() {
	if ns.ended.Swap(true) {
		return
	}
	ns.mu.Lock()
	if ns.timer != nil {
		ns.timer.Stop()
		ns.timer = nil
	}
	ns.mu.Unlock()
	if ns.orig != nil {
		_ = ns.orig.Close()
	}
	s := ns.s
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	go s.release()
}

// controlFrame encodes a control frame (payload of at most 125 bytes)
// with its first byte: FIN and the opcode.
func controlFrame(first byte, payload []byte) []byte {
	return append([]byte{first, byte(len(payload))}, payload...)
}

// nbioLogger sends nbio's errors to slog's default logger; its other
// messages (engine started, stopped) are dropped.
type nbioLogger struct{}

func (nbioLogger) Debug(string, ...any) {}
func (nbioLogger) Info(string, ...any)  {}
func (nbioLogger) Warn(format string, v ...any) {
	slog.Warn("nbio: " + fmt.Sprintf(format, v...))
}
func (nbioLogger) Error(format string, v ...any) {
	slog.Error("nbio: " + fmt.Sprintf(format, v...))
}
