package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/coder/websocket"

	"github.com/parleyhq/parley"
)

// session is one device's socket. An idle session holds one goroutine (the
// reader); a writer goroutine exists only while frames are queued.
type session struct {
	g      *Gateway
	p      parley.Principal
	conn   *websocket.Conn
	cancel context.CancelFunc

	mu        sync.Mutex
	queue     [][]byte // frames waiting for the writer
	writing   bool     // a writer goroutine is running
	closeCode websocket.StatusCode
	closing   bool
	closed    bool
	replaying bool     // the inbox is being replayed; live entries are held
	held      [][]byte // live entry frames that arrived during replay
	overflow  bool     // held overflowed; replay must read the inbox again
	floor     int64    // the last entry id replayed: live entries at or below it were sent already
	watching  []int64  // guarded by Gateway.mu
	channels  []int64  // channels indexed for this session; guarded by Gateway.chmu
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
	var ev parley.Event
	if json.Unmarshal(frame, &ev) == nil && ev.Entry != nil {
		return ev.Entry.ID
	}
	return 0
}

// pushEntry queues a live entry, or holds it while the inbox is replayed.
func (s *session) pushEntry(frame []byte) {
	s.mu.Lock()
	if id := entryID(frame); !s.replaying && id > 0 && id <= s.floor {
		// A live event that lost the race with the replay, which sent it.
		s.mu.Unlock()
		return
	}
	if s.replaying {
		if len(s.held) >= maxHeld {
			s.held, s.overflow = nil, true
		} else if !s.overflow {
			s.held = append(s.held, frame)
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.push(frame)
}

// push queues a frame for the writer, starting it if needed. A socket that
// falls maxQueued frames behind is closed; its device resumes from its
// inbox on reconnect, so nothing durable is lost.
func (s *session) push(frame []byte) {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return
	}
	if len(s.queue) >= maxQueued {
		s.queue = nil
		s.closing, s.closeCode = true, closeSlow
		s.mu.Unlock()
		s.conn.Close(closeSlow, "too slow; reconnect and resume")
		return
	}
	s.queue = append(s.queue, frame)
	start := !s.writing
	s.writing = true
	s.mu.Unlock()
	if start {
		go s.writeLoop()
	}
}

func (s *session) writeLoop() {
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.writing = false
			closing, code := s.closing, s.closeCode
			s.mu.Unlock()
			if closing {
				s.conn.Close(code, closeReason(code))
			}
			return
		}
		s.mu.Unlock()
		for _, f := range batch {
			ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
			err := s.conn.Write(ctx, websocket.MessageText, f)
			cancel()
			if err != nil {
				s.mu.Lock()
				s.closed, s.queue, s.writing = true, nil, false
				s.mu.Unlock()
				s.conn.CloseNow()
				return
			}
		}
		if s.g.opts.Pushed != nil {
			s.g.opts.Pushed(len(batch))
		}
	}
}

func closeReason(code websocket.StatusCode) string {
	switch code {
	case closeRevoked:
		return "device unlinked"
	case closeSlow:
		return "too slow; reconnect and resume"
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
	sent := 0
	last := after
	for {
		for {
			es, err := s.g.svc.Pending(ctx, s.p, last, backlogPage)
			if err != nil {
				return err
			}
			for i := range es {
				frame, err := json.Marshal(parley.Event{Type: parley.EventEntry, Entry: &es[i]})
				if err != nil {
					return err
				}
				wctx, cancel := context.WithTimeout(ctx, writeTimeout)
				err = s.conn.Write(wctx, websocket.MessageText, frame)
				cancel()
				if err != nil {
					return err
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
			// Too much arrived while replaying; it is all in the inbox.
			s.overflow, s.held = false, nil
			s.mu.Unlock()
			continue
		}
		held := s.held
		s.held, s.replaying, s.floor = nil, false, last
		s.mu.Unlock()
		for _, f := range held {
			if entryID(f) > last {
				s.push(f)
			}
		}
		break
	}
	ready, _ := json.Marshal(parley.Event{Type: parley.EventReady, Pending: sent})
	s.push(ready)
	return nil
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
		typ, data, err := s.conn.Read(ctx)
		if err != nil {
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
			frame, _ := json.Marshal(parley.Event{Type: parley.EventPresence, AccountID: id, State: "online"})
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
	frame, _ := json.Marshal(parley.Event{Type: parley.EventError, Error: &parley.WireError{
		Code: parley.ErrorCode(err), Message: parley.ErrorMessage(err), Details: parley.ErrorDetails(err)}})
	s.push(frame)
}
