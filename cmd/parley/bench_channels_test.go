package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// TestBenchChannelsNodes runs `parley bench channels -nodes 2` with 300
// followers online: two server node processes on a fresh schema of the
// PARLEY_TEST_POSTGRES database and the bench's embedded NATS, and two
// clients processes. Every push must reach every follower on both nodes
// (the bench fails otherwise). It runs the parley command that TestMain
// puts in $PATH, so that the bench's children (re-executions of the same
// binary) are parley commands too, not this test binary.
func TestBenchChannelsNodes(t *testing.T) {
	dsn := os.Getenv("PARLEY_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("PARLEY_TEST_POSTGRES is not set")
	}
	if testing.Short() {
		t.Skip("the multi-node bench runs without -short")
	}
	cmd := exec.CommandContext(t.Context(), "parley", "bench", "channels", "-nodes", "2", "-clients", "2",
		"-followers", "400", "-online", "100,300", "-posts", "2", "-pushes", "3", "-read-duration", "0", "-postgres", dsn)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench channels -nodes 2: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		`2 server node processes, 2 client processes`,
		`push to    100 online: last delivery \S+ \(median of 3\)`,
		`push to    300 online: last delivery \S+ \(median of 3\)`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("report does not match %q:\n%s", want, out)
		}
	}
}
