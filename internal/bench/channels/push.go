package channels

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/bench/procstat"
	"github.com/parleyhq/parley/wire"
)

// pushTimeout is how long a push may take to reach every follower.
const pushTimeout = 60 * time.Second

// pushResult is the push to one number of online followers.
type pushResult struct {
	n                  int
	last               time.Duration
	perSecond          float64
	serverCPU, loadCPU time.Duration // CPU time per delivery: this process (or the nodes), the client processes
	benchCPU           time.Duration // with -nodes: this process (NATS, the owner's client)
	nodeFDs, clientFDs int           // the most descriptors open in one node's, one clients' process
	nodeRSS, clientRSS int64         // resident memory of all nodes, all clients processes
}

// followers hold the online followers' sockets: in child processes
// (clientProcs) or in this process (localFollowers).
type followers interface {
	// connect opens sockets until len(tokens) are open; follower i
	// connects to urlOf(i), or to the server's URL when urlOf is nil.
	connect(tokens []string, urlOf func(i int) string) error
	// arm starts counting a post's deliveries to n sockets from 0.
	arm(n int) error
	// wait waits until every socket has the post made at start, and
	// returns how long after start the last one had it.
	wait(n int, start time.Time) (time.Duration, error)
	cpu() time.Duration // CPU time of the processes holding the sockets, beyond this one
	pids() []int        // those processes
	close()
}

// startFollowers starts the holders of the followers' sockets: Clients
// child processes, or none with Clients 0.
func (r *run) startFollowers(ctx context.Context, cl *cluster) (followers, error) {
	if r.cfg.Clients > 0 {
		procs, err := startClientProcs(r.cfg.ClientsCommand, cl.url, r.cfg.Clients, r.cfg.ClientReader, r.cfg.Log)
		if err != nil {
			return nil, err
		}
		return procs, nil
	}
	return newLocalFollowers(ctx, cl.url), nil
}

// pushPhase brings each of the Online numbers of followers online in
// turn and times Pushes posts to them.
func (r *run) pushPhase(ctx context.Context, cl *cluster, f followers, tokens []string) ([]pushResult, error) {
	var results []pushResult
	for _, n := range r.cfg.Online {
		if err := f.connect(tokens[:n], cl.urlOf); err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		if err := r.waitIndexed(cl, n); err != nil {
			return nil, err
		}
		// A second more for the replays to end.
		time.Sleep(time.Second)
		r.logf("%d online, every session indexed; pushing (%s)", n, procstat.LoadAvg())
		res, err := r.pushTo(ctx, cl, f, n)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
	}
	return results, nil
}

// waitIndexed waits until n sessions have loaded the channel, on all
// nodes together.
func (r *run) waitIndexed(cl *cluster, n int) error {
	for deadline := time.Now().Add(5 * time.Minute); ; {
		k, err := cl.sessions(r.chID)
		if err != nil {
			return err
		}
		if k >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("push to %d: only %d sessions indexed under the channel", n, k)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pushTo times Pushes posts to n online followers, and the CPU time,
// descriptors and memory they cost.
func (r *run) pushTo(ctx context.Context, cl *cluster, f followers, n int) (pushResult, error) {
	var ds []time.Duration
	self0, load0, cpu0 := procstat.CPU(os.Getpid()), f.cpu(), cl.cpu()
	for range r.cfg.Pushes {
		if err := f.arm(n); err != nil {
			return pushResult{}, err
		}
		start := time.Now()
		if _, err := r.owner.Post(ctx, r.chID, wire.PostInput{Kind: wire.PostText, Text: "push"}); err != nil {
			return pushResult{}, err
		}
		d, err := f.wait(n, start)
		if err != nil {
			return pushResult{}, err
		}
		ds = append(ds, d)
	}
	deliveries := time.Duration(n * r.cfg.Pushes)
	self := procstat.CPU(os.Getpid())
	cpu, load, bench := (cl.cpu()-cpu0)/deliveries, (f.cpu()-load0)/deliveries, time.Duration(0)
	if cl.nodes != nil {
		bench = (self - self0) / deliveries
	}
	slices.Sort(ds)
	med := ds[len(ds)/2]
	res := pushResult{n: n, last: med, perSecond: float64(n) / med.Seconds(), serverCPU: cpu, loadCPU: load, benchCPU: bench}
	for _, pid := range cl.pids() {
		res.nodeFDs, res.nodeRSS = max(res.nodeFDs, procstat.FDs(pid)), res.nodeRSS+procstat.RSS(pid)
	}
	for _, pid := range f.pids() {
		res.clientFDs, res.clientRSS = max(res.clientFDs, procstat.FDs(pid)), res.clientRSS+procstat.RSS(pid)
	}
	r.logf("push to %d online: last delivery after %s (%s); all %s", n, med.Round(time.Microsecond), procstat.LoadAvg(), roundAll(ds))
	return res, nil
}

// roundAll formats durations to the millisecond, in order.
func roundAll(ds []time.Duration) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.Round(time.Millisecond).String())
	}
	return b.String()
}

// localFollowers hold the followers' sockets in this process, with the
// public client (-clients 0).
type localFollowers struct {
	url    string
	ctx    context.Context // the sockets' reads; cancel ends them
	cancel context.CancelFunc
	conns  []*client.Conn
	wg     sync.WaitGroup
	got    atomic.Int64
	want   atomic.Int64
	done   chan struct{} // the want-th post arrived
}

func newLocalFollowers(ctx context.Context, url string) *localFollowers {
	ctx, cancel := context.WithCancel(ctx)
	return &localFollowers{url: url, ctx: ctx, cancel: cancel, done: make(chan struct{}, 1)}
}

func (l *localFollowers) connect(tokens []string, _ func(int) string) error {
	sem := make(chan struct{}, 64)
	var mu sync.Mutex
	var firstErr error
	var cwg sync.WaitGroup
	for i := len(l.conns); i < len(tokens); i++ {
		sem <- struct{}{}
		cwg.Go(func() {
			defer func() { <-sem }()
			c, err := client.New(l.url, client.WithToken(tokens[i])).Connect(l.ctx, 0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = err
				return
			}
			l.conns = append(l.conns, c)
			l.wg.Go(func() { l.read(c) })
		})
	}
	cwg.Wait()
	return firstErr
}

// read counts a socket's channel posts until its context ends.
func (l *localFollowers) read(c *client.Conn) {
	for {
		ev, err := c.Next(l.ctx)
		if err != nil {
			return
		}
		if ev.Type == wire.EventChannelPost && l.got.Add(1) == l.want.Load() {
			l.done <- struct{}{}
		}
	}
}

func (l *localFollowers) arm(n int) error {
	l.got.Store(0)
	l.want.Store(int64(n))
	return nil
}

func (l *localFollowers) wait(n int, start time.Time) (time.Duration, error) {
	select {
	case <-l.done:
		return time.Since(start), nil
	case <-time.After(pushTimeout):
		return 0, fmt.Errorf("push to %d: only %d received after 60s", n, l.got.Load())
	}
}

func (l *localFollowers) cpu() time.Duration { return 0 } // counted with this process
func (l *localFollowers) pids() []int        { return nil }

func (l *localFollowers) close() {
	l.cancel()
	for _, c := range l.conns {
		c.Close()
	}
	l.wg.Wait()
}
