package testutil

import (
	"fmt"
	"testing"
	"time"
)

func TestWithin(t *testing.T) {
	tests := []struct {
		name    string
		trueAt  int // cond turns true on this call; 0: never
		timeout time.Duration
		want    bool
		calls   int // at least
	}{
		{"true at once", 1, time.Second, true, 1},
		{"true on the fifth poll", 5, time.Second, true, 5},
		{"never", 0, 20 * time.Millisecond, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			got := Within(tt.timeout, func() bool {
				calls++
				return calls == tt.trueAt
			})
			if got != tt.want || calls < tt.calls {
				t.Errorf("got %v after %d calls, want %v after at least %d", got, calls, tt.want, tt.calls)
			}
			if tt.trueAt > 0 && calls != tt.trueAt {
				t.Errorf("got %d calls, want %d: polling went on after cond held", calls, tt.trueAt)
			}
		})
	}
}

// failTB records a Fatalf instead of stopping the test.
type failTB struct {
	testing.TB
	msg string
}

func (f *failTB) Helper() {}
func (f *failTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
}

func TestEventuallyPasses(t *testing.T) {
	start := time.Now()
	n := 0
	Eventually(t, "the third call", func() bool { n++; return n == 3 })
	if d := time.Since(start); d > time.Second {
		t.Errorf("got %v for a condition true on the third poll, want well under a second", d)
	}
}

func TestEventuallyFailsWithWhat(t *testing.T) {
	f := &failTB{TB: t}
	eventually(f, "a thing that never happens", func() bool { return false }, 20*time.Millisecond)
	if want := "timed out after 20ms waiting for a thing that never happens"; f.msg != want {
		t.Errorf("got failure %q, want %q", f.msg, want)
	}
}
