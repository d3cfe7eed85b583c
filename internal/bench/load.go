package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// phase counts one measured window [start, end). Messages whose send
// started in the window are followed to delivery even after it ends.
type phase struct {
	start, end int64 // unix nanoseconds

	sent      atomic.Int64 // sends started in the window
	persisted atomic.Int64 // 201 answers received in the window
	expected  atomic.Int64 // envelopes of messages persisted whose send started in the window
	delivered atomic.Int64 // of those, how many reached their socket
	arrived   atomic.Int64 // message entries that reached a socket in the window
	receipts  atomic.Int64 // receipt entries that reached a socket in the window
	sendLat   Hist         // send start → 201
	delivLat  Hist         // send start → entry read from the recipient's socket (and decrypted, with -e2ee)
	crypto    cryptoCounts // client-side encryption work, with -e2ee

	mu     sync.Mutex
	errors map[string]int64
}

func (p *phase) inWindow(t int64) bool { return t >= p.start && t < p.end }

func (p *phase) fail(err error) {
	code := client.ErrorCode(err)
	if code == "" {
		code = "transport"
	}
	p.count(code)
}

// count records one failure of kind code.
func (p *phase) count(code string) {
	p.mu.Lock()
	p.errors[code]++
	p.mu.Unlock()
}

// load is the state of the throughput phases.
type load struct {
	o      Options
	users  []*user
	run    string // prefix of message ids, unique to this run
	cur    atomic.Pointer[phase]
	msgSeq atomic.Int64
	lost   atomic.Int64 // sockets that dropped
	errMu  sync.Mutex
	errs   []string

	// With -e2ee: messages decrypted, and messages that failed to, in
	// every phase and in the setup of the sessions.
	opened, openFailed atomic.Int64
}

func (l *load) socketFailed(err error) {
	l.lost.Add(1)
	l.errMu.Lock()
	if len(l.errs) < 5 {
		l.errs = append(l.errs, err.Error())
	}
	l.errMu.Unlock()
}

// readLoop reads u's socket until ctx ends, timing message entries and
// queueing every entry id for the ack loop.
func (l *load) readLoop(ctx context.Context, u *user) {
	for {
		ev, err := u.conn.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				l.socketFailed(err)
			}
			u.socketGone(fmt.Errorf("socket closed: %w", err))
			return
		}
		if (ev.Type == wire.EventSent || ev.Type == wire.EventError) && ev.MessageID != "" {
			u.mu.Lock()
			done := u.waiting[ev.MessageID]
			delete(u.waiting, ev.MessageID)
			u.mu.Unlock()
			if done != nil {
				var err error
				if ev.Error != nil {
					err = fmt.Errorf("%s: %s", ev.Error.Code, ev.Error.Message)
				}
				done <- err
			}
			continue
		}
		if ev.Type != wire.EventEntry || ev.Entry == nil {
			continue
		}
		e := ev.Entry
		u.mu.Lock()
		u.unacked = append(u.unacked, e.ID)
		u.mu.Unlock()
		p := l.cur.Load()
		var sent int64
		var stamped bool
		if e.Type == chatpkg.EntryMessage && e.Kind != chatpkg.KindSystem {
			if l.o.E2EE {
				// Every message, in a phase or not, so that the
				// device's sessions follow the sender's.
				sent, stamped = l.open(ctx, p, u, e)
			} else {
				sent, stamped = readStamp(e.Body)
			}
		}
		now := time.Now().UnixNano()
		if p == nil {
			continue
		}
		switch e.Type {
		case chatpkg.EntryMessage:
			if !stamped {
				continue
			}
			if p.inWindow(now) {
				p.arrived.Add(1)
			}
			if p.inWindow(sent) {
				p.delivered.Add(1)
				p.delivLat.Record(time.Duration(now - sent))
			}
		case chatpkg.EntryReceipt:
			if p.inWindow(now) {
				p.receipts.Add(1)
			}
		}
	}
}

// send posts one message from a random user to one of its chats. stamp is
// when the send was due (open loop) or zero (closed loop: now).
func (l *load) send(ctx context.Context, rng *rand.Rand, stamp time.Time) {
	u := l.users[rng.IntN(len(l.users))]
	ch := u.directs[rng.IntN(len(u.directs))]
	if u.group != nil && rng.Float64() < l.o.GroupRatio {
		ch = u.group
	}
	if stamp.IsZero() {
		stamp = time.Now()
	}
	l.sendTo(ctx, u, ch, stamp)
}

// sendTo posts one message from u to ch, stamped with stamp.
func (l *load) sendTo(ctx context.Context, u *user, ch *chat, stamp time.Time) {
	req := client.SendRequest{MessageID: l.run + strconv.FormatInt(l.msgSeq.Add(1), 36)}
	recipients := len(ch.members) - 1
	p := l.cur.Load()
	s := stamp.UnixNano()
	in := p.inWindow(s)
	if in {
		p.sent.Add(1)
	}
	var accepted func() // with -e2ee: tell the device the server took the message
	if l.o.E2EE {
		var counts *cryptoCounts
		if in {
			counts = &p.crypto
		}
		var err error
		if accepted, err = l.seal(ctx, counts, u, ch, &req, plainBody(l.o.BodySize, stamp)); err != nil {
			p.count("encrypt")
			return
		}
	} else {
		body := make([]byte, l.o.BodySize)
		putStamp(body, stamp)
		if ch == u.group && !l.o.PerDeviceGroups {
			req.Shared = body // one body for the whole group, stored once
		} else {
			req.Envelopes = make([]wire.Envelope, 0, recipients)
			for _, m := range ch.members {
				if m != u {
					req.Envelopes = append(req.Envelopes, wire.Envelope{DeviceID: m.dev, Body: body})
				}
			}
		}
	}
	var err error
	if l.o.WebSocketSends {
		err = l.sendOverSocket(ctx, u, ch.id, req)
	} else {
		_, err = u.c.Send(ctx, ch.id, req)
	}
	done := time.Now()
	if err != nil {
		if ctx.Err() == nil {
			p.fail(err)
		}
		return
	}
	if accepted != nil {
		accepted()
	}
	if p.inWindow(done.UnixNano()) {
		p.persisted.Add(1)
	}
	if in {
		p.expected.Add(int64(recipients))
		p.sendLat.Record(done.Sub(stamp))
	}
}

// sendOverSocket sends req on u's WebSocket and waits for its answer.
func (l *load) sendOverSocket(ctx context.Context, u *user, chatID int64, req client.SendRequest) error {
	done := make(chan error, 1)
	u.mu.Lock()
	if u.gone != nil {
		u.mu.Unlock()
		return u.gone
	}
	if u.waiting == nil {
		u.waiting = map[string]chan error{}
	}
	u.waiting[req.MessageID] = done
	u.mu.Unlock()
	if err := u.conn.Send(ctx, chatID, req); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closedLoop runs n senders, each sending its next message as soon as the
// previous one is answered, until end. Sends in flight at end are
// completed, not cancelled: a cancelled request may still commit.
func (l *load) closedLoop(ctx context.Context, n int, end time.Time) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil && time.Now().Before(end) {
				l.send(ctx, rng, time.Time{})
			}
		})
	}
	wg.Wait()
}

// openLoop sends at rate messages/s from start to end whatever the
// answers, with up to workers requests in flight. A send that cannot start
// on time waits, and its latency counts from when it was due, so a stalled
// server is not hidden (no coordinated omission).
func (l *load) openLoop(ctx context.Context, rate float64, start, end time.Time, workers int) {
	due := make(chan time.Time, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i)+1<<32, uint64(time.Now().UnixNano())))
			for t := range due {
				l.send(ctx, rng, t)
			}
		})
	}
	interval := time.Duration(float64(time.Second) / rate)
	total := int(end.Sub(start) / interval)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	next := 0
schedule:
	for next < total {
		now := time.Now()
		for next < total {
			at := start.Add(time.Duration(next) * interval)
			if at.After(now) {
				break
			}
			select {
			case due <- at:
				next++
			case <-ctx.Done():
				break schedule
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			break schedule
		}
	}
	close(due)
	wg.Wait()
}

// cpuTime returns this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineBusy returns the CPU time all processes have used, from
// /proc/stat (user, nice, system, irq, softirq, steal; USER_HZ = 100).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// runLoad sets up chats and sockets for users, then runs the warm-up, the
// maximum phase and the paced phase.
func runLoad(ctx context.Context, t Target, hc *http.Client, users []*user, o Options, rep *Report, logf func(string, ...any)) error {
	start := time.Now()
	directs, groups, err := makeChats(ctx, users, o.GroupSize, o.GroupRatio > 0, o.Parallel)
	if err != nil {
		return err
	}
	rep.Setup.DirectChats, rep.Setup.Groups, rep.Setup.ChatsTook = directs, groups, time.Since(start)
	rep.Setup.FanOut = fanOut(o)
	logf("%d users: %d 1:1 chats, %d groups of %d (%v)", len(users), directs, groups, o.GroupSize, rep.Setup.ChatsTook.Round(time.Millisecond))

	start = time.Now()
	if err := parallel(ctx, len(users), o.Parallel, func(ctx context.Context, i int) error {
		return users[i].connect(ctx, users[i].c)
	}); err != nil {
		return err
	}
	rep.Setup.ConnectTook = time.Since(start)
	logf("%d sockets open (%v)", len(users), rep.Setup.ConnectTook.Round(time.Millisecond))

	lctx, stop := context.WithCancel(ctx)
	l := &load{o: o, users: users, run: fmt.Sprintf("b%x-", rand.Uint32())}
	var wg sync.WaitGroup
	defer func() {
		stop()
		for _, u := range users {
			if u.conn != nil {
				_ = u.conn.Close()
			}
		}
		wg.Wait()
	}()
	for _, u := range users {
		u.ackc = make(chan struct{}, 1)
		wg.Go(func() { l.readLoop(lctx, u) })
		wg.Go(func() { u.ackLoop(lctx, l.socketFailed) })
	}
	wg.Go(func() {
		tick := time.NewTicker(o.AckInterval)
		defer tick.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-tick.C:
			}
			for _, u := range users {
				u.mu.Lock()
				n := len(u.unacked)
				u.mu.Unlock()
				if n > 0 {
					select {
					case u.ackc <- struct{}{}:
					default:
					}
				}
			}
		}
	})

	if o.E2EE {
		if err := l.setupE2EE(ctx, logf); err != nil {
			return err
		}
	}

	workers := max(4*o.Concurrency, 256)
	run := func(name string, d time.Duration, rate float64, profile bool) (*PhaseResult, error) {
		before, err := scrape(ctx, hc, t.metricsURL())
		if err != nil {
			return nil, err
		}
		cpu0, busy0 := cpuTime(), machineBusy()
		begin := time.Now().Add(20 * time.Millisecond)
		p := &phase{start: begin.UnixNano(), end: begin.Add(d).UnixNano(), errors: map[string]int64{}}
		l.cur.Store(p)
		var prof []byte
		var profErr error
		var pwg sync.WaitGroup
		if profile {
			pwg.Go(func() { prof, profErr = cpuProfile(ctx, hc, t.Control, d) })
		}
		if rate > 0 {
			l.openLoop(ctx, rate, begin, begin.Add(d), workers)
		} else {
			time.Sleep(time.Until(begin))
			l.closedLoop(ctx, o.Concurrency, begin.Add(d))
		}
		cpu, busy := cpuTime()-cpu0, machineBusy()-busy0
		after, err := scrape(ctx, hc, t.metricsURL())
		if err != nil {
			return nil, err
		}
		// Wait for the window's messages to arrive.
		drain := time.Now()
		for p.delivered.Load() < p.expected.Load() && time.Since(drain) < 10*time.Second && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		pwg.Wait()
		if profile {
			if profErr != nil {
				logf("cpu profile: %v", profErr)
			} else if err := os.WriteFile(o.CPUProfile, prof, 0o644); err != nil {
				return nil, err
			}
		}
		r := p.result(name, d, rate, o.Concurrency, before, after, cpu)
		r.OtherCPU = max(busy.Seconds()/d.Seconds()-r.ServerCPU-r.BenchCPU, 0)
		if rate > 0 {
			r.Concurrency = workers
		}
		r.Drain = time.Since(drain)
		if o.E2EE {
			r.E2EE = p.crypto.result()
		}
		return r, ctx.Err()
	}

	if o.Warmup > 0 {
		logf("warm-up %v", o.Warmup)
		if _, err := run("warm-up", o.Warmup, 0, false); err != nil {
			return err
		}
	}
	logf("maximum: %d senders, %v", o.Concurrency, o.Duration)
	r, err := run("maximum", o.Duration, 0, o.CPUProfile != "" && t.Control != "")
	if err != nil {
		return err
	}
	rep.Phases = append(rep.Phases, *r)
	logf("maximum: %.0f persisted/s, %.0f delivered/s", r.PersistedPerSec, r.DeliveredPerSec)
	rate := o.Rate
	if rate == 0 {
		rate = r.PersistedPerSec / 2
	}
	if rate > 0 {
		logf("paced: %.0f messages/s, %v", rate, o.Duration)
		r, err := run("paced", o.Duration, rate, false)
		if err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, *r)
		logf("paced: %.0f persisted/s, deliver p50 %v p99 %v", r.PersistedPerSec, r.DeliverP50, r.DeliverP99)
	}
	l.cur.Store(nil)
	rep.SocketsLost = l.lost.Load()
	rep.SocketErrors = l.errs
	return nil
}

func (p *phase) result(name string, d time.Duration, rate float64, conc int, before, after metrics, cpu time.Duration) *PhaseResult {
	secs := d.Seconds()
	r := &PhaseResult{
		Name: name, Duration: d, TargetRate: rate, Concurrency: conc,
		Sent: p.sent.Load(), Persisted: p.persisted.Load(), Expected: p.expected.Load(), Delivered: p.delivered.Load(),
		PersistedPerSec: float64(p.persisted.Load()) / secs,
		DeliveredPerSec: float64(p.arrived.Load()) / secs,
		ReceiptsPerSec:  float64(p.receipts.Load()) / secs,
		SendP50:         p.sendLat.Quantile(0.50), SendP99: p.sendLat.Quantile(0.99),
		DeliverP50: p.delivLat.Quantile(0.50), DeliverP99: p.delivLat.Quantile(0.99),
		DeliverP999: p.delivLat.Quantile(0.999), DeliverMax: p.delivLat.Max(),
		Errors:   p.errors,
		BenchCPU: cpu.Seconds() / secs,
	}
	delta := func(name string, match ...string) float64 {
		return after.sum(name, match...) - before.sum(name, match...)
	}
	r.ServerCPU = delta("process_cpu_seconds_total") / secs
	if n := delta("parley_commit_appends_count"); n > 0 {
		r.CommitsPerSec = n / secs
		r.AppendsPerCommit = delta("parley_commit_appends_sum") / n
		r.CommitMean = time.Duration(delta("parley_commit_seconds_sum") / n * float64(time.Second))
	}
	const sendRoute = `route="POST /v1/chats/{id}/messages"`
	if n := delta("parley_http_request_seconds_count", sendRoute); n > 0 {
		r.ServerSendMean = time.Duration(delta("parley_http_request_seconds_sum", sendRoute) / n * float64(time.Second))
	}
	r.FramesPerSec = delta("parley_ws_frames_pushed_total") / secs
	return r
}

// cpuProfile fetches a CPU profile of the next d from a control endpoint.
func cpuProfile(ctx context.Context, hc *http.Client, control string, d time.Duration) ([]byte, error) {
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/cpu?seconds=%d", control, secs), nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cpu profile: %s", resp.Status)
	}
	return readAll(resp)
}
