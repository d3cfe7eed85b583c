package channels

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/parleyhq/parley/internal/bench/procstat"
	"github.com/parleyhq/parley/internal/nats"
	"github.com/parleyhq/parley/internal/server"
)

// Multi-node `parley bench channels -nodes K`: one process holds at most
// RLIMIT_NOFILE sockets (20,000 here), so 50,000 or 100,000 online
// followers are spread over K server nodes, each a child process
// (RunNode, as `parley bench channels-node`, re-executing the same
// binary) on the same PostgreSQL schema and the same NATS, as a cluster
// runs. A post is made once, through node 0; every node receives it on
// parley.channel.<id> and pushes it to its own followers. The bench
// process seeds the store, runs the NATS server (embedded, unless -nats
// names one) and talks to each node over its stdin and stdout, one line
// at a time:
//
//	parent → node         node → parent
//	                      url URL        (serving; sent once at start)
//	sessions CHANNEL      sessions N     (N local sessions indexed under
//	                                      the channel: they will get its posts)
//	(end of input)        (shuts down and exits)
//
// The node's secret (one-time-code hashes; nodes sharing a database must
// share it) comes in the environment, NodeSecretEnv (hex).

// NodeSecretEnv is the environment variable that holds a node's secret,
// 32 bytes or more in hex.
const NodeSecretEnv = "PARLEY_BENCH_NODE_SECRET"

// NodeConfig is a server node: the flags of `parley bench channels-node`
// and the secret from NodeSecretEnv.
type NodeConfig struct {
	Postgres      string // PostgreSQL DSN shared by the nodes
	NATS          string // URL of the NATS server shared by the nodes
	SubjectPrefix string // NATS subject prefix shared by the nodes
	FanoutWorkers int    // the gateway's fan-out writers
	Secret        []byte // shared by the nodes
}

// RunNode is a server node: it serves, says its URL on out, answers the
// parent's lines from in and shuts down when in ends.
func RunNode(ctx context.Context, cfg NodeConfig, in io.Reader, out io.Writer) error {
	dir, err := os.MkdirTemp("", "parley-bench-node-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := server.Start(ctx, server.Options{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", DataDir: dir, PostgresDSN: cfg.Postgres,
		NATS: nats.Options{URL: cfg.NATS, SubjectPrefix: cfg.SubjectPrefix}, Secret: cfg.Secret,
		Logger: slog.New(slog.DiscardHandler), Codes: discardCodes{}, FanoutWorkers: cfg.FanoutWorkers,
		Channels: serverConfig()})
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	fmt.Fprintf(out, "url %s\n", srv.URL())
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		verb, arg, _ := strings.Cut(sc.Text(), " ")
		switch verb {
		case "sessions":
			id, _ := strconv.ParseInt(arg, 10, 64)
			fmt.Fprintf(out, "sessions %d\n", srv.ChannelSessions(id))
		}
	}
	return sc.Err()
}

// nodeProcs drives the server nodes from `parley bench channels`.
type nodeProcs struct {
	procs []*clientProc // the same line protocol; conns is unused
	urls  []string
}

// startNodeProcs starts n nodes, with command, on the PostgreSQL at dsn
// and the NATS at natsURL, and waits until each serves.
func startNodeProcs(command []string, n int, dsn, natsURL, prefix string, workers int, stderr io.Writer) (*nodeProcs, error) {
	if len(command) == 0 {
		return nil, errors.New("bench channels: no command for the server nodes")
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	np := &nodeProcs{}
	for range n {
		cmd := exec.Command(command[0], append(command[1:len(command):len(command)], "-postgres", dsn, "-nats", natsURL,
			"-subject-prefix", prefix, "-fanout-workers", strconv.Itoa(workers))...)
		cmd.Env = append(os.Environ(), NodeSecretEnv+"="+hex.EncodeToString(secret))
		cmd.Stderr = stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			np.close()
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			np.close()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			np.close()
			return nil, err
		}
		np.procs = append(np.procs, &clientProc{cmd: cmd, in: in, out: bufio.NewScanner(out)})
	}
	for _, p := range np.procs {
		u, err := p.expect("url")
		if err != nil {
			np.close()
			return nil, fmt.Errorf("server node: %w", err)
		}
		np.urls = append(np.urls, u)
	}
	return np, nil
}

// sessions returns how many sessions the nodes have indexed under the
// channel, in all.
func (np *nodeProcs) sessions(channelID int64) (int, error) {
	total := 0
	for _, p := range np.procs {
		fmt.Fprintf(p.in, "sessions %d\n", channelID)
		arg, err := p.expect("sessions")
		if err != nil {
			return 0, err
		}
		n, _ := strconv.Atoi(arg)
		total += n
	}
	return total, nil
}

// cpu returns the CPU time the nodes used so far.
func (np *nodeProcs) cpu() time.Duration {
	var d time.Duration
	for _, p := range np.procs {
		d += procstat.CPU(p.cmd.Process.Pid)
	}
	return d
}

func (np *nodeProcs) pids() []int {
	var pids []int
	for _, p := range np.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

func (np *nodeProcs) close() {
	for _, p := range np.procs {
		p.in.Close()
	}
	for _, p := range np.procs {
		p.cmd.Wait()
	}
}

// startNATS starts a NATS server on a free loopback port for the
// nodes (no JetStream: the bus does not use it) and returns it with its URL.
func startNATS() (*natsserver.Server, string, error) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	if err != nil {
		return nil, "", fmt.Errorf("start nats: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, "", fmt.Errorf("start nats: not ready after 10s")
	}
	return ns, ns.ClientURL(), nil
}

// freshSchema creates a schema with a random name in the database at dsn
// and returns a DSN whose search_path is that schema, and a function that
// drops it, so that runs do not collide.
func freshSchema(ctx context.Context, dsn string) (string, func() error, error) {
	schema := "bench_channels_" + strings.ToLower(rand.Text())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("connect postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return fmt.Errorf("connect postgres: %w", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, drop, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("parse postgres dsn: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
