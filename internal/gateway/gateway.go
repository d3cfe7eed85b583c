// Package gateway owns the WebSocket sessions: one socket per device. It
// replays a device's inbox on connect, then pushes live events that arrive
// on the bus (new entries, typing, presence), and takes acks, typing and
// presence subscriptions from the client. It imports the domain package,
// coder/websocket and lesismal/nbio (sockets served on readiness,
// readiness.go); it knows nothing of SQL or NATS.
//
// Lock order: Gateway.mu before session.mu. Neither is held while writing
// to a socket or calling the Service. wireConn.mu (wire.go) guards the
// socket's bytes and is taken alone; so is nbSocket.mu (readiness.go).
package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/wire"
)

// Fixed limits of one session; the configurable ones are in Limits.
const (
	backlogPage = 500  // entries per inbox read during replay
	maxQueued   = 8192 // frames queued for a slow socket before it is dropped
	maxHeld     = 8192 // live entries held during replay before falling back to the inbox

	defaultWriteTimeout = 15 * time.Second // Limits.WriteTimeout
)

// Limits bound what one session may cost the server and how much a
// client may ask of it (docs/SECURITY.md, "Connections, timeouts and
// WebSocket budgets"). Zero fields take the defaults of setDefaults; a
// negative value turns that limit off.
type Limits struct {
	// QueueBytes is the byte budget of frames queued for a socket that
	// does not take them as fast as they come. A session over it is
	// closed (closeSlow, 4002); the device resumes from its inbox on
	// reconnect, where every unacknowledged entry still is. Default 1 MiB.
	QueueBytes int
	// WriteTimeout bounds one write of queued frames to the socket; a
	// client that reads nothing for that long is dropped. Default 15s.
	WriteTimeout time.Duration
	// FrameRate and FrameBurst limit the frames a client sends (acks,
	// typing, presence, pings): FrameRate per second on average, up to
	// FrameBurst at once. A client over the limit gets a rate_limited
	// error frame and the session is closed (policy violation, 1008).
	// Defaults 20 per second, burst 100.
	FrameRate  float64
	FrameBurst int
	// MaxFrameBytes is the largest frame a client may send; a larger one
	// closes the session (message too big, 1009). Default 64 KiB (an ack
	// of 1000 ids is about 20 KiB).
	MaxFrameBytes int64
}

func (l *Limits) setDefaults() {
	if l.QueueBytes == 0 {
		l.QueueBytes = 1 << 20
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = defaultWriteTimeout
	}
	if l.FrameRate == 0 {
		l.FrameRate = 20
	}
	if l.FrameBurst <= 0 {
		l.FrameBurst = 100
	}
	if l.MaxFrameBytes <= 0 {
		l.MaxFrameBytes = 64 << 10
	}
}

// Close codes beyond the standard ones.
const (
	closeRevoked websocket.StatusCode = 4001 // the device was unlinked
	closeSlow    websocket.StatusCode = 4002 // too far behind; reconnect and resume from the inbox
	// CloseReplaced closes a socket when a newer one for the same device
	// arrives; the old client should not reconnect.
	CloseReplaced websocket.StatusCode = 4003
)

// Options are the gateway's collaborators besides the Service and Bus.
type Options struct {
	Logger *slog.Logger
	// WriteError writes an error response before the upgrade, in the API's
	// error shape (httpjson.WriteError).
	WriteError  func(w http.ResponseWriter, r *http.Request, err error)
	Connections func(delta int) // observes connects and disconnects; may be nil
	Pushed      func(n int)     // observes frames written; may be nil
	// FanoutWorkers is how many goroutines write a channel post to the
	// online followers' sockets (fanout.go); 0 means GOMAXPROCS. -1 keeps
	// the path before batched writes (every frame through the websocket
	// library, one writer goroutine woken per session), for benchmarks.
	FanoutWorkers int
	// Channels lists the channels an account follows, so that their
	// posts reach its sessions; nil: no channel pushes.
	Channels FollowedChannels
	// Limits bound each session.
	Limits Limits
	// Transport is how sockets are served: TransportReadiness (the
	// default, Linux) or TransportGoroutine. Sockets that are not plain
	// TCP (TLS that Parley terminates) always use the goroutine transport,
	// and so does every socket with FanoutWorkers -1.
	Transport Transport
}

// Transport is how the gateway serves its sockets (docs/ARCHITECTURE.md).
type Transport string

const (
	// TransportReadiness serves plain TCP sockets with nbio: an epoll
	// poller reads a socket when it is readable, into a buffer it shares
	// with every socket; an idle socket holds no goroutine and no buffer.
	TransportReadiness Transport = "readiness"
	// TransportGoroutine serves each socket with coder/websocket on a
	// goroutine of its own, which reads it.
	TransportGoroutine Transport = "goroutine"
)

// FollowedChannels is what the gateway needs of the channels context.
type FollowedChannels interface {
	FollowedChannelIDs(ctx context.Context, p parley.Principal) ([]int64, error)
}

// Gateway is the WebSocket endpoint. Create it with New, mount it as an
// http.Handler, and call Shutdown then Close when stopping.
type Gateway struct {
	svc     *chat.Service
	log     *slog.Logger
	opts    Options
	unsubs  []func() error
	closing atomic.Bool
	wg      sync.WaitGroup

	mu       sync.Mutex
	devices  map[int64]*session              // by device id
	accounts map[int64]map[*session]struct{} // by account id
	watchers map[int64]map[*session]struct{} // presence watchers by watched account id

	chmu  sync.Mutex                      // guards chans and session.channels; see channels.go
	chans map[int64]map[*session]struct{} // online followers' sessions by channel id

	fan *fanout    // writes channel posts; nil on the per-session path (FanoutWorkers -1)
	nb  *readiness // serves plain TCP sockets on readiness; nil on the goroutine transport
}

// New subscribes to the bus and returns a Gateway.
func New(svc *chat.Service, bus chat.Bus, o Options) (*Gateway, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Limits.setDefaults()
	if o.WriteError == nil {
		o.WriteError = func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, parley.ErrorMessage(err), http.StatusBadRequest)
		}
	}
	g := &Gateway{svc: svc, log: o.Logger, opts: o,
		devices: map[int64]*session{}, accounts: map[int64]map[*session]struct{}{}, watchers: map[int64]map[*session]struct{}{}}
	if o.FanoutWorkers >= 0 {
		workers := o.FanoutWorkers
		if workers == 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		g.fan = newFanout(workers)
	}
	switch o.Transport {
	case "", TransportReadiness:
		o.Transport = TransportReadiness
		if runtime.GOOS != "linux" || o.FanoutWorkers < 0 {
			o.Transport = TransportGoroutine
		}
	case TransportGoroutine:
	default:
		return nil, fmt.Errorf("gateway transport %q: want %q or %q", o.Transport, TransportReadiness, TransportGoroutine)
	}
	g.opts.Transport = o.Transport
	if o.Transport == TransportReadiness && o.FanoutWorkers >= 0 {
		nb, err := newReadiness(g)
		if err != nil {
			if g.fan != nil {
				g.fan.close()
			}
			return nil, err
		}
		g.nb = nb
	}
	subs := []struct {
		subject string
		fn      func(id int64, data []byte)
	}{
		{"parley.dev.*", g.onDevice},
		{"parley.acct.*", g.onAccount},
		{"parley.presence.*", g.onPresence},
		{"parley.channel.*", g.onChannel},
	}
	if w, ok := bus.(busWatcher); ok {
		w.WatchOutages(g.busDown, g.busUp)
	}
	if dir := svc.Directory(); dir != nil {
		unsub, err := bus.Subscribe(chat.NodeSubject(dir.Node()), g.onBatch)
		if err != nil {
			return nil, err
		}
		g.unsubs = append(g.unsubs, unsub)
	}
	for _, s := range subs {
		fn := s.fn
		unsub, err := bus.Subscribe(s.subject, func(subject string, data []byte) {
			id, err := strconv.ParseInt(subject[strings.LastIndexByte(subject, '.')+1:], 10, 64)
			if err != nil {
				return
			}
			fn(id, data)
		})
		if err != nil {
			g.Close()
			return nil, err
		}
		g.unsubs = append(g.unsubs, unsub)
	}
	return g, nil
}

// busWatcher is a bus that reports its outages (internal/nats): live
// entries published while it was down never arrive.
type busWatcher interface {
	WatchOutages(down, up func())
}

// recheckAfter is how long after a device connects to a node of a
// cluster the gateway reads its inbox once more (a few directory
// propagation delays).
const recheckAfter = 2 * time.Second

// gapFillers bounds the inbox reads after a bus outage.
const gapFillers = 8

// busDown marks, for every session, the last entry it got before the bus
// went down.
func (g *Gateway) busDown() {
	for _, s := range g.sessionList() {
		s.markGap()
	}
}

// busUp sends every session, from its inbox, what the bus may have lost
// while it was down, a few sessions at a time.
func (g *Gateway) busUp() {
	if g.closing.Load() {
		return
	}
	sessions := g.sessionList()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		work := make(chan *session)
		var wg sync.WaitGroup
		for range min(gapFillers, len(sessions)) {
			wg.Go(func() {
				for s := range work {
					s.fillGap(ctx)
				}
			})
		}
		for _, s := range sessions {
			work <- s
		}
		close(work)
		wg.Wait()
	}()
}

// sessionList returns the connected sessions.
func (g *Gateway) sessionList() []*session {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*session, 0, len(g.devices))
	for _, s := range g.devices {
		out = append(out, s)
	}
	return out
}

// Sessions returns the number of connected sockets.
func (g *Gateway) Sessions() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.devices)
}

func (g *Gateway) onDevice(id int64, data []byte) {
	g.mu.Lock()
	s := g.devices[id]
	g.mu.Unlock()
	if s == nil {
		return
	}
	if bytes.HasPrefix(data, []byte(`{"type":"revoked"`)) {
		s.push(data)
		s.closeAfterFlush(closeRevoked, "device unlinked")
		return
	}
	s.pushEntry(data)
}

// onBatch takes the entries the directory sent to this node. A device that
// left meanwhile gets its entry on its own subject, which every node hears.
//
// A batch is one commit, which may hold several messages for the same
// device (a busy group): each device's frames go out together, in one
// write, instead of one write system call per frame.
func (g *Gateway) onBatch(_ string, data []byte) {
	type deviceFrames struct {
		device int64
		frames [][]byte
	}
	var order []deviceFrames
	index := map[int64]int{}
	err := chat.ForEachInBatch(data, func(device int64, frame []byte) {
		frame = bytes.Clone(frame) // the bus may reuse data
		if i, ok := index[device]; ok {
			order[i].frames = append(order[i].frames, frame)
			return
		}
		index[device] = len(order)
		order = append(order, deviceFrames{device, [][]byte{frame}})
	})
	if err != nil {
		g.log.Warn("entry batch", "err", err)
	}
	sessions := make([]*session, len(order))
	g.mu.Lock()
	for i, d := range order {
		sessions[i] = g.devices[d.device]
	}
	g.mu.Unlock()
	for i, d := range order {
		s := sessions[i]
		if s == nil {
			for _, f := range d.frames {
				g.svc.Forward(d.device, f)
			}
			continue
		}
		s.pushEntries(d.frames)
	}
}

func (g *Gateway) onAccount(id int64, data []byte) {
	g.onChannelFollow(id, data)
	g.mu.Lock()
	var targets []*session
	for s := range g.accounts[id] {
		targets = append(targets, s)
	}
	g.mu.Unlock()
	for _, s := range targets {
		s.push(data)
	}
}

// onPresence forwards a presence change to local watchers who may still
// see it: privacy settings and blocks can change after a watch began, so
// each is checked again (presence changes are rare next to messages).
func (g *Gateway) onPresence(id int64, data []byte) {
	g.mu.Lock()
	var targets []*session
	for s := range g.watchers[id] {
		targets = append(targets, s)
	}
	g.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range targets {
			if ok, err := g.svc.MayWatchPresence(ctx, s.p, id); err == nil && ok {
				s.push(data)
			}
		}
	}()
}

// ServeHTTP upgrades an authenticated request to a device session.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.closing.Load() {
		g.opts.WriteError(w, r, parley.Errorf(parley.EUnavailable, "server is shutting down; retry"))
		return
	}
	p, err := g.svc.Authenticate(r.Context(), bearer(r))
	if err != nil {
		g.opts.WriteError(w, r, err)
		return
	}
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			g.opts.WriteError(w, r, &parley.Error{Code: parley.EInvalid, Message: "after must be a non-negative integer", Details: map[string]any{"field": "after"}})
			return
		}
	}
	// A plain request gets the API's error shape, not Accept's plain text.
	if !strings.Contains(strings.ToLower(r.Header.Get("Upgrade")), "websocket") {
		g.opts.WriteError(w, r, parley.Errorf(parley.EInvalid, "this endpoint speaks WebSocket only; send an upgrade request"))
		return
	}
	if g.nb != nil && r.TLS == nil && isTCP(r) {
		g.serveReadiness(w, r, p, after)
		return
	}
	// Keep the raw socket for frames written once for many (wire.go).
	hc := &hijackCapture{ResponseWriter: w, timeout: g.opts.Limits.WriteTimeout}
	if g.fan != nil {
		w = hc
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: []string{r.Host}})
	if err != nil {
		return // Accept has written the response
	}
	conn.SetReadLimit(g.opts.Limits.MaxFrameBytes)
	var sock socket = &libSocket{conn: conn, timeout: g.opts.Limits.WriteTimeout}
	if hc.wc != nil {
		sock = &rawSocket{conn: conn, wc: hc.wc}
	}
	// The session outlives this handler: returning lets net/http free the
	// request and its connection state (about 4 KiB), and the reader runs on
	// a fresh goroutine whose stack stays small (docs/PERFORMANCE.md).
	ctx, cancel := context.WithCancel(context.Background())
	s := g.newSession(p, sock, cancel)
	s.refs = 1 // run, then the reader
	g.wg.Add(1)
	go g.run(ctx, s, after, func() {
		go func() {
			defer s.release()
			s.readLoop(ctx, conn)
		}()
	})
}

// newSession returns a session of p on sock, replaying.
func (g *Gateway) newSession(p parley.Principal, sock socket, cancel context.CancelFunc) *session {
	s := &session{g: g, p: p, sock: sock, cancel: cancel, replaying: true, sends: make(chan struct{}, maxSendsInFlight)}
	if l := g.opts.Limits; l.FrameRate > 0 {
		s.frames = rate.NewLimiter(rate.Limit(l.FrameRate), l.FrameBurst)
	}
	return s
}

// run replays the inbox, then calls read (which takes over run's hold on
// the session) to take the client's frames; the session ends when its
// last holder lets go (release, end).
func (g *Gateway) run(ctx context.Context, s *session, after int64, read func()) {
	g.register(s)
	g.loadChannels(ctx, s)
	if g.opts.Connections != nil {
		g.opts.Connections(1)
	}
	if after > 0 {
		// The client holds everything up to its cursor: acks it sent
		// that were lost (a dropped socket, a dead node) are made good,
		// and entries that may have been on their way are sent again.
		from, err := g.svc.Resume(ctx, s.p, after)
		if err != nil && ctx.Err() == nil {
			g.log.Debug("resume failed", "device", s.p.DeviceID, "err", err)
		}
		after = from
	}
	if err := s.replay(ctx, after); err != nil {
		if ctx.Err() == nil {
			g.log.Debug("replay failed", "device", s.p.DeviceID, "err", err)
		}
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.sock.closeNow()
		s.release()
		return
	}
	if dir := g.svc.Directory(); dir != nil && dir.Peers() > 0 {
		// Another node may have sent an entry to the node this device
		// left before it heard where the device is now: read the inbox
		// once more when the directory has surely caught up.
		s.markGap()
		time.AfterFunc(recheckAfter, func() { s.fillGap(ctx) })
	}
	read()
}

// end cleans up after a session's last holder let go.
func (g *Gateway) end(s *session) {
	s.cancel()
	g.dropChannels(s)
	g.unregister(s)
	if g.opts.Connections != nil {
		g.opts.Connections(-1)
	}
	g.wg.Done()
}

func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		t, _ := strings.CutPrefix(h, "Bearer ")
		return strings.TrimSpace(t)
	}
	return r.URL.Query().Get("access_token")
}

func (g *Gateway) register(s *session) {
	g.mu.Lock()
	old := g.devices[s.p.DeviceID]
	g.devices[s.p.DeviceID] = s
	set := g.accounts[s.p.AccountID]
	if set == nil {
		set = map[*session]struct{}{}
		g.accounts[s.p.AccountID] = set
	}
	set[s] = struct{}{}
	first := len(set) == 1
	g.mu.Unlock()
	if dir := g.svc.Directory(); dir != nil {
		dir.Hold(s.p.DeviceID)
	}
	if old != nil {
		// One socket per device: the newer one wins.
		old.closeAfterFlush(CloseReplaced, "replaced by a newer connection")
	}
	if first {
		g.svc.SetPresence(context.Background(), s.p, true)
	}
}

func (g *Gateway) unregister(s *session) {
	g.mu.Lock()
	if g.devices[s.p.DeviceID] == s {
		delete(g.devices, s.p.DeviceID)
	}
	set := g.accounts[s.p.AccountID]
	delete(set, s)
	last := len(set) == 0
	if last {
		delete(g.accounts, s.p.AccountID)
	}
	for _, id := range s.watching {
		if w := g.watchers[id]; w != nil {
			delete(w, s)
			if len(w) == 0 {
				delete(g.watchers, id)
			}
		}
	}
	g.mu.Unlock()
	if dir := g.svc.Directory(); dir != nil {
		dir.Release(s.p.DeviceID)
	}
	if last && !g.closing.Load() {
		g.svc.SetPresence(context.Background(), s.p, false)
	}
}

func (g *Gateway) watch(s *session, ids []int64) (online []int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range ids {
		w := g.watchers[id]
		if w == nil {
			w = map[*session]struct{}{}
			g.watchers[id] = w
		}
		if _, ok := w[s]; !ok {
			w[s] = struct{}{}
			s.watching = append(s.watching, id)
		}
		if len(g.accounts[id]) > 0 {
			online = append(online, id)
		}
	}
	return online
}

// Shutdown tells every connected device to reconnect (to another node, or
// to this one when it is back), closes the sockets, and waits for their
// sessions to end or ctx to expire. New connections are refused.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.closing.Store(true)
	g.mu.Lock()
	all := make([]*session, 0, len(g.devices))
	for _, s := range g.devices {
		all = append(all, s)
	}
	g.mu.Unlock()
	frame, _ := json.Marshal(wire.Event{Type: wire.EventReconnect})
	for _, s := range all {
		s.push(frame)
		s.closeAfterFlush(websocket.StatusServiceRestart, "server restarting; reconnect")
	}
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, s := range all {
			s.sock.closeNow()
		}
		return ctx.Err()
	}
}

// Close unsubscribes from the bus and stops the fan-out helpers and the
// readiness engine (closing the sockets it still serves).
func (g *Gateway) Close() error {
	var errs []error
	for _, u := range g.unsubs {
		errs = append(errs, u())
	}
	g.unsubs = nil
	if g.fan != nil {
		g.fan.close()
	}
	if g.nb != nil {
		g.nb.stop(g.log)
	}
	return errors.Join(errs...)
}
