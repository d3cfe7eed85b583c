package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// session is one device's socket. An idle session holds one goroutine (the
// reader). A frame is written directly by whoever pushes it when the
// socket is idle and takes it at once (send); a writer goroutine exists
// only while frames are queued behind a full socket.
type session struct {
	g      *Gateway
	p      parley.Principal
	conn   *websocket.Conn
	wc     *wireConn // the raw socket; nil when every frame goes through conn (wire.go)
	cancel context.CancelFunc

	frames *rate.Limiter // client frames; nil: no limit

	mu        sync.Mutex
	queue     [][]byte // frames waiting for the writer: encoded (textFrame) when wc is set, payloads otherwise
	queued    int      // bytes in queue and in the batch being written: what Limits.QueueBytes bounds
	writing   bool     // someone holds the write turn: a writer goroutine, or a direct send
	closeCode websocket.StatusCode
	closing   bool
	closed    bool
	replaying bool     // the inbox is being replayed; live entries are held
	held      [][]byte // live entry frames that arrived during replay
	heldBytes int      // bytes in held, bounded by Limits.QueueBytes too
	overflow  bool     // held overflowed; replay must read the inbox again
	floor     int64    // the last entry id replayed: live entries at or below it were sent already
	pushed    int64    // the highest entry id sent, replayed or live
	gap       bool     // live entries after gapFrom may have been lost (markGap)
	gapFrom   int64
	since     map[int64]bool // while gap: ids pushed live since gapFrom, which fillGap skips
	watching  []int64        // guarded by Gateway.mu
	channels  []int64        // channels indexed for this session; guarded by Gateway.chmu
}

// entryID reads the id of an entry event without decoding it all. The
// Service encodes parley.Event with "type" first and the entry's "id"
// first, so the prefix is fixed; anything else falls back to decoding.
func entryID(frame []byte) int64 {
	const prefix = `{"type":"entry","entry":{"id":`
	if bytes.HasPrefix(frame, []byte(prefix)) {
		rest := frame[len(prefix):]
		end := bytes.IndexAny(rest, ",}")
		if end > 0 {
			if id, err := strconv.ParseInt(string(rest[:end]), 10, 64); err == nil {
				return id
			}
		}
	}
	var ev wire.Event
	if json.Unmarshal(frame, &ev) == nil && ev.Entry != nil {
		return ev.Entry.ID
	}
	return 0
}

// pushEntry queues a live entry, or holds it while the inbox is replayed.
func (s *session) pushEntry(frame []byte) {
	id := entryID(frame)
	s.mu.Lock()
	if !s.replaying && id > 0 && id <= s.floor {
		// A live event that lost the race with the replay, which sent it.
		s.mu.Unlock()
		return
	}
	if s.replaying {
		if len(s.held) >= maxHeld || s.overBudget(s.heldBytes+len(frame)) {
			s.held, s.heldBytes, s.overflow = nil, 0, true
		} else if !s.overflow {
			s.held = append(s.held, frame)
			s.heldBytes += len(frame)
		}
		s.mu.Unlock()
		return
	}
	s.pushed = max(s.pushed, id)
	if s.since != nil {
		s.since[id] = true
	}
	s.mu.Unlock()
	s.push(frame)
}

// overBudget reports whether n queued bytes exceed Limits.QueueBytes.
func (s *session) overBudget(n int) bool {
	b := s.g.opts.Limits.QueueBytes
	return b > 0 && n > b
}

// push sends a frame (a JSON payload), or queues it behind the frames
// already waiting. A socket that falls maxQueued frames or
// Limits.QueueBytes bytes behind is closed; its device resumes from its
// inbox on reconnect, so nothing durable is lost.
func (s *session) push(payload []byte) {
	if s.wc == nil {
		s.enqueue(payload)
		return
	}
	if s.send(textFrame(payload)) && s.g.opts.Pushed != nil {
		s.g.opts.Pushed(1)
	}
}

// enqueue appends a frame for the writer goroutine, starting it if nobody
// holds the write turn.
func (s *session) enqueue(frame []byte) {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return
	}
	if len(s.queue) >= maxQueued || s.overBudget(s.queued+len(frame)) {
		// Drop what is queued now; the batch being written (if any) goes
		// when the writer returns, within Limits.WriteTimeout.
		s.queue, s.queued = nil, 0
		s.closing, s.closeCode = true, closeSlow
		s.mu.Unlock()
		go s.conn.Close(closeSlow, "too slow; reconnect and resume") // the handshake waits on the peer
		return
	}
	s.queue = append(s.queue, frame)
	s.queued += len(frame)
	start := !s.writing
	s.writing = true
	s.mu.Unlock()
	if start {
		go s.writeLoop()
	}
}

// send writes an encoded frame (textFrame) straight to the socket when
// nobody else is writing and the socket takes it without waiting: no
// goroutine is woken. Otherwise the frame is queued and the session's
// writer goroutine finishes it, so frames keep their order and a full
// socket never holds the caller. It reports whether the frame was
// written here. s.wc must be set.
func (s *session) send(frame []byte) bool {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return false
	}
	if s.writing || len(s.queue) > 0 {
		s.mu.Unlock()
		s.enqueue(frame)
		return false
	}
	s.writing = true // the write turn is ours
	s.mu.Unlock()
	sent, started, err := s.wc.tryWrite(frame)
	switch {
	case err != nil:
		s.fail()
		return false
	case started:
		// The socket is full: the writer finishes the frame (kept in
		// s.wc), then what was queued meanwhile.
		go s.writeLoop()
		return false
	case !sent:
		// A library write (a pong, a close) holds the socket: hand the
		// frame, ahead of what queued after it, and the turn to the writer.
		s.mu.Lock()
		s.queue = append([][]byte{frame}, s.queue...)
		s.queued += len(frame)
		s.mu.Unlock()
		go s.writeLoop()
		return false
	}
	s.mu.Lock()
	if len(s.queue) == 0 && !s.closing {
		s.writing = false
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	go s.writeLoop() // frames queued meanwhile, or a close to send
	return true
}

// fail marks the session closed after a failed write and drops the socket.
func (s *session) fail() {
	s.mu.Lock()
	s.closed, s.queue, s.queued, s.writing = true, nil, 0, false
	s.mu.Unlock()
	go s.conn.CloseNow()
}

// writeLoop holds the write turn until the queue is empty, writing what
// queued (and any frame tail a direct send left), waiting up to
// Limits.WriteTimeout per batch.
func (s *session) writeLoop() {
	for first := true; ; first = false {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 && !(first && s.wc != nil) {
			s.writing = false
			closing, code := s.closing, s.closeCode
			s.mu.Unlock()
			if closing {
				s.conn.Close(code, closeReason(code))
			}
			return
		}
		s.mu.Unlock()
		var err error
		if s.wc != nil {
			err = s.wc.writeFrames(batch)
		} else {
			for _, f := range batch {
				ctx, cancel := context.WithTimeout(context.Background(), s.g.opts.Limits.WriteTimeout)
				err = s.conn.Write(ctx, websocket.MessageText, f)
				cancel()
				if err != nil {
					break
				}
			}
		}
		n := 0
		for _, f := range batch {
			n += len(f)
		}
		s.mu.Lock()
		if s.closing {
			s.queued = 0 // nothing more is queued; enqueue may have dropped the rest
		} else {
			s.queued -= n
		}
		if err != nil {
			s.closed, s.queue, s.queued, s.writing = true, nil, 0, false
			s.mu.Unlock()
			s.conn.CloseNow()
			return
		}
		s.mu.Unlock()
		if s.g.opts.Pushed != nil && len(batch) > 0 {
			s.g.opts.Pushed(len(batch))
		}
	}
}

// write writes one payload during the replay, waiting up to
// Limits.WriteTimeout.
func (s *session) write(ctx context.Context, payload []byte) error {
	if s.wc != nil {
		return s.wc.writeFrames([][]byte{textFrame(payload)})
	}
	wctx, cancel := context.WithTimeout(ctx, s.g.opts.Limits.WriteTimeout)
	defer cancel()
	return s.conn.Write(wctx, websocket.MessageText, payload)
}

func closeReason(code websocket.StatusCode) string {
	switch code {
	case closeRevoked:
		return "device unlinked"
	case closeSlow:
		return "too slow; reconnect and resume"
	case websocket.StatusPolicyViolation:
		return "too many frames"
	case websocket.StatusServiceRestart:
		return "server restarting; reconnect"
	}
	return "closing"
}

// closeAfterFlush closes the socket once queued frames are written.
func (s *session) closeAfterFlush(code websocket.StatusCode, reason string) {
	s.mu.Lock()
	if s.closing || s.closed {
		s.mu.Unlock()
		return
	}
	s.closing, s.closeCode = true, code
	idle := !s.writing
	s.mu.Unlock()
	if idle {
		go s.conn.Close(code, reason)
	}
}

// replay sends the device's inbox (entries with id > after), then holds
// back nothing more: live entries that arrived meanwhile and are newer than
// the replay go out, and the client is told it is live.
func (s *session) replay(ctx context.Context, after int64) error {
	sent, err := s.catchUp(ctx, after, s.write)
	if err != nil {
		return err
	}
	ready, _ := json.Marshal(wire.Event{Type: wire.EventReady, Pending: sent})
	s.push(ready)
	return nil
}

// catchUp writes the device's inbox entries with id > after with write,
// while live entries are held (s.replaying), then releases the held ones
// that are newer, and counts what it wrote from the inbox.
func (s *session) catchUp(ctx context.Context, after int64, write func(context.Context, []byte) error) (int, error) {
	sent := 0
	last := after
	for {
		for {
			es, err := s.g.svc.Pending(ctx, s.p, last, backlogPage)
			if err != nil {
				return sent, err
			}
			for i := range es {
				frame, err := json.Marshal(wire.Event{Type: wire.EventEntry, Entry: &es[i]})
				if err != nil {
					return sent, err
				}
				if err := write(ctx, frame); err != nil {
					return sent, err
				}
				last = es[i].ID
				sent++
			}
			if len(es) < backlogPage {
				break
			}
		}
		s.mu.Lock()
		if s.overflow {
			// Too much arrived while replaying, or the bus lost some
			// (busUp): it is all in the inbox.
			s.overflow, s.held, s.heldBytes = false, nil, 0
			s.mu.Unlock()
			continue
		}
		held := s.held
		s.held, s.heldBytes, s.replaying, s.floor = nil, 0, false, max(s.floor, last)
		s.pushed = max(s.pushed, last)
		s.mu.Unlock()
		for _, f := range held {
			if entryID(f) > last {
				s.pushEntry(f)
			}
		}
		return sent, nil
	}
}

// markGap records the last entry pushed before live entries may have been
// lost (the bus went down, or the device just moved to this node).
func (s *session) markGap() {
	s.mu.Lock()
	if !s.gap {
		s.gap, s.gapFrom, s.since = true, s.pushed, map[int64]bool{}
	}
	s.mu.Unlock()
}

// fillGap sends, once the bus is back, the inbox entries the device may
// have missed while it was down: those after the last one pushed before
// the outage. A replay in progress reads the inbox again instead.
func (s *session) fillGap(ctx context.Context) {
	s.mu.Lock()
	from := s.pushed
	if s.gap {
		from = s.gapFrom
	}
	skip := s.since
	s.gap, s.since = false, nil
	if s.closed || s.closing {
		s.mu.Unlock()
		return
	}
	if s.replaying {
		s.overflow = true
		s.mu.Unlock()
		return
	}
	s.replaying = true
	s.mu.Unlock()
	push := func(_ context.Context, frame []byte) error {
		if !skip[entryID(frame)] { // sent live already
			s.push(frame)
		}
		return nil
	}
	if _, err := s.catchUp(ctx, from, push); err != nil {
		s.g.log.Warn("fill the gap of a bus outage", "device", s.p.DeviceID, "err", err)
		s.conn.CloseNow() // the device resumes from its inbox on reconnect
	}
}

// clientFrame is what a client sends.
type clientFrame struct {
	Type     string  `json:"type"` // ack | typing | presence | ping
	IDs      []int64 `json:"ids,omitempty"`
	ChatID   int64   `json:"chat_id,omitempty"`
	State    string  `json:"state,omitempty"`
	Accounts []int64 `json:"accounts,omitempty"`
}

// ParseClientFrame decodes and validates one client frame. It is exported
// for the fuzz test.
func ParseClientFrame(data []byte) (clientFrame, error) {
	var f clientFrame
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, &parley.Error{Code: parley.EMalformed, Message: "a frame must be one JSON object with known fields"}
	}
	if dec.More() {
		return f, &parley.Error{Code: parley.EMalformed, Message: "a frame must be one JSON object"}
	}
	switch f.Type {
	case "ack":
		if len(f.IDs) == 0 || len(f.IDs) > 1000 {
			return f, &parley.Error{Code: parley.EInvalid, Message: "ack needs 1 to 1000 ids", Details: map[string]any{"field": "ids"}}
		}
	case "typing":
		if f.ChatID <= 0 {
			return f, &parley.Error{Code: parley.EInvalid, Message: "typing needs chat_id", Details: map[string]any{"field": "chat_id"}}
		}
	case "presence":
		if len(f.Accounts) == 0 || len(f.Accounts) > 256 {
			return f, &parley.Error{Code: parley.EInvalid, Message: "presence needs 1 to 256 accounts", Details: map[string]any{"field": "accounts"}}
		}
	case "ping":
	default:
		return f, &parley.Error{Code: parley.EInvalid, Message: "type must be ack, typing, presence or ping", Details: map[string]any{"field": "type"}}
	}
	return f, nil
}

func (s *session) readLoop(ctx context.Context) {
	defer func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
	}()
	for {
		typ, data, err := s.conn.Read(ctx) // over Limits.MaxFrameBytes: the library closes with 1009
		if err != nil {
			return
		}
		if s.frames != nil && !s.frames.Allow() {
			l := s.g.opts.Limits
			s.sendError(&parley.Error{Code: parley.ERateLimited,
				Message: fmt.Sprintf("too many frames: at most %g a second, %d at once", l.FrameRate, l.FrameBurst)})
			s.closeAfterFlush(websocket.StatusPolicyViolation, "too many frames")
			return
		}
		if typ != websocket.MessageText {
			s.sendError(&parley.Error{Code: parley.EMalformed, Message: "frames must be JSON text"})
			continue
		}
		f, err := ParseClientFrame(data)
		if err != nil {
			s.sendError(err)
			continue
		}
		if err := s.handle(ctx, f); err != nil {
			s.sendError(err)
		}
	}
}

func (s *session) handle(ctx context.Context, f clientFrame) error {
	switch f.Type {
	case "ack":
		return s.g.svc.Ack(ctx, s.p, f.IDs)
	case "typing":
		return s.g.svc.Typing(ctx, s.p, f.ChatID, f.State)
	case "presence":
		var allowed []int64
		for _, id := range f.Accounts {
			ok, err := s.g.svc.MayWatchPresence(ctx, s.p, id)
			if err != nil && parley.ErrorCode(err) != parley.ENotFound {
				return err
			}
			if ok {
				allowed = append(allowed, id)
			}
		}
		for _, id := range s.g.watch(s, allowed) {
			frame, _ := json.Marshal(wire.Event{Type: wire.EventPresence, AccountID: id, State: "online"})
			s.push(frame)
		}
	case "ping":
		s.push([]byte(`{"type":"pong"}`))
	}
	return nil
}

func (s *session) sendError(err error) {
	if parley.ErrorCode(err) == parley.EInternal {
		s.g.log.Error("session request failed", "device", s.p.DeviceID, "err", err)
	}
	frame, _ := json.Marshal(wire.Event{Type: wire.EventError, Error: &wire.Error{
		Code: parley.ErrorCode(err), Message: parley.ErrorMessage(err), Details: parley.ErrorDetails(err)}})
	s.push(frame)
}
