package gateway

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/coder/websocket"
)

// socket is the connection under a session: what the session's logic
// (replay, held entries, the write turn, budgets, close codes; session.go)
// needs of a transport. Three kinds:
//
//   - rawSocket: coder/websocket on a goroutine per socket, with frames
//     written straight to the TCP socket (wire.go);
//   - libSocket: coder/websocket writing every frame itself (TLS that
//     Parley terminates, and the FanoutWorkers -1 benchmark path);
//   - nbSocket: the socket served on readiness by nbio (readiness.go), with
//     no goroutine and no buffer of its own while idle.
//
// Frames are encoded once by the session (textFrame); a buffer may hold
// several frames back to back (pushMany).
type socket interface {
	// tryWrite writes frame if the socket takes it now, without waiting.
	// sent: all of it went out. started: part of it did (or the socket
	// was full); the rest is kept and writeFrames must finish it before
	// anything else. Neither: nothing was written; the session's writer
	// goroutine writes it with writeFrames. errSlow: the socket holds more
	// than Limits.QueueBytes unsent; the session closes it (closeSlow).
	tryWrite(frame []byte) (sent, started bool, err error)
	// writeFrames writes any unsent tail, then frames, in order, waiting
	// up to Limits.WriteTimeout for the peer to take them. After an error
	// the stream is broken: close the socket.
	writeFrames(frames [][]byte) error
	// close sends a close frame with code and reason after everything
	// written, and closes the socket when the peer answers or after a
	// timeout. It may wait: callers run it on its own goroutine.
	close(code websocket.StatusCode, reason string)
	// closeNow closes the socket at once.
	closeNow()
}

// errSlow is tryWrite's answer when a socket's unsent bytes are over
// Limits.QueueBytes.
var errSlow = errors.New("socket over its queue budget")

// rawSocket is coder/websocket with frames written to the TCP socket
// under it (wireConn): a goroutine per socket reads.
type rawSocket struct {
	conn *websocket.Conn
	wc   *wireConn
}

func (s *rawSocket) tryWrite(frame []byte) (bool, bool, error) { return s.wc.tryWrite(frame) }
func (s *rawSocket) writeFrames(frames [][]byte) error         { return s.wc.writeFrames(frames) }
func (s *rawSocket) close(code websocket.StatusCode, reason string) {
	_ = s.conn.Close(code, reason)
}
func (s *rawSocket) closeNow() { _ = s.conn.CloseNow() }

// libSocket is coder/websocket writing every frame itself: the payloads
// are taken out of the encoded frames and written one by one, each within
// the write timeout. Nothing is written without the writer goroutine.
type libSocket struct {
	conn    *websocket.Conn
	timeout time.Duration
}

func (s *libSocket) tryWrite([]byte) (bool, bool, error) { return false, false, nil }

func (s *libSocket) writeFrames(frames [][]byte) error {
	for _, buf := range frames {
		for len(buf) > 0 {
			payload, rest := nextPayload(buf)
			ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
			err := s.conn.Write(ctx, websocket.MessageText, payload)
			cancel()
			if err != nil {
				return err
			}
			buf = rest
		}
	}
	return nil
}

func (s *libSocket) close(code websocket.StatusCode, reason string) {
	_ = s.conn.Close(code, reason)
}
func (s *libSocket) closeNow() { _ = s.conn.CloseNow() }

// nextPayload splits the first frame (as appendTextFrame encodes it) off
// buf: its payload and what follows.
func nextPayload(buf []byte) (payload, rest []byte) {
	n, h := uint64(buf[1]&0x7f), 2
	switch n {
	case 126:
		n, h = uint64(binary.BigEndian.Uint16(buf[2:4])), 4
	case 127:
		n, h = binary.BigEndian.Uint64(buf[2:10]), 10
	}
	end := h + int(n)
	return buf[h:end], buf[end:]
}
