package gateway

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Raw frame writes. coder/websocket frames every Write again and has no
// prepared messages, and its Write blocks the caller (with a context
// timer) until the socket takes the frame. For a channel post to many
// followers the gateway encodes the frame once (textFrame) and writes the
// same bytes to each socket itself, without waiting on a full one.
//
// To do that it keeps the TCP connection under the websocket.Conn: Accept
// hijacks through hijackCapture, which wraps the net.Conn in a wireConn.
// Every byte sent on the socket goes through wireConn under its mutex:
// the library's own frames (pongs, close) through Write, data frames
// through tryWrite and writeFrames. A frame only half taken by the socket
// is kept in rest and goes out before anything else, so frames never
// interleave. Data frames are never written through the websocket.Conn
// once a session has a wireConn (the library may split a large frame over
// several Writes).
//
// Sockets that are not TCP (TLS in front of the gateway, tests with
// pipes) have no wireConn and use the websocket.Conn as before.

// wireConn is the raw socket of a session. It adds one mutex and a slice
// to the connection (the idle-memory figures of docs/PERFORMANCE.md).
type wireConn struct {
	net.Conn
	raw syscall.RawConn

	timeout time.Duration // of one writeFrames (Limits.WriteTimeout)

	mu   sync.Mutex
	rest []byte // the unsent tail of a frame; written before anything else
}

// Write writes p (a frame the websocket library built) after any unsent
// tail of a data frame. The library sets no deadline; its own timeout
// closes the connection.
func (c *wireConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rest) > 0 {
		if _, err := c.Conn.Write(c.rest); err != nil {
			return 0, err
		}
		c.rest = nil
	}
	return c.Conn.Write(p)
}

// Close closes the socket without taking the mutex, so that it unblocks a
// write in progress.
func (c *wireConn) Close() error { return c.Conn.Close() }

// tryWrite writes frame if the socket takes it now, without waiting. It
// returns sent when all of it went out. Otherwise started reports that
// part of it did (or that the socket was full): the rest is kept and
// must be finished by writeFrames before anything else is written. When
// neither, the socket was busy with another write and nothing was
// written. The caller must hold the session's write turn.
func (c *wireConn) tryWrite(frame []byte) (sent, started bool, err error) {
	if !c.mu.TryLock() {
		return false, false, nil
	}
	defer c.mu.Unlock()
	if len(c.rest) > 0 {
		// A library write failed half way; let the session's writer sort it out.
		return false, false, nil
	}
	// Control, not RawConn.Write: it only keeps the descriptor open
	// around the call, without the poller's write lock and readiness reset
	// that Write takes for a wait this never does (about 5 % of the push's
	// CPU at 100,000 followers). c.mu already orders the socket's writes.
	var n int
	var werr error
	err = c.raw.Control(func(fd uintptr) {
		for {
			n, werr = syscall.Write(int(fd), frame)
			if werr != syscall.EINTR {
				return // never wait for the socket to drain
			}
		}
	})
	if err != nil {
		return false, false, err
	}
	if werr == syscall.EAGAIN {
		n, werr = 0, nil
	}
	if werr != nil {
		return false, false, werr
	}
	if n == len(frame) {
		return true, false, nil
	}
	c.rest = frame[n:]
	return false, true, nil
}

// writeFrames writes any unsent tail, then frames, waiting up to
// c.timeout. After an error the stream is broken: close the socket.
func (c *wireConn) writeFrames(frames [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	bufs := make(net.Buffers, 0, len(frames)+1)
	if len(c.rest) > 0 {
		bufs = append(bufs, c.rest)
	}
	bufs = append(bufs, frames...)
	if len(bufs) == 0 {
		return nil
	}
	d := c.timeout
	if d <= 0 {
		d = defaultWriteTimeout
	}
	c.Conn.SetWriteDeadline(time.Now().Add(d))
	_, err := bufs.WriteTo(c.Conn) // one writev
	c.Conn.SetWriteDeadline(time.Time{})
	if err == nil {
		c.rest = nil
	}
	return err
}

// frameHeaderMax is the longest header of a server's frame.
const frameHeaderMax = 10

// textFrame encodes payload as one unmasked, final WebSocket text frame
// (RFC 6455 section 5.2), as a server sends it.
func textFrame(payload []byte) []byte {
	return appendTextFrame(make([]byte, 0, frameHeaderMax+len(payload)), payload)
}

// appendTextFrame appends payload to dst as textFrame encodes it.
func appendTextFrame(dst, payload []byte) []byte {
	n := len(payload)
	dst = append(dst, 0x81) // FIN, text
	switch {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// hijackCapture hands websocket.Accept a wireConn instead of the hijacked
// connection, when that connection is a plain socket.
type hijackCapture struct {
	http.ResponseWriter
	timeout time.Duration // the wireConn's
	wc      *wireConn
}

// Hijack hijacks the underlying connection and wraps it.
func (h *hijackCapture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return conn, brw, err
	}
	sc, ok := conn.(syscall.Conn)
	if !ok || brw.Writer.Buffered() > 0 {
		return conn, brw, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return conn, brw, nil
	}
	h.wc = &wireConn{Conn: conn, raw: raw, timeout: h.timeout}
	brw.Writer.Reset(h.wc) // the same 4 KiB buffer, now writing through wc
	return h.wc, brw, nil
}

// Unwrap lets http.ResponseController reach the writer's other methods.
func (h *hijackCapture) Unwrap() http.ResponseWriter { return h.ResponseWriter }
