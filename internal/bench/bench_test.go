package bench

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/wire"
)

func TestHistQuantiles(t *testing.T) {
	var h Hist
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5000 * time.Microsecond}, {0.99, 9900 * time.Microsecond}, {1, 10000 * time.Microsecond}} {
		got := h.Quantile(tc.q)
		// Buckets are 1/64 wide and report their upper edge.
		if got < tc.want || float64(got) > float64(tc.want)*(1+1.0/32) {
			t.Errorf("Quantile(%v): got %v, want %v (+1/32)", tc.q, got, tc.want)
		}
	}
	if got := h.Count(); got != 10000 {
		t.Errorf("Count: got %d, want 10000", got)
	}
	var empty Hist
	if got := empty.Quantile(0.99); got != 0 {
		t.Errorf("empty Quantile: got %v, want 0", got)
	}
}

func TestBucketsAreMonotonic(t *testing.T) {
	prev := -1
	for v := int64(0); v < 1<<22; v += 1 + v/97 {
		b := bucket(v)
		if b < prev {
			t.Fatalf("bucket(%d) = %d < bucket of a smaller value %d", v, b, prev)
		}
		if top := bucketValue(b); top < v {
			t.Fatalf("bucketValue(bucket(%d)) = %d, want ≥ %d", v, top, v)
		}
		prev = b
	}
}

func TestStamp(t *testing.T) {
	body := make([]byte, 40)
	now := time.Now()
	putStamp(body, now)
	got, ok := readStamp(body)
	if !ok || got != now.UnixNano() {
		t.Errorf("readStamp: got %d %v, want %d true", got, ok, now.UnixNano())
	}
	if _, ok := readStamp([]byte(`{"text":"hello there, friend"}`)); ok {
		t.Error("readStamp of a plain body: got ok, want not ok")
	}
}

func TestPhones(t *testing.T) {
	ps := phones(50)
	seen := map[string]bool{}
	for _, p := range ps {
		if _, err := chatpkg.NormalizePhone(p); err != nil || seen[p] {
			t.Fatalf("phone %q: valid %v, seen %v", p, err == nil, seen[p])
		}
		seen[p] = true
	}
}

func inProcess(tb testing.TB) Target {
	tb.Helper()
	srv := servertest.Start(tb, servertest.WithBulkLogins()) // the bench registers its users at once
	return Target{URL: srv.URL, Metrics: srv.AdminURL, Store: "sqlite", Code: func(ctx context.Context, phone string) (string, error) {
		return srv.Code(phone), nil
	}}
}

// runTiny runs the benchmark at a tiny scale against an in-process
// server: 6 users, groups of 3, phases of 300 ms, no idle phase, and a
// paced phase at a fixed rate (half of a maximum measured on a loaded
// machine can round to no message at all in 300 ms); change adjusts
// those options first.
func runTiny(t *testing.T, change func(o *Options)) *Report {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o := Options{Users: 6, GroupSize: 3, GroupRatio: 0.5, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond,
		Concurrency: 3, Idle: -1, Parallel: 4, AckInterval: 20 * time.Millisecond, Rate: 50}
	change(&o)
	rep, err := Run(ctx, inProcess(t), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// TestRunSmall runs every phase at a tiny scale against an in-process
// server: everything sent is persisted and delivered, and the idle phase
// sees its sockets.
func TestRunSmall(t *testing.T) {
	rep := runTiny(t, func(o *Options) { o.Idle, o.IdleSteps = 8, 2 })
	if len(rep.Phases) != 2 {
		t.Fatalf("phases: got %d, want 2 (maximum, paced)", len(rep.Phases))
	}
	for _, p := range rep.Phases {
		// Persisted counts answers inside the window, which a loaded
		// machine can push past a tiny phase's end; delivered is the proof.
		if p.Sent == 0 || len(p.Errors) > 0 {
			t.Errorf("%s: sent %d, errors %v; want some and none", p.Name, p.Sent, p.Errors)
		}
		if p.Delivered != p.Expected || p.Expected == 0 {
			t.Errorf("%s: delivered %d of %d envelopes, want all", p.Name, p.Delivered, p.Expected)
		}
		if p.DeliverP99 <= 0 || p.DeliverP50 > p.DeliverP99 {
			t.Errorf("%s: deliver p50 %v p99 %v, want 0 < p50 ≤ p99", p.Name, p.DeliverP50, p.DeliverP99)
		}
	}
	if n := len(rep.Idle); n != 2 || rep.Idle[1].Sockets != 8 || rep.Idle[1].ServerSockets != 8 {
		t.Errorf("idle: got %+v, want 2 steps ending at 8 sockets", rep.Idle)
	}
	var out strings.Builder
	rep.WriteText(&out)
	for _, want := range []string{"maximum", "paced", "deliver p99", "RSS/socket"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// BenchmarkSendDeliver measures one 1:1 message end to end through an
// in-process server: POST, group commit, bus, push to the recipient's
// socket. Run it with go test -run XXX -bench SendDeliver ./internal/bench.
func BenchmarkSendDeliver(b *testing.B) {
	ctx := context.Background()
	t := inProcess(b)
	users, err := register(ctx, t, http.DefaultClient, 2, 2)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := makeChats(ctx, users, 2, false, 1); err != nil {
		b.Fatal(err)
	}
	from, to := users[0], users[1]
	if err := to.connect(ctx, to.c); err != nil {
		b.Fatal(err)
	}
	defer to.conn.Close()
	got := make(chan time.Duration, 1)
	go func() {
		for {
			ev, err := to.conn.Next(ctx)
			if err != nil {
				return
			}
			if ev.Type == wire.EventEntry && ev.Entry != nil {
				_ = to.conn.Ack(ctx, ev.Entry.ID)
				if sent, ok := readStamp(ev.Entry.Body); ok {
					got <- time.Since(time.Unix(0, sent))
				}
			}
		}
	}()
	var h Hist
	body := make([]byte, 200)
	n := 0
	for b.Loop() {
		n++
		putStamp(body, time.Now())
		_, err := from.c.Send(ctx, from.directs[0].id, client.SendRequest{MessageID: "s" + strconv.Itoa(n),
			Envelopes: []wire.Envelope{{DeviceID: to.dev, Body: body}}})
		if err != nil {
			b.Fatal(err)
		}
		h.Record(<-got)
	}
	b.ReportMetric(float64(h.Quantile(0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(h.Quantile(0.99).Microseconds()), "p99-µs")
}

// TestRunWebSocketSends runs the maximum phase with sends over the
// sockets: everything sent is persisted and delivered.
func TestRunWebSocketSends(t *testing.T) {
	rep := runTiny(t, func(o *Options) { o.Rate, o.WebSocketSends = -1, true })
	for _, p := range rep.Phases {
		// Persisted counts answers inside the window, which a loaded
		// machine can push past a tiny phase's end; delivered is the proof.
		if p.Sent == 0 || len(p.Errors) > 0 || p.Delivered != p.Expected {
			t.Errorf("%s: sent %d, delivered %d of %d, errors %v; want all, none failed", p.Name, p.Sent, p.Delivered, p.Expected, p.Errors)
		}
	}
}

// TestRunE2EE runs the phases with end-to-end encryption: every message
// the load sends is sealed with package e2ee, decrypted by its recipient
// and only then counted, and the report gives the clients' cost.
func TestRunE2EE(t *testing.T) {
	rep := runTiny(t, func(o *Options) { o.E2EE = true })
	if len(rep.Phases) != 2 {
		t.Fatalf("phases: got %d, want 2 (maximum, paced)", len(rep.Phases))
	}
	// A delivery counts only after its decrypt, so delivered == expected
	// proves every message was opened. Answers and opens are also timed
	// when they fall inside a phase's window, which a loaded machine can
	// push past a tiny phase's end: one phase with timed opens is enough.
	timed := false
	for _, p := range rep.Phases {
		e := p.E2EE
		if e == nil {
			t.Fatalf("%s: no e2ee figures", p.Name)
		}
		if p.Sent == 0 || len(p.Errors) > 0 || p.Delivered != p.Expected || e.Failed > 0 {
			t.Errorf("%s: sent %d, delivered %d of %d, errors %v, %d not decrypted; want all decrypted, none failed",
				p.Name, p.Sent, p.Delivered, p.Expected, p.Errors, e.Failed)
		}
		if e.Opened > 0 && e.OpenPerMessage > 0 {
			timed = true
		}
		if e.DirectDevices+e.GroupMessages == 0 || e.CiphertextRatio <= 1 {
			t.Errorf("%s: sealed %d 1:1 devices and %d group messages, ciphertext/plain %.2f; want some, ratio > 1",
				p.Name, e.DirectDevices, e.GroupMessages, e.CiphertextRatio)
		}
	}
	if !timed {
		t.Errorf("no phase timed an open: %+v", rep.Phases)
	}
	var out strings.Builder
	rep.WriteText(&out)
	for _, want := range []string{"end-to-end encrypted", "seal 1:1/device", "server CPU/msg"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
