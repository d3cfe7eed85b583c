package gateway

import (
	"errors"
	"log/slog"
	"testing"
	"time"
)

// TestReadinessStartsWithItsFirstSocket: the engine does not run until a
// socket needs it, so a gateway closed at once (a server whose start
// failed) stops at once, and nothing is served on it after its stop.
func TestReadinessStartsWithItsFirstSocket(t *testing.T) {
	g := &Gateway{log: slog.New(slog.DiscardHandler)}
	for range 20 { // made and closed at once, again and again
		nb, err := newReadiness(g)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		nb.stop(g.log)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("stop of an engine that never started took %v", d)
		}
		if err := nb.start(); !errors.Is(err, errEngineStopped) {
			t.Fatalf("start after stop: got %v, want %v", err, errEngineStopped)
		}
	}
	nb, err := newReadiness(g)
	if err != nil {
		t.Fatal(err)
	}
	if err := nb.start(); err != nil {
		t.Fatal(err)
	}
	if err := nb.start(); err != nil {
		t.Fatalf("a second start: %v", err)
	}
	nb.stop(g.log)
	nb.stop(g.log) // twice is harmless
}
