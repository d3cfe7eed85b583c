package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Target is the server under test.
type Target struct {
	URL string // base URL of the API
	// Metrics is the base URL that serves /metrics: the server's operator
	// listener. Empty means URL.
	Metrics string
	// Code returns the one-time code sent to phone (E.164), waiting for it.
	Code func(ctx context.Context, phone string) (string, error)
	// PID is the server's process id, for VmRSS; 0 when unknown.
	PID int
	// Control is the base URL of the ControlHandler of the server process
	// (profiles, forced GC); "" when there is none.
	Control string
	// Store names the database, for the report.
	Store string
}

// Spawn describes a server to start as a separate process, so that its
// memory and CPU are its own.
type Spawn struct {
	// Command runs a server with a control endpoint: "-control ADDR --"
	// and then serve's flags are appended to it, as in
	// {"/path/to/parley", "bench", "server"}.
	Command  []string
	DataDir  string
	Postgres string    // PostgreSQL DSN; SQLite in DataDir when empty
	Extra    []string  // more serve flags
	Log      io.Writer // the server's stderr
}

// Process is a running server process.
type Process struct {
	Target
	cmd   *exec.Cmd
	codes *http.Server
	done  chan error
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Start starts the server and waits until it is ready. The one-time codes
// it sends reach a Codes served on a loopback port (the server's SMS
// gateway). Stop it with Stop.
func (s Spawn) Start(ctx context.Context) (*Process, error) {
	if len(s.Command) == 0 {
		return nil, errors.New("spawn: no command")
	}
	codes := NewCodes()
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for codes: %w", err)
	}
	codeSrv := &http.Server{Handler: codes, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = codeSrv.Serve(cln) }()
	addr, err := freeAddr()
	if err != nil {
		codeSrv.Close()
		return nil, fmt.Errorf("pick a port: %w", err)
	}
	ctl, err := freeAddr()
	if err != nil {
		codeSrv.Close()
		return nil, fmt.Errorf("pick a port: %w", err)
	}
	adm, err := freeAddr() // the operator listener, which serves /metrics
	if err != nil {
		codeSrv.Close()
		return nil, fmt.Errorf("pick a port: %w", err)
	}
	args := append(append([]string{}, s.Command[1:]...), "-control", ctl, "--",
		"--addr", addr, "--admin-addr", adm, "--data", s.DataDir, "--log-format", "text", "--log-level", "warn",
		"--sms-gateway", "http://"+cln.Addr().String()+"/code")
	if s.Postgres != "" {
		args = append(args, "--postgres", s.Postgres)
	}
	args = append(args, s.Extra...)
	cmd := exec.Command(s.Command[0], args...)
	cmd.Stdout, cmd.Stderr = s.Log, s.Log
	// The server dies with the benchmark, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Its environment must not carry settings that change what is measured.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// The bench logs in thousands of people from one address: lift the
	// login rate limits (environment, not flags, so that a server built
	// before they existed still starts).
	cmd.Env = append(cmd.Env, benchLoginEnv...)
	if err := cmd.Start(); err != nil {
		codeSrv.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	p := &Process{cmd: cmd, codes: codeSrv, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	store := "sqlite"
	if s.Postgres != "" {
		store = "postgres"
	}
	p.Target = Target{URL: "http://" + addr, Metrics: "http://" + adm, Code: codes.Wait, PID: cmd.Process.Pid, Control: "http://" + ctl, Store: store}
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func (p *Process) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("server exited before it was ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("server not ready after %v: %w", limit, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop asks the server to shut down (SIGTERM), kills it after 20 s, and
// waits for it to exit.
func (p *Process) Stop() error {
	defer p.codes.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return exitErr(err)
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("server did not stop in 20s: %w", exitErr(<-p.done))
	}
}

func exitErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 0 {
		return nil
	}
	return err
}

// rss returns the resident set size of process pid, from /proc.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// benchLoginEnv lifts the login limits that bulk registration from one
// address would meet (docs/SECURITY.md).
var benchLoginEnv = []string{
	"PARLEY_CODE_REQUESTS_PER_ADDRESS=-1", "PARLEY_VERIFIES_PER_ADDRESS=-1",
	"PARLEY_CODE_REQUESTS_TOTAL=-1", "PARLEY_CODE_BUDGET_PER_PREFIX=-1",
}

// metricsURL is the base URL that serves the server's /metrics.
func (t Target) metricsURL() string {
	if t.Metrics != "" {
		return t.Metrics
	}
	return t.URL
}
