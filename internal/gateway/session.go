package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/wire"
)

// session is one device's socket. On the goroutine transport an idle
// session holds one goroutine (the reader); served on readiness it holds
// none (readiness.go). A frame is written directly by whoever pushes it
// when the socket is idle and takes it at once (send); a writer goroutine
// exists only while frames are queued behind a full socket.
type session struct {
	g      *Gateway
	p      parley.Principal
	sock   socket
	cancel context.CancelFunc

	frames *rate.Limiter // client frames; nil: no limit
	// ackCredit is one ack frame outside the frame rate for each entry
	// sent (at most maxAckCredit banked): a client that acks every entry
	// of a long replay one by one is not closed for it, while frames of
	// any other kind, and acks for nothing delivered, still meet the rate.
	ackCredit atomic.Int64
	sends     chan struct{} // a slot per send in flight (maxSendsInFlight)

	mu        sync.Mutex
	queue     [][]byte // encoded frames (textFrame) waiting for the writer
	queued    int      // bytes in queue and in the batch being written: what Limits.QueueBytes bounds
	writing   bool     // someone holds the write turn: a writer goroutine, or a direct send
	closeCode websocket.StatusCode
	closing   bool
	closed    bool
	replaying bool     // the inbox is being replayed; live entries are held
	held      [][]byte // live entry frames that arrived during replay
	heldBytes int      // bytes in held, bounded by Limits.QueueBytes too
	overflow  bool     // held overflowed; replay must read the inbox again
	floor     int64    // the last entry id replayed
	// replayed holds the ids of the last replayed entries, ascending (at
	// least the last backlogPage). PostgreSQL commits entries out of id
	// order, so a live entry at or below floor may be one the replay
	// could not see yet.
	replayed []int64
	pushed   int64 // the highest entry id sent, replayed or live
	gap      bool  // live entries after gapFrom may have been lost (markGap)
	gapFrom  int64
	since    map[int64]bool // while gap: ids pushed live since gapFrom, which fillGap skips
	watching []int64        // guarded by Gateway.mu
	channels []int64        // channels indexed for this session; guarded by Gateway.chmu

	// Served on readiness, client frames that may block (acks, typing,
	// presence, sends) run in order on a worker goroutine that exists
	// only while some wait (dispatch); during the replay they wait for it.
	jobs    []clientFrame
	working bool // a worker (or the replay) holds the turn of jobs
	stopped bool // no more client frames are taken (over the rate limit)
	refs    int  // holders of the session: its end runs when the last lets go (release)
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
func (s *session) pushEntry(frame []byte) { s.pushEntries([][]byte{frame}) }

// pushEntries is pushEntry for several live entries of one device, in id
// order; those it sends go out in one write.
func (s *session) pushEntries(frames [][]byte) {
	ids := make([]int64, len(frames))
	for i, f := range frames {
		ids[i] = entryID(f)
	}
	live := frames[:0:0]
	s.mu.Lock()
	for i, frame := range frames {
		id := ids[i]
		if !s.replaying && id > 0 && s.sentByReplay(id) {
			// A live event that lost the race with the replay, which sent it.
			continue
		}
		if s.replaying {
			if len(s.held) >= maxHeld || s.overBudget(s.heldBytes+len(frame)) {
				s.held, s.heldBytes, s.overflow = nil, 0, true
			} else if !s.overflow {
				s.held = append(s.held, frame)
				s.heldBytes += len(frame)
			}
			continue
		}
		s.pushed = max(s.pushed, id)
		if s.since != nil {
			s.since[id] = true
		}
		live = append(live, frame)
	}
	s.mu.Unlock()
	s.sentEntries(len(live))
	s.pushMany(live)
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
	if s.send(textFrame(payload)) && s.g.opts.Pushed != nil {
		s.g.opts.Pushed(1)
	}
}

// pushMany is push for several payloads. When nobody else is writing they
// go out as one write of their frames back to back; behind a busy socket
// they queue one by one, as push would queue them (the writer sends its
// queue in one writev anyway).
func (s *session) pushMany(payloads [][]byte) {
	if len(payloads) == 1 {
		for _, p := range payloads {
			s.push(p)
		}
		return
	}
	if len(payloads) == 0 {
		return
	}
	s.mu.Lock()
	busy := s.writing || len(s.queue) > 0
	s.mu.Unlock()
	if busy {
		for _, p := range payloads {
			s.enqueue(textFrame(p))
		}
		return
	}
	size := 0
	for _, p := range payloads {
		size += frameHeaderMax + len(p)
	}
	frames := make([]byte, 0, size)
	for _, p := range payloads {
		frames = appendTextFrame(frames, p)
	}
	if s.send(frames) && s.g.opts.Pushed != nil {
		s.g.opts.Pushed(len(payloads))
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
		go s.sock.close(closeSlow, closeReason(closeSlow)) // the handshake waits on the peer
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
// written here.
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
	sent, started, err := s.sock.tryWrite(frame)
	switch {
	case errors.Is(err, errSlow):
		s.mu.Lock()
		s.queue, s.queued, s.writing = nil, 0, false
		already := s.closing
		s.closing, s.closeCode = true, closeSlow
		s.mu.Unlock()
		if !already {
			go s.sock.close(closeSlow, closeReason(closeSlow))
		}
		return false
	case err != nil:
		s.fail()
		return false
	case started:
		// The socket is full: the writer finishes the frame (kept by the
		// socket), then what was queued meanwhile.
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
	go s.sock.closeNow()
}

// writeLoop holds the write turn until the queue is empty, writing what
// queued (and any frame tail a direct send left), waiting up to
// Limits.WriteTimeout per batch.
func (s *session) writeLoop() {
	for first := true; ; first = false {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 && !first {
			s.writing = false
			closing, code := s.closing, s.closeCode
			s.mu.Unlock()
			if closing {
				s.sock.close(code, closeReason(code))
			}
			return
		}
		s.mu.Unlock()
		err := s.sock.writeFrames(batch)
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
			s.sock.closeNow()
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
func (s *session) write(_ context.Context, payload []byte) error {
	return s.sock.writeFrames([][]byte{textFrame(payload)})
}

func closeReason(code websocket.StatusCode) string {
	switch code {
	case closeRevoked:
		return "device unlinked"
	case closeSlow:
		return "too slow; reconnect and resume"
	case websocket.StatusPolicyViolation:
		return "too many frames"
	case CloseReplaced:
		return "replaced by a newer connection"
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
		go s.sock.close(code, reason)
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
				s.mu.Lock()
				s.noteReplayed(last)
				s.mu.Unlock()
				s.sentEntries(1)
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
			s.mu.Lock()
			dup := s.sentByReplay(entryID(f))
			s.mu.Unlock()
			if !dup {
				s.pushEntry(f)
			}
		}
		return sent, nil
	}
}

// noteReplayed records that a replay sent entry id. Ids mostly come
// ascending; a gap fill rereads some. Called with s.mu held.
func (s *session) noteReplayed(id int64) {
	i, found := slices.BinarySearch(s.replayed, id)
	if found {
		return
	}
	if len(s.replayed) == 2*backlogPage {
		if i < backlogPage {
			return // older than what is kept
		}
		s.replayed = append(s.replayed[:0], s.replayed[backlogPage:]...)
		i -= backlogPage
	}
	s.replayed = slices.Insert(s.replayed, i, id)
}

// sentByReplay reports whether a replay sent entry id. Below the ids it
// remembers, an entry counts as sent: it would have had to commit more
// than a page of the device's entries late. At or above them, only the
// ids it sent count, so an entry that committed out of order, after the
// replay read past its id, still goes out. Called with s.mu held.
func (s *session) sentByReplay(id int64) bool {
	if id <= 0 || id > s.floor {
		return false
	}
	if len(s.replayed) == 0 || id < s.replayed[0] {
		return true
	}
	_, found := slices.BinarySearch(s.replayed, id)
	return found
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
	if len(s.replayed) > 0 && from == s.floor {
		// Nothing went live since the replay, and an entry that committed
		// late, below its last id, may have gone to the node the device
		// left: look from the first id the replay remembers and skip the
		// ones it sent.
		from = min(from, s.replayed[0]-1)
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
		id := entryID(frame)
		s.mu.Lock()
		sent := skip[id] || s.sentByReplay(id) // sent live or replayed already
		s.mu.Unlock()
		if !sent {
			s.push(frame)
		}
		return nil
	}
	if _, err := s.catchUp(ctx, from, push); err != nil {
		s.g.log.Warn("fill the gap of a bus outage", "device", s.p.DeviceID, "err", err)
		s.sock.closeNow() // the device resumes from its inbox on reconnect
	}
}

// clientFrame is what a client sends.
type clientFrame struct {
	Type     string  `json:"type"` // ack | typing | presence | ping | send
	IDs      []int64 `json:"ids,omitempty"`
	ChatID   int64   `json:"chat_id,omitempty"`
	State    string  `json:"state,omitempty"`
	Accounts []int64 `json:"accounts,omitempty"`
	// A send: the fields of POST /v1/chats/{id}/messages.
	MessageID string           `json:"message_id,omitempty"`
	Kind      wire.MessageKind `json:"kind,omitempty"`
	Ref       string           `json:"ref,omitempty"`
	Envelopes []wire.Envelope  `json:"envelopes,omitempty"`
	Shared    []byte           `json:"shared,omitempty"`
}

// maxSendsInFlight bounds the sends one session has waiting for their
// commit; a client that sends more waits (its frames are not read).
const maxSendsInFlight = 32

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
	case "send":
		if f.ChatID <= 0 {
			return f, &parley.Error{Code: parley.EInvalid, Message: "send needs chat_id", Details: map[string]any{"field": "chat_id"}}
		}
		if f.MessageID == "" {
			return f, &parley.Error{Code: parley.EInvalid, Message: "send needs message_id", Details: map[string]any{"field": "message_id"}}
		}
	default:
		return f, &parley.Error{Code: parley.EInvalid, Message: "type must be ack, typing, presence, ping or send", Details: map[string]any{"field": "type"}}
	}
	return f, nil
}

// readLoop reads the client's frames on the goroutine transport, one at a
// time on this goroutine, until the socket closes or the client goes over
// the frame rate.
func (s *session) readLoop(ctx context.Context, conn *websocket.Conn) {
	defer func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
	}()
	for {
		typ, data, err := conn.Read(ctx) // over Limits.MaxFrameBytes: the library closes with 1009
		if err != nil {
			return
		}
		f, ok := s.admit(typ == websocket.MessageText, data)
		if !ok {
			return
		}
		if f == nil {
			continue
		}
		if err := s.handle(ctx, *f); err != nil {
			s.sendError(err)
		}
	}
}

// admit checks a client frame against the frame rate and decodes it. It
// returns nil for a frame answered with an error frame already, and
// ok false when the client went over the rate: it was told, the session
// closes (policy violation), and no more frames are taken.
func (s *session) admit(text bool, data []byte) (f *clientFrame, ok bool) {
	var cf clientFrame
	var err error
	parsed := false
	if text && s.ackCredit.Load() > 0 {
		// An ack for entries sent does not count against the rate.
		cf, err = ParseClientFrame(data)
		parsed = true
		if err == nil && cf.Type == "ack" {
			if s.ackCredit.Add(-1) >= 0 {
				return &cf, true
			}
			s.ackCredit.Add(1)
		}
	}
	if s.frames != nil && !s.frames.Allow() {
		return nil, s.overRate()
	}
	if !text {
		s.sendError(&parley.Error{Code: parley.EMalformed, Message: "frames must be JSON text"})
		return nil, true
	}
	if !parsed {
		cf, err = ParseClientFrame(data)
	}
	if err != nil {
		s.sendError(err)
		return nil, true
	}
	return &cf, true
}

// overRate tells a client that went over the frame rate and closes its
// session (policy violation); it returns false, admit's ok.
func (s *session) overRate() bool {
	l := s.g.opts.Limits
	s.sendError(&parley.Error{Code: parley.ERateLimited,
		Message: fmt.Sprintf("too many frames: at most %g a second, %d at once", l.FrameRate, l.FrameBurst)})
	s.closeAfterFlush(websocket.StatusPolicyViolation, "too many frames")
	return false
}

// maxAckCredit bounds the ack frames a session may send past the frame
// rate (session.ackCredit): a client that stays away from acking cannot
// bank more than this for a burst later.
const maxAckCredit = 10000

// sentEntries grants the ack credit of n entry frames sent.
func (s *session) sentEntries(n int) {
	if n > 0 && s.ackCredit.Add(int64(n)) > maxAckCredit {
		s.ackCredit.Store(maxAckCredit)
	}
}

// maxJobs bounds the client frames waiting for a session's worker on the
// readiness path (the frame rate bounds them first, unless it is off); a
// client over it is closed as for the rate (policy violation).
const maxJobs = 4096

// frame takes a client frame on the readiness path, on the poller's
// goroutine: it must not block. A ping with nothing before it is
// answered at once; every other frame waits its turn for the worker.
func (s *session) frame(ctx context.Context, text bool, data []byte) {
	s.mu.Lock()
	stopped := s.stopped || s.refs == 0
	s.mu.Unlock()
	if stopped {
		return
	}
	f, ok := s.admit(text, data)
	if !ok {
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
		return
	}
	if f == nil {
		return
	}
	s.mu.Lock()
	if s.refs == 0 {
		s.mu.Unlock()
		return
	}
	if f.Type == "ping" && !s.working {
		s.mu.Unlock()
		s.push([]byte(`{"type":"pong"}`))
		return
	}
	if len(s.jobs) >= maxJobs {
		s.stopped = true
		s.mu.Unlock()
		s.sendError(&parley.Error{Code: parley.ERateLimited, Message: fmt.Sprintf("too many frames: at most %d waiting", maxJobs)})
		s.closeAfterFlush(websocket.StatusPolicyViolation, "too many frames")
		return
	}
	s.jobs = append(s.jobs, *f)
	start := !s.working
	if start {
		s.working = true
		s.refs++ // the worker's
	}
	s.mu.Unlock()
	if start {
		go func() {
			defer s.release()
			s.work(ctx)
		}()
	}
}

// work handles the waiting client frames in order until none is left,
// then gives up the turn. The caller holds it (s.working).
func (s *session) work(ctx context.Context) {
	for {
		s.mu.Lock()
		if len(s.jobs) == 0 {
			s.jobs, s.working = nil, false
			s.mu.Unlock()
			return
		}
		f := s.jobs[0]
		s.jobs[0] = clientFrame{}
		s.jobs = s.jobs[1:]
		s.mu.Unlock()
		if err := s.handle(ctx, f); err != nil {
			s.sendError(err)
		}
	}
}

// release lets go of one hold on the session (the replay and reader, the
// open socket, a worker); the last one ends it.
func (s *session) release() {
	s.mu.Lock()
	s.refs--
	last := s.refs == 0
	s.mu.Unlock()
	if last {
		s.g.end(s)
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
	case "send":
		s.sendMessage(ctx, f)
	}
	return nil
}

// sendMessage commits a message sent over the socket and answers with a "sent"
// event, or an "error" event naming the message. Sends run beside the read
// loop, up to maxSendsInFlight at once, so a client can pipeline them
// into the same group commit as HTTP sends; their answers may come in any
// order.
func (s *session) sendMessage(ctx context.Context, f clientFrame) {
	select {
	case s.sends <- struct{}{}:
	case <-ctx.Done():
		return
	}
	s.g.wg.Add(1)
	go func() {
		defer func() {
			<-s.sends
			s.g.wg.Done()
		}()
		res, err := s.g.svc.Send(ctx, s.p, chat.SendRequest{ChatID: f.ChatID, MessageID: f.MessageID, Kind: f.Kind,
			Ref: f.Ref, Envelopes: f.Envelopes, Shared: f.Shared})
		ev := wire.Event{Type: wire.EventSent, ChatID: f.ChatID, MessageID: f.MessageID, Sent: &res}
		if err != nil {
			if parley.ErrorCode(err) == parley.EInternal {
				s.g.log.Error("send over the socket", "device", s.p.DeviceID, "err", err)
			}
			ev = wire.Event{Type: wire.EventError, ChatID: f.ChatID, MessageID: f.MessageID, Error: &wire.Error{
				Code: parley.ErrorCode(err), Message: parley.ErrorMessage(err), Details: parley.ErrorDetails(err)}}
		}
		frame, _ := json.Marshal(ev)
		s.push(frame)
	}()
}

func (s *session) sendError(err error) {
	if parley.ErrorCode(err) == parley.EInternal {
		s.g.log.Error("session request failed", "device", s.p.DeviceID, "err", err)
	}
	frame, _ := json.Marshal(wire.Event{Type: wire.EventError, Error: &wire.Error{
		Code: parley.ErrorCode(err), Message: parley.ErrorMessage(err), Details: parley.ErrorDetails(err)}})
	s.push(frame)
}
