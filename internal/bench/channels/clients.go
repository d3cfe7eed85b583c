package channels

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/parleyhq/parley/internal/bench/procstat"
)

// The followers' sockets of `parley bench channels` live in child
// processes (RunClients, as `parley bench channels-clients`), so that the
// server's process can hold as many sockets as its open-file limit allows
// (one descriptor each instead of two). The parent talks to a child over
// its stdin and stdout, one line at a time:
//
//	parent → child        child → parent
//	tok TOKEN [URL]       (a device token to connect later, to URL or
//	                       else to ClientsConfig.URL: the node the
//	                       follower is on)
//	connect               ready N        (N sockets open)
//	arm                   armed          (count channel_post frames from 0)
//	                      done UNIXNANO  (every socket has one more post; wall
//	                                      clock of the last, comparable across
//	                                      processes on one machine)
//
// A child reads frames with coder/websocket and checks the type by prefix,
// without decoding the JSON: it stands for many phones, so it should cost
// the shared CPUs as little as it can.

// ClientsConfig is a clients process: the flags of `parley bench
// channels-clients`.
type ClientsConfig struct {
	URL string // the server's base URL, where a token without its own goes
	// Reader is "epoll" (a few loops read every socket) or "goroutines"
	// (coder/websocket, a goroutine per socket).
	Reader string
}

// RunClients is a clients process: it reads the parent's lines from in
// and answers on out until in ends.
func RunClients(ctx context.Context, cfg ClientsConfig, in io.Reader, out io.Writer) error {
	if cfg.Reader == "epoll" {
		return runClientsEpoll(ctx, cfg.URL, in, out)
	}
	return runClientsGoroutines(ctx, cfg.URL, in, out)
}

// runClientsGoroutines is RunClients with a goroutine per socket.
func runClientsGoroutines(ctx context.Context, url string, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var outMu sync.Mutex
	say := func(format string, a ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(stdout, format+"\n", a...)
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var tokens, urls []string
	var conns []*websocket.Conn
	var got, want atomic.Int64
	var wg sync.WaitGroup
	defer func() {
		cancel()
		for _, c := range conns {
			c.CloseNow()
		}
		wg.Wait()
	}()
	prefix := []byte(`{"type":"channel_post"`)
	read := func(c *websocket.Conn) {
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if bytes.HasPrefix(data, prefix) && got.Add(1) == want.Load() {
				say("done %d", time.Now().UnixNano())
			}
		}
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		verb, arg, _ := strings.Cut(sc.Text(), " ")
		switch verb {
		case "tok":
			tok, u, _ := strings.Cut(arg, " ")
			tokens, urls = append(tokens, tok), append(urls, cmp.Or(u, url))
		case "connect":
			var mu sync.Mutex
			var firstErr error
			sem := make(chan struct{}, 64)
			var cwg sync.WaitGroup
			for i, tok := range tokens[len(conns):] {
				wsURL := "ws" + strings.TrimPrefix(urls[len(conns)+i], "http") + "/v1/ws"
				sem <- struct{}{}
				cwg.Go(func() {
					defer func() { <-sem }()
					h := http.Header{"Authorization": {"Bearer " + tok}}
					c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: h})
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						firstErr = err
						return
					}
					c.SetReadLimit(1 << 20)
					conns = append(conns, c)
					wg.Go(func() { read(c) })
				})
			}
			cwg.Wait()
			if firstErr != nil {
				return fmt.Errorf("bench channels-clients: connect: %w", firstErr)
			}
			say("ready %d", len(conns))
		case "arm":
			got.Store(0)
			want.Store(int64(len(conns)))
			say("armed")
		}
	}
	return sc.Err()
}

// runClientsEpoll is RunClients with the epoll reader.
func runClientsEpoll(ctx context.Context, url string, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var outMu sync.Mutex
	say := func(format string, a ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(stdout, format+"\n", a...)
	}
	f, err := newEpollFollowers(runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	defer f.close()
	var got, want atomic.Int64
	onPost := func(n int) {
		now := got.Add(int64(n))
		if w := want.Load(); w > 0 && now >= w && now-int64(n) < w {
			say("done %d", time.Now().UnixNano())
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { f.run(ctx, onPost) })
	var tokens, addrs []string
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		verb, arg, _ := strings.Cut(sc.Text(), " ")
		switch verb {
		case "tok":
			tok, u, _ := strings.Cut(arg, " ")
			tokens, addrs = append(tokens, tok), append(addrs, hostPort(cmp.Or(u, url)))
		case "connect":
			var mu sync.Mutex
			var firstErr error
			sem := make(chan struct{}, 64)
			var cwg sync.WaitGroup
			have := int(f.n.Load())
			for i, tok := range tokens[have:] {
				addr := addrs[have+i]
				sem <- struct{}{}
				cwg.Go(func() {
					defer func() { <-sem }()
					if err := f.dial(ctx, addr, tok, onPost); err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
				})
			}
			cwg.Wait()
			if firstErr != nil {
				return fmt.Errorf("bench channels-clients: connect: %w", firstErr)
			}
			say("ready %d", f.n.Load())
		case "arm":
			want.Store(0)
			got.Store(0)
			want.Store(f.n.Load())
			say("armed")
		}
	}
	return sc.Err()
}

// clientProcs drives the children from `parley bench channels`.
type clientProcs struct {
	procs []*clientProc
}

type clientProc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	conns int
}

// startClientProcs starts n children, with command, that connect to url.
func startClientProcs(command []string, url string, n int, reader string, stderr io.Writer) (*clientProcs, error) {
	if len(command) == 0 {
		return nil, errors.New("bench channels: no command for the clients processes")
	}
	cp := &clientProcs{}
	for range n {
		cmd := exec.Command(command[0], append(command[1:len(command):len(command)], "-url", url, "-reader", reader)...)
		cmd.Stderr = stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			cp.close()
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			cp.close()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			cp.close()
			return nil, err
		}
		sc := bufio.NewScanner(out)
		cp.procs = append(cp.procs, &clientProc{cmd: cmd, in: in, out: sc})
	}
	return cp, nil
}

// expect reads the child's next line and checks its verb.
func (p *clientProc) expect(verb string) (string, error) {
	if !p.out.Scan() {
		return "", fmt.Errorf("child process ended (%v) waiting for %q", p.out.Err(), verb)
	}
	v, arg, _ := strings.Cut(p.out.Text(), " ")
	if v != verb {
		return "", fmt.Errorf("child process said %q, want %q", p.out.Text(), verb)
	}
	return arg, nil
}

// connect opens sockets until the children hold len(tokens) in all,
// spread evenly; follower i connects to urlOf(i), or to the children's
// -url when urlOf is nil.
func (cp *clientProcs) connect(tokens []string, urlOf func(i int) string) error {
	have := 0
	for _, p := range cp.procs {
		have += p.conns
	}
	for i := have; i < len(tokens); i++ {
		p := cp.procs[i%len(cp.procs)]
		if urlOf != nil {
			fmt.Fprintf(p.in, "tok %s %s\n", tokens[i], urlOf(i))
		} else {
			fmt.Fprintf(p.in, "tok %s\n", tokens[i])
		}
		p.conns++
	}
	errs := make(chan error, len(cp.procs))
	for _, p := range cp.procs {
		go func() {
			fmt.Fprintln(p.in, "connect")
			_, err := p.expect("ready")
			errs <- err
		}()
	}
	for range cp.procs {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

// arm resets the children's counts before a post.
func (cp *clientProcs) arm(int) error {
	for _, p := range cp.procs {
		fmt.Fprintln(p.in, "arm")
		if _, err := p.expect("armed"); err != nil {
			return err
		}
	}
	return nil
}

// wait waits until every socket has the post made at start and returns
// how long after start the last delivery came.
func (cp *clientProcs) wait(n int, start time.Time) (time.Duration, error) {
	last, err := cp.last(pushTimeout)
	if err != nil {
		return 0, fmt.Errorf("push to %d: %w", n, err)
	}
	return last.Sub(start), nil
}

// last waits until every socket has the post and returns the wall-clock
// time of the last delivery.
func (cp *clientProcs) last(timeout time.Duration) (time.Time, error) {
	type res struct {
		t   time.Time
		err error
	}
	ch := make(chan res, len(cp.procs))
	for _, p := range cp.procs {
		go func() {
			arg, err := p.expect("done")
			if err != nil {
				ch <- res{err: err}
				return
			}
			ns, err := strconv.ParseInt(arg, 10, 64)
			ch <- res{t: time.Unix(0, ns), err: err}
		}()
	}
	var last time.Time
	deadline := time.After(timeout)
	for range cp.procs {
		select {
		case r := <-ch:
			if r.err != nil {
				return last, r.err
			}
			if r.t.After(last) {
				last = r.t
			}
		case <-deadline:
			return last, fmt.Errorf("not every follower received the post after %s", timeout)
		}
	}
	return last, nil
}

// pids returns the children's process ids.
func (cp *clientProcs) pids() []int {
	var pids []int
	for _, p := range cp.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// cpu returns the CPU time the children used so far.
func (cp *clientProcs) cpu() time.Duration {
	var d time.Duration
	for _, p := range cp.procs {
		d += procstat.CPU(p.cmd.Process.Pid)
	}
	return d
}

func (cp *clientProcs) close() {
	for _, p := range cp.procs {
		p.in.Close()
		p.cmd.Wait()
	}
}
