// Package bench is Parley's load generator, behind `parley bench
// messaging`. Simulated users register through the real API, each holds a
// WebSocket and acknowledges what it receives, and senders post 1:1 and
// group messages; it reports messages persisted and delivered per second,
// latency from send to delivery, and the server's memory per idle
// connection (docs/PERFORMANCE.md).
//
// The server is reached only as a client would reach it (HTTP, WebSocket,
// /metrics), plus, when Spawn started it as a separate process, the
// ControlHandler of that process for CPU profiles and forced collections.
// The package imports the domain package, the public client and, for the
// in-run baseline of raw commit speed, the SQLite store.
//
// The other load generators of `parley bench` are its subpackages, each a
// Config and a Run: channels (fan-out, with its child processes),
// business (the Cloud API) and billing (the rating engine); procstat reads
// the /proc figures they report. cmd/parley only parses their flags.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	chatpkg "github.com/parleyhq/parley/chat"
)

// Options configure a run. Zero fields take the defaults beside them.
type Options struct {
	Users       int           // simulated users, each with one device and one socket; default 1000
	GroupSize   int           // members per group; default 8 (each user is in one group)
	GroupRatio  float64       // share of messages sent to a group, 0 to 1; default 0.2 (negative for none)
	Duration    time.Duration // length of each measured phase; default 10s
	Warmup      time.Duration // unmeasured load before the first phase; default 2s
	Concurrency int           // senders in the maximum-throughput phase (closed loop); default 64
	// Rate is the target of the paced phase in messages/s (open loop);
	// 0 means half the rate the maximum phase reached; negative skips it.
	Rate     float64
	BodySize int // bytes per envelope; default 200
	// PerDeviceGroups sends group messages as one envelope per recipient
	// device, as before shared bodies, instead of one shared body.
	PerDeviceGroups bool
	// E2EE encrypts every message with package e2ee as the clients do
	// (Olm per device for 1:1, one Megolm body for a group, whatever
	// PerDeviceGroups says; sessions set up before the phases) and counts
	// a delivery only once its recipient decrypted it.
	E2EE bool
	// WebSocketSends sends over each user's open WebSocket ("send"
	// frames) instead of one HTTP request per message.
	WebSocketSends bool
	AckInterval    time.Duration // how long a user gathers entry ids before acking them; default 100ms
	// Idle is the number of idle sockets for the memory phase; default
	// 50000, capped by the file-descriptor limit; negative skips the phase.
	Idle      int
	IdleSteps int // measure memory at this many equal steps up to Idle; default 2
	Parallel  int // concurrent registrations and connects; default 64
	// Accounts, if set, is a file of accounts registered by earlier runs
	// against the same server data: they are reused, and new ones are
	// added to it, so that a large idle phase registers its accounts once.
	Accounts string
	// Baseline measures the raw SQLite commit rate in this process first,
	// for the ratio of end-to-end to store speed.
	Baseline    bool
	CPUProfile  string    // write the server's CPU profile of the maximum phase here (needs Target.Control)
	HeapProfile string    // write the server's heap profile with every idle socket open here
	Log         io.Writer // progress; nil for none
}

func (o *Options) setDefaults() {
	if o.Users == 0 {
		o.Users = 1000
	}
	if o.GroupSize == 0 {
		o.GroupSize = 8
	}
	if o.GroupRatio == 0 {
		o.GroupRatio = 0.2
	}
	o.GroupRatio = min(max(o.GroupRatio, 0), 1)
	if o.Duration == 0 {
		o.Duration = 10 * time.Second
	}
	if o.Warmup == 0 {
		o.Warmup = 2 * time.Second
	}
	if o.Concurrency == 0 {
		o.Concurrency = 64
	}
	if o.BodySize == 0 {
		o.BodySize = 200
	}
	o.BodySize = max(o.BodySize, stampLen)
	if o.AckInterval == 0 {
		o.AckInterval = 100 * time.Millisecond
	}
	if o.Idle == 0 {
		o.Idle = 50000
	}
	if o.IdleSteps == 0 {
		o.IdleSteps = 2
	}
	if o.Parallel == 0 {
		o.Parallel = 64
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

func (o *Options) validate() error {
	switch {
	case o.Users < 2:
		return errors.New("users must be at least 2")
	case o.GroupSize < 2 && o.GroupRatio > 0:
		return errors.New("group size must be at least 2")
	case o.GroupSize > o.Users && o.GroupRatio > 0:
		return errors.New("group size must not exceed users")
	case o.Concurrency < 1 || o.Parallel < 1 || o.IdleSteps < 1:
		return errors.New("concurrency, parallel and idle steps must be positive")
	case o.Duration < 100*time.Millisecond:
		return errors.New("duration must be at least 100ms")
	case o.E2EE && o.Accounts != "":
		// The accounts file keeps no device keys, and an account's
		// signed device list cannot be taken over by a new key.
		return errors.New("e2ee needs fresh accounts: run without a kept data directory")
	}
	return nil
}

// Run runs the benchmark against t: setup, warm-up, the maximum and the
// paced phase, then the idle-memory phase. Every phase is bounded in time;
// ctx cancels the run.
func Run(ctx context.Context, t Target, o Options) (*Report, error) {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	rep := &Report{Start: time.Now().UTC(), Machine: machine(), Options: o, Store: t.Store, ServerPID: t.PID}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, "bench: "+format+"\n", args...) }

	idle := o.Idle
	if idle > 0 {
		// Leave room for the server's files and the sockets of the load
		// phases that it may still be closing.
		if limit := fdLimit(); limit > 0 && idle > limit*9/10 {
			rep.IdleNote = fmt.Sprintf("asked for %d idle sockets; capped at %d by RLIMIT_NOFILE %d (server and benchmark each hold one descriptor per socket)", idle, limit*9/10, limit)
			idle = limit * 9 / 10
		}
	}

	if o.Baseline {
		logf("baseline: raw SQLite commits")
		b, err := sqliteBaseline(ctx, o, fanOut(o))
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		rep.Baseline = b
	}

	tr := &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	accounts := max(o.Users, idle)
	var users []*user
	if o.Accounts != "" {
		var err error
		if users, err = loadAccounts(ctx, t, hc, o.Accounts); err != nil {
			return nil, err
		}
		rep.Setup.Reused = min(len(users), accounts)
		if len(users) > 0 {
			logf("reusing %d accounts from %s", rep.Setup.Reused, o.Accounts)
		}
	}
	if n := accounts - len(users); n > 0 {
		logf("registering %d accounts (%d at a time)", n, o.Parallel)
		start := time.Now()
		fresh, err := register(ctx, t, hc, n, o.Parallel)
		if err != nil {
			return nil, err
		}
		rep.Setup.Accounts, rep.Setup.RegisterTook = n, time.Since(start)
		logf("registered %d in %v (%.0f/s)", n, rep.Setup.RegisterTook.Round(time.Millisecond), float64(n)/rep.Setup.RegisterTook.Seconds())
		if o.Accounts != "" {
			if err := saveAccounts(o.Accounts, fresh); err != nil {
				return nil, fmt.Errorf("save accounts: %w", err)
			}
		}
		users = append(users, fresh...)
	}
	users = users[:accounts]

	if err := runLoad(ctx, t, hc, users[:o.Users], o, rep, logf); err != nil {
		return rep, err
	}
	tr.CloseIdleConnections()
	if idle > 0 {
		if err := runIdle(ctx, t, hc, users[:idle], o, rep, logf); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// fanOut is the mean number of envelopes per message for o's mix.
func fanOut(o Options) float64 {
	return (1-o.GroupRatio)*1 + o.GroupRatio*float64(o.GroupSize-1)
}

// fdLimit returns the soft RLIMIT_NOFILE (which the Go runtime raises to
// the hard limit at start), or 0 when unknown.
func fdLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return int(min(l.Cur, 1<<30))
}

// phones returns n valid, distinct US numbers (+1415…) from a
// random starting point, so that runs against a kept server do not collide.
func phones(n int) []string {
	// San Francisco numbers +1 415 NXX XXXX with N in 2..9 are all valid
	// for libphonenumber: 8 million of them, walked from a random start so
	// that runs against one server rarely collide. (A walk through UK
	// mobile blocks once hit long invalid stretches and took minutes.)
	const span = 8_000_000
	out := make([]string, 0, n)
	start := rand.IntN(span)
	for i := 0; len(out) < n && i < span; i++ {
		p := fmt.Sprintf("+1415%07d", 2_000_000+(start+i)%span)
		if norm, err := chatpkg.NormalizePhone(p); err == nil {
			out = append(out, norm)
		}
	}
	return out
}

// parallel calls fn(i) for i in [0, n) with at most par at a time and
// returns the first error; it stops starting new calls after an error.
func parallel(ctx context.Context, n, par int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	idx := make(chan int)
	for range min(par, n) {
		wg.Go(func() {
			for i := range idx {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// tempDir makes a directory for the baseline database.
func tempDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "parley-bench-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Clean(dir), func() { os.RemoveAll(dir) }, nil
}
