package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/parleyhq/parley/internal/demo/busline"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

// TestDemoBusline runs the README's second command, parley demo busline
// with the operator's token from the environment, next to a server: it
// sets the bus company up, prints a click-to-chat link that opens, and
// stops when its context ends.
func TestDemoBusline(t *testing.T) {
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.AdminToken = "secret" }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "busline", "--server", srv.URL, "--admin-url", srv.AdminURL, "--addr", "127.0.0.1:0"},
			envFunc(map[string]string{"PARLEY_ADMIN_TOKEN": "secret"}), strings.NewReader(""), &out, &errOut)
	}()
	waitOutput(t, &out, "Busline is open.")
	link := regexp.MustCompile(`click-to-chat link: (\S+)`).FindStringSubmatch(out.String())
	if link == nil || !strings.HasPrefix(link[1], srv.URL+"/c/") {
		t.Fatalf("no link in %q", out.String())
	}
	resp, err := http.Get(link[1])
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("open the link: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo busline: %v (%s)", err, errOut.String())
	}
	if err := run(context.Background(), []string{"demo", "busline"}, envFunc(nil), strings.NewReader(""), &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "token") {
		t.Fatalf("without a token: got %v, want an error naming the token", err)
	}
}

// scriptBusline starts the Busline demo business next to the script's
// server, with its number in $BUSLINE_PHONE.
func scriptBusline(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: busline")
	}
	srv := ts.Value("srv").(*servertest.Server)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := busline.Start(ctx, busline.Options{ServerURL: srv.URL, AdminURL: srv.AdminURL, AdminToken: scriptAdminToken,
		Addr: "127.0.0.1:0", RemindEvery: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		ts.Fatalf("busline: %v", err)
	}
	ts.Defer(func() { _ = d.Close() })
	ts.Setenv("BUSLINE_PHONE", d.Phone())
}
