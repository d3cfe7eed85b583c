package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/client"
)

// memSample is the server's memory at one moment.
type memSample struct {
	RSS        int64
	HeapInuse  int64
	StackInuse int64
	Goroutines int64
	Conns      int64 // parley_ws_connections
	// The kernel's memory, machine-wide: slab (socket, inode, file and
	// epoll structures) and TCP buffer pages. Zero off Linux.
	KernelSlab int64
	TCPBuffers int64
}

// kernelMem reads the slab total of /proc/meminfo and the TCP buffer
// pages of /proc/net/sockstat.
func kernelMem() (slab, tcp int64) {
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(line, "Slab: %d kB", &kb); err == nil {
				slab = kb << 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/net/sockstat"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var inuse, orphan, tw, alloc, pages int64
			if _, err := fmt.Sscanf(line, "TCP: inuse %d orphan %d tw %d alloc %d mem %d", &inuse, &orphan, &tw, &alloc, &pages); err == nil {
				tcp = pages * int64(os.Getpagesize())
			}
		}
	}
	return slab, tcp
}

// sampleMem forces a collection in the server when it has a control
// endpoint (so that the sample is what idle sockets retain, not garbage),
// then reads its memory.
func sampleMem(ctx context.Context, hc *http.Client, t Target) (memSample, error) {
	var s memSample
	if t.Control != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Control+"/gc", nil)
		if err != nil {
			return s, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return s, fmt.Errorf("force gc: %w", err)
		}
		var ms MemStats
		err = json.NewDecoder(resp.Body).Decode(&ms)
		resp.Body.Close()
		if err != nil {
			return s, fmt.Errorf("force gc: %w", err)
		}
	}
	m, err := scrape(ctx, hc, t.metricsURL())
	if err != nil {
		return s, err
	}
	s.HeapInuse = int64(m.sum("go_memstats_heap_inuse_bytes"))
	s.StackInuse = int64(m.sum("go_memstats_stack_inuse_bytes"))
	s.Goroutines = int64(m.sum("go_goroutines"))
	s.Conns = int64(m.sum("parley_ws_connections"))
	s.RSS = int64(m.sum("process_resident_memory_bytes"))
	s.KernelSlab, s.TCPBuffers = kernelMem()
	if t.PID > 0 {
		if r, err := rss(t.PID); err == nil {
			s.RSS = r
		}
	}
	return s, nil
}

// spreadDialer dials from 127.0.0.2, 127.0.0.3, … in turn, so that tens of
// thousands of sockets to one server port do not run out of ephemeral
// ports (about 28,000 per source and destination address pair).
func spreadDialer(target string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var next atomic.Uint32
	loopback := false
	if u, err := url.Parse(target); err == nil {
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.To4() != nil && ip.IsLoopback() {
			loopback = true
		}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 30 * time.Second}
		if loopback {
			n := next.Add(1)
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+n%64))}
		}
		return d.DialContext(ctx, network, addr)
	}
}

// runIdle opens one idle socket per user in IdleSteps steps and measures
// the server's memory before and after each step.
func runIdle(ctx context.Context, t Target, hc *http.Client, users []*user, o Options, rep *Report, logf func(string, ...any)) error {
	// The throughput sockets are closed; wait for the server to see it.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		m, err := scrape(ctx, hc, t.metricsURL())
		if err != nil {
			return err
		}
		if m.sum("parley_ws_connections") == 0 {
			break
		}
	}
	time.Sleep(500 * time.Millisecond)
	base, err := sampleMem(ctx, hc, t)
	if err != nil {
		return err
	}
	rep.IdleBase = base.result(base, 0, 0)
	logf("idle: server RSS %.1f MiB with no sockets", float64(base.RSS)/(1<<20))

	tr := &http.Transport{DialContext: spreadDialer(t.URL), MaxIdleConnsPerHost: -1, DisableKeepAlives: true}
	ws := &http.Client{Transport: tr}
	var mu sync.Mutex
	var open []*client.Conn
	defer func() {
		// Close in parallel: each close waits for the server's answer.
		_ = parallel(context.WithoutCancel(ctx), len(open), 256, func(ctx context.Context, i int) error {
			_ = open[i].Close()
			return nil
		})
	}()
	done := 0
	for step := 1; step <= o.IdleSteps; step++ {
		to := len(users) * step / o.IdleSteps
		start := time.Now()
		err := parallel(ctx, to-done, o.Parallel, func(ctx context.Context, i int) error {
			u := users[done+i]
			c := client.New(t.URL, client.WithHTTPClient(ws), client.WithToken(u.c.Token()))
			if err := u.connect(ctx, c); err != nil {
				return fmt.Errorf("idle socket %d: %w", done+i, err)
			}
			mu.Lock()
			open = append(open, u.conn)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return err
		}
		r := IdleResult{ConnectPerSec: float64(to-done) / time.Since(start).Seconds()}
		done = to
		time.Sleep(time.Second)
		s, err := sampleMem(ctx, hc, t)
		if err != nil {
			return err
		}
		r = s.result(base, done, r.ConnectPerSec)
		rep.Idle = append(rep.Idle, r)
		logf("idle: %d sockets, server RSS %.1f MiB, %.1f KiB per socket (%.0f connects/s)", s.Conns, float64(s.RSS)/(1<<20), r.RSSPerConn/1024, r.ConnectPerSec)
	}
	if o.HeapProfile != "" && t.Control != "" {
		if err := heapProfile(ctx, hc, t.Control, o.HeapProfile); err != nil {
			logf("heap profile: %v", err)
		}
	}
	return nil
}

// result is s measured against base, with sockets open.
func (s memSample) result(base memSample, sockets int, connectPerSec float64) IdleResult {
	r := IdleResult{Sockets: sockets, ServerSockets: s.Conns, RSS: s.RSS, HeapInuse: s.HeapInuse, StackInuse: s.StackInuse,
		Goroutines: s.Goroutines, ConnectPerSec: connectPerSec}
	if sockets > 0 {
		n := float64(sockets)
		r.RSSPerConn = float64(s.RSS-base.RSS) / n
		r.HeapPerConn = float64(s.HeapInuse-base.HeapInuse) / n
		r.StackPerConn = float64(s.StackInuse-base.StackInuse) / n
		r.GoroutinesPerConn = float64(s.Goroutines-base.Goroutines) / n
		// Both ends of a loopback socket are on this machine: the
		// server's end is taken as half of what the kernel grew by.
		r.KernelPerConn = float64(s.KernelSlab-base.KernelSlab+s.TCPBuffers-base.TCPBuffers) / n / 2
	}
	return r
}

func heapProfile(ctx context.Context, hc *http.Client, control, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, control+"/heap", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := readAll(resp)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func readAll(resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", resp.Request.URL.Path, err)
	}
	return b, nil
}
