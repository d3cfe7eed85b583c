// Package testutil holds the helpers Parley's tests share. It imports
// nothing of Parley's and is imported only by _test.go files.
package testutil

import (
	"testing"
	"time"
)

// Timeout is how long Eventually waits before it fails the test. It is
// generous: a condition that holds on a quiet machine may take seconds on
// a loaded CI runner, and a passing test never waits this long.
const Timeout = 10 * time.Second

// Eventually polls cond until it returns true, and fails tb with what
// ("a webhook with status read", ...) if it does not within Timeout: a
// test waits for a condition where a sleep would guess, as nats-server's
// checkFor does. cond runs on the caller's goroutine, so it may call
// tb.Fatal to give up early (the server exited, say).
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	eventually(tb, what, cond, Timeout)
}

func eventually(tb testing.TB, what string, cond func() bool, timeout time.Duration) {
	tb.Helper()
	if !Within(timeout, cond) {
		tb.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// Within is Eventually's loop, for the few waits that report their own
// failure (with what they saw instead) or need another timeout: it polls
// cond until it returns true or timeout passes, and reports whether it
// did. The first poll is immediate; then the pause between polls doubles
// from 1 ms to 50 ms, so a condition that already holds costs nothing and
// a slow one is not polled in a tight loop.
func Within(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}
