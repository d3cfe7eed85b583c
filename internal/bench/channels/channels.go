// Package channels is the load generator behind `parley bench channels`:
// channel fan-out on a server in this process, or on K server nodes in
// child processes sharing one PostgreSQL schema and one NATS. It reports
// the write cost of a post with 1,000 and with all followers, the time
// until the last of N online followers has a post (push), and catch-up
// timeline reads (docs/CHANNELS.md, docs/PERFORMANCE.md).
//
// The followers' sockets are held by child processes (RunClients), or in
// this process; the nodes are child processes too (RunNode). Both are the
// same binary re-executed with a hidden subcommand that the caller names
// (Config.ClientsCommand, Config.NodeCommand) and wires to RunClients and
// RunNode; parent and child talk over the child's stdin and stdout, one
// line at a time (see clients.go and nodes.go).
//
// The bench seeds followers and devices straight into the store, then
// reaches the server as a client would: the public client and WebSockets.
package channels

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/bench/procstat"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/wire"
)

// Config is the run of `parley bench channels`; its fields are the flags.
type Config struct {
	Followers    int           // followers of the channel in the store
	Online       []int         // numbers of online followers to push to, each > 0
	Posts        int           // posts timed for the write cost
	Readers      int           // concurrent timeline readers
	ReadDuration time.Duration // length of the timeline read phase; <= 0 skips it
	Postgres     string        // PostgreSQL DSN instead of SQLite (the run uses a fresh schema in it)
	// Nodes is 1 for a server in this process, or K > 1 child processes
	// (NodeCommand) sharing Postgres and NATS.
	Nodes int
	// NATS is the server the nodes share; empty: one embedded in this
	// process on a free loopback port.
	NATS string
	// Clients is the number of child processes (ClientsCommand) holding
	// the followers' sockets; 0 holds them in this process.
	Clients int
	// ClientReader is how the child processes read: "epoll" or
	// "goroutines".
	ClientReader string
	// FanoutWorkers is the gateway's fan-out writers (0: GOMAXPROCS; -1:
	// the per-session writer path before batching).
	FanoutWorkers int
	Pushes        int    // posts timed per push size (the median is reported)
	CPUProfile    string // file for this process's CPU profile of the push phase
	// ClientsCommand starts one clients process, to which Run appends
	// -url URL -reader READER; it must run RunClients with them (parley:
	// bench channels-clients).
	ClientsCommand []string
	// NodeCommand starts one server node, to which Run appends -postgres,
	// -nats, -subject-prefix and -fanout-workers, with the node's secret
	// in NodeSecretEnv; it must run RunNode with them (parley: bench
	// channels-node).
	NodeCommand []string
	// Log gets the progress lines and the children's stderr; nil
	// discards them.
	Log io.Writer
}

// seeder is what the bench needs of a store beyond chat.Store.
type seeder interface {
	SeedFollowers(ctx context.Context, channelID int64, first, n int) error
	SeedDevices(ctx context.Context, first, n int, tokenHashes [][]byte) error
}

// Run runs the bench and writes its report to out.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := cfg.check(); err != nil {
		return err
	}
	r := &run{cfg: cfg, logf: func(format string, a ...any) { fmt.Fprintf(cfg.Log, format+"\n", a...) }}
	dir, err := os.MkdirTemp("", "parley-bench-channels-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cl, err := r.startCluster(ctx, dir)
	if err != nil {
		return err
	}
	defer cl.close()
	if err := r.createChannel(ctx, cl); err != nil {
		return err
	}
	wc, err := r.writeCost(ctx)
	if err != nil {
		return err
	}
	tokens, err := r.seedDevices(ctx)
	if err != nil {
		return err
	}
	f, err := r.startFollowers(ctx, cl)
	if err != nil {
		return err
	}
	defer f.close()
	if cfg.CPUProfile != "" {
		stop, err := cpuProfile(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	pushes, err := r.pushPhase(ctx, cl, f, tokens)
	if err != nil {
		return err
	}
	reads := r.readPhase(ctx, tokens)
	r.writeReport(out, wc, pushes, reads)
	return nil
}

// check validates cfg and caps its online sizes by RLIMIT_NOFILE, saying
// so in the log.
func (cfg *Config) check() error {
	multi := cfg.Nodes > 1
	if multi && (cfg.Postgres == "" || cfg.Clients < 1) {
		return fmt.Errorf("bench channels: -nodes %d needs -postgres and -clients 1 or more", cfg.Nodes)
	}
	if len(cfg.Online) == 0 {
		return fmt.Errorf("bench channels: no online sizes")
	}
	cfg.Online = slices.Clone(cfg.Online)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		max := int(lim.Cur)/2 - 500
		if cfg.Clients > 0 {
			max = int(lim.Cur) - 1000 // the store, the bus and the listener need a few
		}
		if multi { // each node and each clients process holds its share
			max *= min(cfg.Nodes, cfg.Clients)
		}
		for i, n := range cfg.Online {
			if n > max {
				fmt.Fprintf(cfg.Log, "online %d capped to %d by RLIMIT_NOFILE %d\n", n, max, lim.Cur)
				cfg.Online[i] = max
			}
		}
	}
	if maxOnline := slices.Max(cfg.Online); maxOnline > cfg.Followers {
		return fmt.Errorf("bench channels: -online %d is more than -followers %d", maxOnline, cfg.Followers)
	}
	return nil
}

// serverConfig is the configuration of the bench's server nodes.
func serverConfig() channel.Config {
	return channel.Config{Retention: 365 * 24 * time.Hour}
}

// discardCodes drops one-time codes: the bench creates its devices directly.
type discardCodes struct{}

func (discardCodes) SendCode(ctx context.Context, phone, code string) error { return nil }

// run is one run of the bench: what its steps share.
type run struct {
	cfg    Config
	logf   func(format string, a ...any)
	st     server.Store
	seeder seeder
	owner  *client.Client // the channel's owner, on the first node
	chID   int64
	srvURL string // the first node's URL
}

// cluster is the server: one in this process, or K node processes.
type cluster struct {
	url string // where the owner's requests go
	// urlOf returns follower i's node; nil: url.
	urlOf func(i int) string
	// sessions counts the sessions indexed under a channel on every node.
	sessions func(channelID int64) (int, error)
	nodes    *nodeProcs // nil for a server in this process
	store    server.Store
	closers  []func()
}

// close stops what startCluster started, in reverse.
func (c *cluster) close() {
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i]()
	}
}

// cpu returns the CPU time the server used so far: this process's, or the
// nodes'.
func (c *cluster) cpu() time.Duration {
	if c.nodes != nil {
		return c.nodes.cpu()
	}
	return procstat.CPU(os.Getpid())
}

// pids returns the server's process ids.
func (c *cluster) pids() []int {
	if c.nodes != nil {
		return c.nodes.pids()
	}
	return []int{os.Getpid()}
}

// startCluster starts the server on SQLite in dir or on a fresh schema of
// Postgres: in this process, or as Nodes node processes on an embedded (or
// the given) NATS. It opens a store handle for seeding as well.
func (r *run) startCluster(ctx context.Context, dir string) (_ *cluster, err error) {
	cl := &cluster{}
	defer func() {
		if err != nil {
			cl.close()
		}
	}()
	dsn := r.cfg.Postgres
	if dsn != "" {
		var drop func() error
		if dsn, drop, err = freshSchema(ctx, dsn); err != nil {
			return nil, err
		}
		cl.closers = append(cl.closers, func() {
			if err := drop(); err != nil {
				fmt.Fprintln(r.cfg.Log, err)
			}
		})
	}
	opts := server.Options{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", DataDir: dir, PostgresDSN: dsn, Logger: slog.New(slog.DiscardHandler),
		Codes: discardCodes{}, FanoutWorkers: r.cfg.FanoutWorkers, Channels: serverConfig()}
	if r.cfg.Nodes <= 1 {
		srv, err := server.Start(ctx, opts)
		if err != nil {
			return nil, err
		}
		cl.closers = append(cl.closers, func() { srv.Shutdown(context.Background()) })
		cl.url = srv.URL()
		cl.sessions = func(id int64) (int, error) { return srv.ChannelSessions(id), nil }
		if cl.store, err = server.OpenStore(ctx, opts); err != nil { // a second handle, for bulk seeding
			return nil, err
		}
		cl.closers = append(cl.closers, func() { cl.store.Close() })
	} else {
		if cl.store, err = server.OpenStore(ctx, opts); err != nil { // migrates once, before the nodes start
			return nil, err
		}
		cl.closers = append(cl.closers, func() { cl.store.Close() })
		bus := r.cfg.NATS
		if bus == "" {
			ns, u, err := startNATS()
			if err != nil {
				return nil, err
			}
			cl.closers = append(cl.closers, ns.Shutdown)
			bus = u
		}
		// A prefix of its own, in case -nats is shared with other runs.
		np, err := startNodeProcs(r.cfg.NodeCommand, r.cfg.Nodes, dsn, bus, "bench"+strings.ToLower(rand.Text()[:8]), r.cfg.FanoutWorkers, r.cfg.Log)
		if err != nil {
			return nil, err
		}
		cl.closers = append(cl.closers, np.close)
		cl.nodes = np
		cl.url = np.urls[0]
		cl.urlOf = func(i int) string { return np.urls[i%len(np.urls)] }
		cl.sessions = np.sessions
	}
	var ok bool
	if r.seeder, ok = cl.store.(seeder); !ok {
		return nil, fmt.Errorf("bench channels: the store cannot seed followers")
	}
	r.st, r.srvURL = cl.store, cl.url
	return cl, nil
}

// createChannel creates the owner, with a device, in the store, and the
// channel through the API.
func (r *run) createChannel(ctx context.Context, cl *cluster) error {
	ownerToken := "pt_" + rand.Text()
	owner := chat.Account{Phone: "+19980000000", CreatedAt: time.Now()}
	if err := r.st.CreateAccount(ctx, &owner); err != nil {
		return err
	}
	if err := r.st.CreateDevice(ctx, &chat.Device{AccountID: owner.ID, Name: "bench", CreatedAt: time.Now()}, chat.TokenHash(ownerToken), 5); err != nil {
		return err
	}
	r.owner = client.New(cl.url, client.WithToken(ownerToken))
	ch, err := r.owner.CreateChannel(ctx, wire.ChannelInput{Handle: "bench", Name: "Bench"})
	if err != nil {
		return err
	}
	r.chID = ch.ID
	return nil
}

// writeCostResult is the write cost of a post.
type writeCostResult struct {
	first        int           // followers of the small measure (1,000 or fewer)
	small, large time.Duration // median post time with first and with all followers
	seed         time.Duration // bulk insert of the remaining followers
}

// writeCost times posts with 1,000 followers, seeds the rest and times
// posts with all of them.
func (r *run) writeCost(ctx context.Context) (writeCostResult, error) {
	var wc writeCostResult
	wc.first = min(1000, r.cfg.Followers)
	if err := r.seeder.SeedFollowers(ctx, r.chID, 0, wc.first); err != nil {
		return wc, err
	}
	var err error
	if wc.small, err = r.timePosts(ctx, r.cfg.Posts); err != nil {
		return wc, err
	}
	start := time.Now()
	if err := r.seeder.SeedFollowers(ctx, r.chID, wc.first, r.cfg.Followers-wc.first); err != nil {
		return wc, err
	}
	wc.seed = time.Since(start)
	r.logf("seeded %d followers in %s", r.cfg.Followers, wc.seed.Round(time.Millisecond))
	wc.large, err = r.timePosts(ctx, r.cfg.Posts)
	return wc, err
}

// timePosts makes n posts and returns the median time of one.
func (r *run) timePosts(ctx context.Context, n int) (time.Duration, error) {
	var ds []time.Duration
	for i := range n {
		start := time.Now()
		if _, err := r.owner.Post(ctx, r.chID, wire.PostInput{Kind: wire.PostText, Text: fmt.Sprint("post ", i)}); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// seedDevices gives the first max(Online) seeded followers a device each
// and returns their tokens.
func (r *run) seedDevices(ctx context.Context) ([]string, error) {
	maxOnline := slices.Max(r.cfg.Online)
	tokens := make([]string, maxOnline)
	hashes := make([][]byte, maxOnline)
	for i := range tokens {
		tokens[i] = "pt_" + rand.Text()
		hashes[i] = chat.TokenHash(tokens[i])
	}
	if err := r.seeder.SeedDevices(ctx, 0, maxOnline, hashes); err != nil {
		return nil, err
	}
	return tokens, nil
}

// readResult is the timeline read phase.
type readResult struct {
	reads int64
	p99   time.Duration
}

// readPhase has Readers online followers read the channel's timeline
// (a page of 20) for ReadDuration; none when it is 0 or less.
func (r *run) readPhase(ctx context.Context, tokens []string) readResult {
	var reads atomic.Int64
	var lmu sync.Mutex
	var lat []time.Duration
	rctx, rcancel := context.WithTimeout(ctx, r.cfg.ReadDuration)
	defer rcancel()
	var wg sync.WaitGroup
	nreaders := r.cfg.Readers
	if r.cfg.ReadDuration <= 0 {
		nreaders = 0
	}
	for i := range nreaders {
		wg.Go(func() {
			c := client.New(r.srvURL, client.WithToken(tokens[i%len(tokens)]))
			var mine []time.Duration
			for rctx.Err() == nil {
				t := time.Now()
				if _, err := c.Timeline(rctx, r.chID, 0, 20); err != nil {
					break
				}
				mine = append(mine, time.Since(t))
				reads.Add(1)
			}
			lmu.Lock()
			lat = append(lat, mine...)
			lmu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	res := readResult{reads: reads.Load()}
	if len(lat) > 0 {
		res.p99 = lat[len(lat)*99/100]
	}
	return res
}

// writeReport writes the report of `parley bench channels`.
func (r *run) writeReport(w io.Writer, wc writeCostResult, results []pushResult, reads readResult) {
	cfg := r.cfg
	multi := cfg.Nodes > 1
	store := "sqlite"
	if cfg.Postgres != "" {
		store = "postgres"
	}
	fmt.Fprintf(w, "parley bench channels (%s, %d followers)\n", store, cfg.Followers)
	fmt.Fprintf(w, "seed %d followers (bulk insert)      %s\n", cfg.Followers, wc.seed.Round(time.Millisecond))
	fmt.Fprintf(w, "post, %d followers (median of %d)    %s\n", wc.first, cfg.Posts, wc.small.Round(time.Microsecond))
	fmt.Fprintf(w, "post, %d followers (median of %d) %s\n", cfg.Followers, cfg.Posts, wc.large.Round(time.Microsecond))
	mode := "batched fan-out"
	if cfg.FanoutWorkers < 0 {
		mode = "per-session writers"
	}
	where := fmt.Sprintf("%d client processes (%s reader)", cfg.Clients, cfg.ClientReader)
	if cfg.Clients == 0 {
		where = "clients in this process"
	}
	servers := "1 server node in this process"
	if multi {
		servers = fmt.Sprintf("%d server node processes", cfg.Nodes)
	}
	fmt.Fprintf(w, "push: %s, %s, %s, GOMAXPROCS %d, load average %s\n", mode, servers, where, runtime.GOMAXPROCS(0), procstat.LoadAvg())
	for _, p := range results {
		cpu := fmt.Sprintf("server %s, clients %s", p.serverCPU, p.loadCPU)
		if cfg.Clients == 0 {
			cpu = fmt.Sprintf("server and clients %s", p.serverCPU)
		}
		if multi {
			cpu = fmt.Sprintf("nodes %s, clients %s, bench process (NATS) %s", p.serverCPU, p.loadCPU, p.benchCPU)
		}
		fmt.Fprintf(w, "push to %6d online: last delivery %s (median of %d), %.0f deliveries/s; CPU per delivery: %s\n",
			p.n, p.last.Round(time.Microsecond), cfg.Pushes, p.perSecond, cpu)
		fmt.Fprintf(w, "               descriptors: node max %d, clients process max %d; RSS: nodes %d MiB, clients %d MiB\n",
			p.nodeFDs, p.clientFDs, p.nodeRSS>>20, p.clientRSS>>20)
	}
	if cfg.ReadDuration <= 0 {
		return
	}
	fmt.Fprintf(w, "timeline reads: %.0f reads/s, p99 %s (%d readers, page of 20)\n",
		float64(reads.reads)/cfg.ReadDuration.Seconds(), reads.p99.Round(time.Microsecond), cfg.Readers)
}

// cpuProfile starts this process's CPU profile into path; stop ends it
// and closes the file.
func cpuProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
