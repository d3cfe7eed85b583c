package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testdb"
	"github.com/parleyhq/parley/internal/testutil"
)

// TestMain makes the test binary double as the parley command for the
// scripts in testdata/script.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"parley": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
			stop()
			if err != nil {
				fmt.Fprintln(os.Stderr, "parley:", err)
				os.Exit(1)
			}
		},
	})
}

func startServer(t testing.TB) *servertest.Server {
	t.Helper()
	// A short resend gap lets a script link a second device for a number.
	return servertest.Start(t, servertest.WithConfig(chatpkg.Config{CodeResend: time.Millisecond}),
		servertest.WithOptions(func(o *server.Options) { o.AdminToken = scriptAdminToken }))
}

// TestScripts runs each script against a fresh server, so account, device
// and chat ids start at 1. The scripts have two extra commands:
//
//	code PHONE VAR     sets $VAR to the last one-time code sent to PHONE
//	login NAME PHONE   logs profile NAME in as PHONE (request, code, verify)
//	business PHONE     makes a business with number PHONE (cli_orders_test.go)
//	bizorder TO REF V  the business sends TO an order_details of V cents
//	busline            starts the Busline demo business ($BUSLINE_PHONE)
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			tb := env.T().(testing.TB)
			srv := startServer(tb)
			if strings.HasSuffix(tb.Name(), "/rate_limited") {
				// A minute between codes, so that the second request is refused.
				srv = servertest.Start(tb, servertest.WithConfig(chatpkg.Config{CodeResend: time.Minute}))
			}
			env.Setenv("PARLEY_SERVER", srv.URL)
			env.Setenv("PARLEY_HOME", filepath.Join(env.WorkDir, "home"))
			env.Values["srv"] = srv
			// Each parley command is a process; under -race each would
			// otherwise sleep a second on exit, waiting for reports.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"code": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: code PHONE VAR")
				}
				code := ts.Value("srv").(*servertest.Server).Code(args[0])
				if code == "" {
					ts.Fatalf("no code was sent to %s", args[0])
				}
				ts.Setenv(args[1], code)
			},
			"business": scriptBusiness, // cli_orders_test.go
			"bizorder": scriptBizOrder,
			"busline":  scriptBusline, // demo_test.go
			"login": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: login NAME PHONE")
				}
				srv := ts.Value("srv").(*servertest.Server)
				profile, phone := args[0], args[1]
				getenv := func(k string) string {
					if k == "PARLEY_PROFILE" {
						return profile
					}
					return ts.Getenv(k)
				}
				ctx := context.Background()
				var out bytes.Buffer
				err := run(ctx, []string{"login", "--phone", phone, "--request-only"}, getenv, strings.NewReader(""), &out, &out)
				if err == nil {
					err = run(ctx, []string{"login", "--phone", phone, "--code", srv.Code(phone)}, getenv, strings.NewReader(""), &out, &out)
				}
				if err != nil {
					ts.Fatalf("login %s: %v\n%s", profile, err, out.String())
				}
			},
		},
	})
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until buf contains want.
// waitOutput waits until buf contains want.
func waitOutput(t testing.TB, buf *syncBuffer, want string) {
	t.Helper()
	if !testutil.Within(testutil.Timeout, func() bool { return strings.Contains(buf.String(), want) }) {
		t.Fatalf("output %q does not contain %q", buf.String(), want)
	}
}

// seededData returns a data folder holding a migrated SQLite database (a
// copy of the tests' template), so that an in-process serve starts at once;
// TestBinary starts the real binary on empty folders.
func seededData(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := testdb.SeedSQLite(dir); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return dir
}

func envFunc(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestLoginInteractive answers the prompts on standard input, as a person
// would, and then listens until interrupted.
func TestLoginInteractive(t *testing.T) {
	srv := startServer(t)
	home := t.TempDir()
	getenv := envFunc(map[string]string{"PARLEY_SERVER": srv.URL, "PARLEY_HOME": home, "PARLEY_PROFILE": "bob"})
	const phone = "+14155550102"

	pr, pw := io.Pipe()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- runCLI(context.Background(), []string{"login"}, getenv, pr, &stdout, &stderr) }()
	waitOutput(t, &stderr, "Phone number")
	fmt.Fprintln(pw, phone)
	code := srv.Code(phone)
	waitOutput(t, &stderr, "Code: ")
	fmt.Fprintln(pw, code)
	if err := <-done; err != nil {
		t.Fatalf("login: %v\nstderr: %s", err, stderr.String())
	}
	if want := `welcome! created account as +14155550102 (acct 1, device 1), profile "bob"`; !strings.Contains(stdout.String(), want) {
		t.Fatalf("got %q, want %q", stdout.String(), want)
	}
	if _, err := os.Stat(filepath.Join(home, "bob.json")); err != nil {
		t.Fatalf("profile not saved: %v", err)
	}
	// The device's end-to-end keys and sessions: readable by its owner only.
	if fi, err := os.Stat(filepath.Join(home, "bob.e2ee.json")); err != nil {
		t.Fatalf("end-to-end state not saved: %v", err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Fatalf("end-to-end state: mode %v, want 0600", fi.Mode().Perm())
	}

	// Alice writes through the client package; bob listens until ctrl-c.
	ctx := context.Background()
	alice := client.New(srv.URL)
	if err := alice.RequestCode(ctx, "+14155550101"); err != nil {
		t.Fatal(err)
	}
	as, err := alice.Verify(ctx, "+14155550101", srv.Code("+14155550101"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Alice encrypts too: the CLI reads only end-to-end encrypted messages.
	dev, err := e2ee.NewDevice(as.AccountID, as.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	alice.UseE2EE(dev)
	if err := alice.SetupE2EE(ctx); err != nil {
		t.Fatal(err)
	}
	chat, err := alice.OpenDirect(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdout = syncBuffer{}
	go func() { done <- runCLI(lctx, []string{"listen"}, getenv, strings.NewReader(""), &stdout, &stderr) }()
	if _, err := alice.SendBody(ctx, chat.ID, "hi1", chatpkg.KindMessage, "", client.Body{Text: "are you there?"}); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, &stdout, "[chat 1 #1] acct 2: are you there?  (id hi1)")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("listen ended with %v, want nil on interrupt", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("listen did not stop when interrupted")
	}
}

func TestUsageErrors(t *testing.T) {
	getenv := envFunc(map[string]string{"PARLEY_HOME": t.TempDir()})
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"send", "1"}, "wrong number of arguments"},
		{[]string{"send", "x", "hi"}, `"x" is not a chat id`},
		{[]string{"whoami"}, `profile "default" is not logged in`},
		{[]string{"--profile", "../etc", "whoami"}, "use letters, digits and ._-"},
		{[]string{"group", "create", "2"}, "--subject is required"},
		{[]string{"login", "--phone", "+14155550101", "extra"}, "wrong number of arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := runCLI(context.Background(), tt.args, getenv, strings.NewReader(""), &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	var out bytes.Buffer
	if err := runCLI(context.Background(), []string{"send", "-h"}, getenv, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("send -h: got %v, want nil", err)
	}
	if !strings.Contains(out.String(), "usage: parley send") {
		t.Fatalf("send -h printed %q", out.String())
	}
}
