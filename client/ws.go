package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/parleyhq/parley/wire"
)

// EventPong is the answer to Conn.Ping (wire.EventPong).
const EventPong = wire.EventPong

// closeRevoked is the close code of a socket whose device was unlinked.
const closeRevoked websocket.StatusCode = 4001

// readLimit bounds one server frame: history bundles can be large.
const readLimit = 64 << 20

// Conn is an open WebSocket session of one device. The server first sends
// the backlog (an "entry" event per queued entry newer than the resume
// point, oldest first), then a "ready" event, then live events. Next must be
// called from one goroutine at a time; the other methods may be called from
// any goroutine.
type Conn struct {
	ws *websocket.Conn
}

// Connect opens the device's WebSocket. The server replays queued entries
// with id > after (all of them for 0). A failed handshake returns *Error:
// unauthenticated for a bad or revoked token, unavailable while the server
// shuts down.
func (c *Client) Connect(ctx context.Context, after int64) (*Conn, error) {
	u := c.base + "/v1/ws"
	if after > 0 {
		u += "?after=" + strconv.FormatInt(after, 10)
	}
	h := http.Header{}
	if t := c.Token(); t != "" {
		h.Set("Authorization", "Bearer "+t)
	}
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: c.hc, HTTPHeader: h})
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 {
			body := []byte(nil)
			if resp.Body != nil {
				body, _ = io.ReadAll(resp.Body)
			}
			return nil, errorFromBody(resp.StatusCode, body)
		}
		return nil, fmt.Errorf("dial websocket: %w", err)
	}
	ws.SetReadLimit(readLimit)
	return &Conn{ws: ws}, nil
}

// Next returns the next event from the server. An event of type "error"
// (wire.EventError) reports a rejected client frame; it is returned as an
// event, not as an error. If ctx ends while Next waits, the connection is
// closed (a property of the WebSocket library), so use a ctx that lives as
// long as the connection.
func (c *Conn) Next(ctx context.Context) (wire.Event, error) {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return wire.Event{}, fmt.Errorf("read event: %w", err)
		}
		if typ != websocket.MessageText {
			continue
		}
		var ev wire.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return wire.Event{}, fmt.Errorf("decode event: %w", err)
		}
		return ev, nil
	}
}

// clientFrame is what a client sends over the socket.
type clientFrame struct {
	Type     string  `json:"type"`
	IDs      []int64 `json:"ids,omitempty"`
	ChatID   int64   `json:"chat_id,omitempty"`
	State    string  `json:"state,omitempty"`
	Accounts []int64 `json:"accounts,omitempty"`
	*SendRequest
}

// Send sends a message over the socket, as Client.Send does over HTTP but
// without a request of its own. The answer comes later as an event: "sent"
// (wire.EventSent) with Sent set once the message is committed, or "error"
// with the same MessageID and ChatID. Several sends may be in flight; their
// answers may come in any order. A frame larger than the server's limit
// (64 KiB by default) closes the socket: send those over HTTP.
func (c *Conn) Send(ctx context.Context, chatID int64, req SendRequest) error {
	if req.Envelopes == nil {
		req.Envelopes = []wire.Envelope{}
	}
	return c.write(ctx, clientFrame{Type: "send", ChatID: chatID, SendRequest: &req})
}

func (c *Conn) write(ctx context.Context, f clientFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode %s frame: %w", f.Type, err)
	}
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("write %s frame: %w", f.Type, err)
	}
	return nil
}

// Ack acknowledges entries, removing them from the device's inbox (and
// telling senders their messages were delivered). Any number of ids may be
// given; they go 1000 to a frame.
func (c *Conn) Ack(ctx context.Context, ids ...int64) error {
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		if err := c.write(ctx, clientFrame{Type: "ack", IDs: ids[:n]}); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// Typing tells the other members of chatID that this account is composing
// or has paused (TypingComposing, TypingPaused).
func (c *Conn) Typing(ctx context.Context, chatID int64, state string) error {
	return c.write(ctx, clientFrame{Type: "typing", ChatID: chatID, State: state})
}

// WatchPresence subscribes to the online status of accounts (at most 256 a
// call) for as long as the connection lasts. Those the caller may see are
// reported at once if online, then on every change; the others are
// silently skipped.
func (c *Conn) WatchPresence(ctx context.Context, accounts ...int64) error {
	for len(accounts) > 0 {
		n := min(len(accounts), 256)
		if err := c.write(ctx, clientFrame{Type: "presence", Accounts: accounts[:n]}); err != nil {
			return err
		}
		accounts = accounts[n:]
	}
	return nil
}

// Ping asks the server for a "pong" event (EventPong).
func (c *Conn) Ping(ctx context.Context) error {
	return c.write(ctx, clientFrame{Type: "ping"})
}

// Close closes the connection normally. Closing a closed connection is
// not an error.
func (c *Conn) Close() error {
	if err := c.ws.Close(websocket.StatusNormalClosure, ""); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// ErrRevoked is returned by Stream when the device was unlinked.
var ErrRevoked = errors.New("this device was unlinked")

// ErrReplaced is returned by Stream when another connection for the same
// device (another process using the same token) took over: the server keeps
// one socket per device, and two streams would take turns forever.
var ErrReplaced = errors.New("another connection for this device replaced this one")

// ErrStop, returned by a Stream callback, ends Stream after the event is
// handled as if the callback had returned nil (an entry is acknowledged).
// Stream then returns nil.
var ErrStop = errors.New("stop streaming")

// StreamOption configures Stream.
type StreamOption func(*streamOptions)

type streamOptions struct {
	watch      []int64
	minBackoff time.Duration
	maxBackoff time.Duration
}

// StreamWatchPresence makes Stream subscribe to the presence of accounts on
// every connection.
func StreamWatchPresence(accounts ...int64) StreamOption {
	return func(o *streamOptions) { o.watch = append(o.watch, accounts...) }
}

// StreamBackoff sets the delays between reconnection attempts: the first
// is min, doubling up to max. The defaults are 250 ms and 15 s.
func StreamBackoff(min, max time.Duration) StreamOption {
	return func(o *streamOptions) { o.minBackoff, o.maxBackoff = min, max }
}

// Stream delivers the device's events to fn until ctx ends, fn returns an
// error, or the device is revoked. It connects (resuming after the entry id
// after), passes every event to fn in order, and acknowledges each entry
// once fn has returned nil for it. When the connection drops or the server
// sends a "reconnect" event, it reconnects with exponential backoff and
// resumes after the same entry id: the server resends whatever is still
// queued, so nothing is lost, not even an entry whose ack was lost with the
// connection; entries the server sends again are acknowledged again but
// not passed to fn twice.
//
// Stream returns ctx.Err() when ctx ends, nil when fn returns ErrStop, fn's
// other errors as they are, ErrRevoked after a "revoked" event (which fn
// sees first), ErrReplaced when another connection for the device took
// over, and an *Error when the server refuses the connection for good
// (unauthenticated, say).
func (c *Client) Stream(ctx context.Context, after int64, fn func(wire.Event) error, opts ...StreamOption) error {
	o := streamOptions{minBackoff: 250 * time.Millisecond, maxBackoff: 15 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	st := &streamState{after: after, seen: map[int64]bool{}}
	backoff := o.minBackoff
	for {
		ready, err := c.streamOnce(ctx, st, &o, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var sErr *streamError
		if errors.As(err, &sErr) {
			return sErr.err
		}
		var apiErr *Error
		if errors.As(err, &apiErr) && apiErr.Status < 500 && apiErr.Status != http.StatusTooManyRequests {
			return err
		}
		if ready {
			backoff = o.minBackoff
		}
		// Jitter spreads out clients reconnecting to a restarted server.
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(backoff*2, o.maxBackoff)
	}
}

// streamState is what Stream carries across connections.
type streamState struct {
	after   int64          // where every connection resumes: acked entries are gone, the rest come again
	seen    map[int64]bool // entry ids passed to fn, for dedup
	order   []int64        // seen, oldest first, to bound its size
	unacked []int64        // handled, but the ack has not been written
}

const maxSeen = 8192

func (s *streamState) remember(id int64) {
	s.seen[id] = true
	s.order = append(s.order, id)
	if len(s.order) > maxSeen {
		delete(s.seen, s.order[0])
		s.order = s.order[1:]
	}
}

// streamError carries an error that ends Stream (fn's, or ErrRevoked).
type streamError struct{ err error }

func (e *streamError) Error() string {
	if e.err == nil {
		return "stream stopped"
	}
	return e.err.Error()
}

// streamOnce runs one connection. ready reports whether it got as far as
// the ready event (so the backoff can start over).
func (c *Client) streamOnce(ctx context.Context, st *streamState, o *streamOptions, fn func(wire.Event) error) (ready bool, err error) {
	conn, err := c.Connect(ctx, st.after)
	if err != nil {
		return false, err
	}
	defer conn.ws.CloseNow()
	// Entries handled on an earlier connection whose ack could not be
	// written: ack them now. (Acks written but lost with the connection
	// are made good when the server resends those entries.)
	if len(st.unacked) > 0 {
		if err := conn.Ack(ctx, st.unacked...); err != nil {
			return false, err
		}
		st.unacked = nil
	}
	if len(o.watch) > 0 {
		if err := conn.WatchPresence(ctx, o.watch...); err != nil {
			return false, err
		}
	}
	for {
		ev, err := conn.Next(ctx)
		switch websocket.CloseStatus(err) {
		case closeRevoked:
			return ready, &streamError{ErrRevoked}
		case closeReplaced:
			// Reconnecting would only replace the other connection in turn.
			return ready, &streamError{ErrReplaced}
		}
		if err != nil {
			return ready, err
		}
		if ev.Type == wire.EventEntry && ev.Entry != nil {
			id := ev.Entry.ID
			if st.seen[id] {
				// Already handled; make sure it is acked.
				if err := conn.Ack(ctx, id); err != nil {
					return ready, err
				}
				continue
			}
		}
		if ev.Type == wire.EventReady {
			ready = true
		}
		stop := false
		if err := fn(ev); errors.Is(err, ErrStop) {
			stop = true
		} else if err != nil {
			_ = conn.Close()
			return ready, &streamError{err}
		}
		switch ev.Type {
		case wire.EventEntry:
			if ev.Entry == nil {
				continue
			}
			st.remember(ev.Entry.ID)
			if err := conn.Ack(ctx, ev.Entry.ID); err != nil {
				st.unacked = append(st.unacked, ev.Entry.ID)
				return ready, err
			}
		case wire.EventRevoked:
			return ready, &streamError{ErrRevoked}
		case wire.EventReconnect:
			if !stop {
				_ = conn.Close()
				return ready, nil
			}
		}
		if stop {
			// Close waits for the server's close frame, which it sends
			// after handling the ack written above.
			_ = conn.Close()
			return ready, &streamError{nil}
		}
	}
}

// closeReplaced is the close code the server uses when a newer socket for
// the same device replaces this one.
const closeReplaced websocket.StatusCode = 4003
