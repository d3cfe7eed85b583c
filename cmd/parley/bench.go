package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	loadgen "github.com/parleyhq/parley/internal/bench"
	benchbilling "github.com/parleyhq/parley/internal/bench/billing"
	benchbusiness "github.com/parleyhq/parley/internal/bench/business"
	benchchannels "github.com/parleyhq/parley/internal/bench/channels"
)

const benchUsage = `usage: parley bench messaging [flags]

Simulated users on loopback, each with a WebSocket, send 1:1 and group
messages through a real server; the report gives messages persisted and
delivered per second, latency from send to delivery at the maximum and at a
paced rate, and the server's memory per idle socket. By default the server
is a fresh separate process (this binary, SQLite in a temporary directory).
See docs/PERFORMANCE.md.
`

// bench runs a benchmark; see docs/PERFORMANCE.md.
func bench(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return errors.New("bench: name a benchmark (messaging or business)")
	}
	switch args[0] {
	case "messaging":
		return benchMessaging(ctx, args[1:], stdout, stderr)
	case "business":
		return benchBusiness(ctx, args[1:], stdout, stderr)
	case "channels":
		return benchChannels(ctx, args[1:], stdout, stderr)
	case "billing":
		return benchBilling(ctx, args[1:], stdout, stderr)
	case "channels-clients":
		return benchChannelsClients(ctx, args[1:], stdin, stdout)
	case "channels-node":
		return benchChannelsNode(ctx, args[1:], getenv, stdin, stdout)
	case "server":
		return benchServer(ctx, args[1:], getenv, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, benchUsage)
		return nil
	}
	return fmt.Errorf("bench: unknown benchmark %q (want messaging or business)", args[0])
}

func benchMessaging(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench messaging", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o loadgen.Options
	fs.IntVar(&o.Users, "users", 1000, "simulated users, each with one device and one WebSocket")
	fs.IntVar(&o.GroupSize, "group-size", 8, "members per group")
	fs.Float64Var(&o.GroupRatio, "group-ratio", 0.2, "share of messages sent to groups, 0 to 1 (the rest are 1:1)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each measured phase")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unmeasured load before the first phase")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "senders in the maximum phase (closed loop)")
	fs.Float64Var(&o.Rate, "rate", 0, "messages/s of the paced phase (open loop); 0 = half the maximum, negative = skip")
	fs.IntVar(&o.BodySize, "body", 200, "bytes per envelope")
	fs.BoolVar(&o.WebSocketSends, "ws-send", false, "send over each user's open WebSocket instead of one HTTP request per message")
	fs.BoolVar(&o.E2EE, "e2ee", false, "encrypt end to end as the clients do (Olm for 1:1, one Megolm body per group message) and count a delivery once decrypted")
	fs.BoolVar(&o.PerDeviceGroups, "per-device-groups", false, "send group messages as one envelope per device (as before shared bodies) instead of one shared body")
	fs.DurationVar(&o.AckInterval, "ack-interval", 100*time.Millisecond, "how long a user gathers entries before acking them")
	fs.IntVar(&o.Idle, "idle", 50000, "idle sockets for the memory phase (capped by RLIMIT_NOFILE); negative = skip")
	fs.IntVar(&o.IdleSteps, "idle-steps", 2, "measure idle memory at this many equal steps")
	fs.IntVar(&o.Parallel, "parallel", 64, "concurrent registrations and connects")
	fs.BoolVar(&o.Baseline, "baseline", true, "first measure raw SQLite commits in this process, for comparison")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the server's CPU profile of the maximum phase to this file")
	fs.StringVar(&o.HeapProfile, "heapprofile", "", "write the server's heap profile with all idle sockets open to this file")
	serverURL := fs.String("server", "", "bench an already running server at this URL instead of starting one; it must send codes to -codes-addr")
	codesAddr := fs.String("codes-addr", "127.0.0.1:8099", "with -server: serve the SMS-gateway endpoint here (start the server with --sms-gateway http://ADDR/)")
	postgres := fs.String("postgres", "", "start the server on this PostgreSQL DSN (an empty database) instead of SQLite")
	dataDir := fs.String("data", "", "data directory of the started server, kept with its accounts (DIR/bench-accounts.jsonl) for the next run; a temporary one when empty")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	quiet := fs.Bool("q", false, "no progress lines")
	fs.Usage = func() {
		fmt.Fprint(stderr, benchUsage, "\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench messaging: unexpected argument %q", fs.Arg(0))
	}
	if !*quiet {
		o.Log = stderr
	}

	var target loadgen.Target
	if *serverURL != "" {
		codes := loadgen.NewCodes()
		ln, err := net.Listen("tcp", *codesAddr)
		if err != nil {
			return fmt.Errorf("bench: listen for codes: %w", err)
		}
		srv := &http.Server{Handler: codes, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		target = loadgen.Target{URL: *serverURL, Code: codes.Wait, Store: "unknown"}
	} else {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: find this binary: %w", err)
		}
		dir := *dataDir
		if dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			o.Accounts = filepath.Join(dir, "bench-accounts.jsonl")
		} else {
			tmp, err := os.MkdirTemp("", "parley-bench-")
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			defer os.RemoveAll(tmp)
			dir = tmp
		}
		logFile, err := os.Create(filepath.Join(dir, "server.log"))
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer logFile.Close()
		// Each bench device sends and acks far faster than a person's
		// (3,000 messages/s over 200 sockets is 15 sends and 10 acks a
		// second each): the per-socket frame limit would close them (1008).
		extra := []string{"--max-group-members", "4096", "--ws-frame-rate", "10000", "--ws-frame-burst", "10000"}
		proc, err := loadgen.Spawn{Command: []string{exe, "bench", "server"}, DataDir: dir, Postgres: *postgres,
			Extra: extra, Log: logFile}.Start(ctx)
		if err != nil {
			log, _ := os.ReadFile(logFile.Name())
			if len(log) > 2000 {
				log = log[len(log)-2000:]
			}
			return fmt.Errorf("bench: %w; server log:\n%s", err, log)
		}
		defer func() {
			if err := proc.Stop(); err != nil {
				fmt.Fprintln(stderr, "bench: stop server:", err)
			}
		}()
		target = proc.Target
		if !*quiet {
			fmt.Fprintf(stderr, "bench: server pid %d at %s, data in %s\n", target.PID, target.URL, dir)
		}
	}
	rep, err := loadgen.Run(ctx, target, o)
	if rep != nil {
		rep.WriteText(stdout)
		if *jsonOut != "" {
			b, jerr := json.MarshalIndent(rep, "", "  ")
			if jerr == nil {
				jerr = os.WriteFile(*jsonOut, b, 0o644)
			}
			if jerr != nil && err == nil {
				err = jerr
			}
		}
	}
	if err != nil {
		return fmt.Errorf("bench messaging: %w", err)
	}
	return nil
}

// benchServer is the server that bench messaging starts: parley serve, plus
// a control endpoint on a separate loopback address for CPU and heap
// profiles and forced collections (loadgen.ControlHandler). It takes
// -control ADDR and then serve's flags.
func benchServer(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	control := fs.String("control", "127.0.0.1:0", "loopback address of the control endpoint")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *control)
	if err != nil {
		return fmt.Errorf("bench server: listen: %w", err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		ln.Close()
		return fmt.Errorf("bench server: control address %s is not loopback", ln.Addr())
	}
	srv := &http.Server{Handler: loadgen.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	return serve(ctx, fs.Args(), getenv, stderr)
}

const benchBillingUsage = `usage: parley bench billing [flags]

The rating engine on a synthetic usage ledger, seeded by bulk insert into a
fresh store (SQLite in a temporary directory, or -postgres): -entries
entries of -businesses businesses in 50 markets over -months months from
September 2026 (templates of the three categories, service and entry point
messages, conversations of every tenth business, retried deliveries), rated
on generated cards that price every market. Reports:
  - seeding time;
  - rating throughput: the engine alone over the entries in memory, and
    read from the store + rate (target >= 500,000 entries/s);
  - the monthly invoice run of the last month: rate, then invoice lines
    per business (target < 30 s);
  - a simulator replay of the whole period under the three regimes
    (target < 60 s).
See docs/PERFORMANCE.md, section Billing.
`

// benchBilling runs `parley bench billing` (internal/bench/billing).
func benchBilling(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench billing", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := benchbilling.Config{Log: stderr}
	fs.IntVar(&cfg.Entries, "entries", 10_000_000, "usage-ledger entries seeded")
	fs.IntVar(&cfg.Businesses, "businesses", 10_000, "businesses")
	fs.IntVar(&cfg.Months, "months", 3, "months of usage, from 2026-09")
	fs.IntVar(&cfg.Chunk, "chunk", 1_000_000, "entries per seeding transaction")
	fs.StringVar(&cfg.Postgres, "postgres", "", "PostgreSQL DSN (an empty database) instead of SQLite")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the rating phases to this file")
	fs.BoolVar(&cfg.SkipInvoice, "skip-invoice", false, "skip storing the last month's charges and the invoice run (the slowest phase)")
	fs.Usage = func() { fmt.Fprint(stderr, benchBillingUsage, "\nflags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	return benchbilling.Run(ctx, cfg, stdout)
}

const benchBusinessUsage = `usage: parley bench business [flags]

Businesses send text (inside the service window) and utility templates to
customers through the Cloud API endpoint of an in-process server (SQLite in
a temporary directory, or -postgres), while customers' devices fetch and
acknowledge their inboxes and one webhook receiver acknowledges every POST
after checking its signature. Two phases: as fast as -concurrency senders
can go (closed loop), then paced at half that rate (open loop). Reports
accepted messages/s, messages/s delivered to customer devices, webhooks/s
delivered, and API latency percentiles.
`

// benchBusiness runs `parley bench business` (internal/bench/business).
func benchBusiness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench business", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := benchbusiness.Config{Log: stderr}
	fs.IntVar(&cfg.Businesses, "businesses", 20, "business accounts, one number each")
	fs.IntVar(&cfg.Customers, "customers", 400, "customers; each chats with one business")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "concurrent API senders in the maximum phase")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of each phase")
	fs.Float64Var(&cfg.Templates, "templates", 0.3, "share of template messages (the rest are text)")
	fs.StringVar(&cfg.Postgres, "postgres", "", "PostgreSQL DSN (an empty database) instead of SQLite")
	fs.StringVar(&cfg.BlockProfile, "blockprofile", "", "write a blocking profile of the maximum phase to this file")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the maximum phase to this file")
	fs.Usage = func() { fmt.Fprint(stderr, benchBusinessUsage, "\nflags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	return benchbusiness.Run(ctx, cfg, stdout)
}

const benchChannelsUsage = `usage: parley bench channels [flags]

Channel fan-out on an in-process server (SQLite in a temporary directory,
or -postgres). Followers are seeded by bulk insert. Reports:
  - write cost: the time of a post with 1,000 and with -followers followers;
  - push: the time until the last of N online followers (WebSockets on
    loopback) has received a post, and deliveries/s; the followers' sockets
    are held by -clients child processes (parley bench channels-clients),
    or in this process with -clients 0;
  - timeline reads: catch-up reads/s and p99 with -readers concurrent readers.
N is capped by RLIMIT_NOFILE: one descriptor per socket in the server's
process (two with -clients 0). With -nodes K (K > 1, -postgres required)
the followers are spread over K server nodes, child processes (parley
bench channels-node) on one PostgreSQL schema and one NATS, as a cluster
runs; a post is made once, through node 0, and timed until the last
follower on any node has it.
With -postgres, each run creates a fresh schema in that database and
drops it at the end.
See docs/CHANNELS.md.
`

// benchChannels runs `parley bench channels` (internal/bench/channels).
// Its child processes re-execute this binary as bench channels-clients and
// bench channels-node.
func benchChannels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench channels", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := benchchannels.Config{Log: stderr}
	fs.IntVar(&cfg.Followers, "followers", 1_000_000, "followers of the channel in the store")
	onlineList := fs.String("online", "1000,5000,10000", "comma-separated numbers of online followers to push to")
	fs.IntVar(&cfg.Posts, "posts", 50, "posts timed for the write cost, and 5 per push size")
	fs.IntVar(&cfg.Readers, "readers", 32, "concurrent timeline readers")
	fs.DurationVar(&cfg.ReadDuration, "read-duration", 5*time.Second, "length of the timeline read phase")
	fs.StringVar(&cfg.Postgres, "postgres", "", "PostgreSQL DSN instead of SQLite (the run uses a fresh schema in that database)")
	fs.IntVar(&cfg.Nodes, "nodes", 1, "server nodes: 1 in this process, or K > 1 child processes (parley bench channels-node) sharing -postgres and NATS")
	fs.StringVar(&cfg.NATS, "nats", "", "with -nodes K > 1: the NATS server the nodes share (default: one embedded in this process on a free loopback port)")
	fs.IntVar(&cfg.Clients, "clients", 1, "child processes holding the followers' sockets (0: in this process)")
	fs.StringVar(&cfg.ClientReader, "client-reader", "epoll", "how the child processes read: epoll (a few loops for all sockets) or goroutines (one per socket)")
	fs.IntVar(&cfg.FanoutWorkers, "fanout-workers", 0, "the gateway's fan-out writers (0: GOMAXPROCS; -1: the per-session writer path before batching)")
	fs.IntVar(&cfg.Pushes, "pushes", 5, "posts timed per push size (the median is reported)")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write this process's CPU profile of the push phase (the server, and the clients with -clients 0) to this file")
	fs.Usage = func() { fmt.Fprint(stderr, benchChannelsUsage, "\nflags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, f := range strings.Split(*onlineList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("bench channels: bad -online %q", *onlineList)
		}
		cfg.Online = append(cfg.Online, n)
	}
	if cfg.Nodes > 1 || cfg.Clients > 0 {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		cfg.ClientsCommand = []string{exe, "bench", "channels-clients"}
		cfg.NodeCommand = []string{exe, "bench", "channels-node"}
	}
	return benchchannels.Run(ctx, cfg, stdout)
}

// benchChannelsClients runs `parley bench channels-clients -url URL`, a
// child process of bench channels that holds followers' sockets.
func benchChannelsClients(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench channels-clients", flag.ContinueOnError)
	var cfg benchchannels.ClientsConfig
	fs.StringVar(&cfg.URL, "url", "", "server base URL")
	fs.StringVar(&cfg.Reader, "reader", "epoll", "epoll (a few loops read every socket) or goroutines (coder/websocket, a goroutine per socket)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return benchchannels.RunClients(ctx, cfg, stdin, stdout)
}

// benchChannelsNode runs `parley bench channels-node`, a child process of
// bench channels -nodes K: one server node.
func benchChannelsNode(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench channels-node", flag.ContinueOnError)
	var cfg benchchannels.NodeConfig
	fs.StringVar(&cfg.Postgres, "postgres", "", "PostgreSQL DSN shared by the nodes")
	fs.StringVar(&cfg.NATS, "nats", "", "URL of the NATS server shared by the nodes")
	fs.StringVar(&cfg.SubjectPrefix, "subject-prefix", "", "NATS subject prefix shared by the nodes")
	fs.IntVar(&cfg.FanoutWorkers, "fanout-workers", 0, "the gateway's fan-out writers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Postgres == "" || cfg.NATS == "" {
		return fmt.Errorf("bench channels-node: -postgres and -nats are required")
	}
	secret, err := hex.DecodeString(getenv(benchchannels.NodeSecretEnv))
	if err != nil || len(secret) < 32 {
		return fmt.Errorf("bench channels-node: %s must hold 32 bytes in hex", benchchannels.NodeSecretEnv)
	}
	cfg.Secret = secret
	return benchchannels.RunNode(ctx, cfg, stdin, stdout)
}
