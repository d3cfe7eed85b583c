package channels

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"
)

// TestRunInProcess runs the bench with one server and the followers'
// sockets in this process, on SQLite: every push must reach every online
// follower (Run fails otherwise) and the report must have every line. The
// child processes (-clients, -nodes) re-execute the parley binary; the
// tests of cmd/parley run those.
func TestRunInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("the channels bench runs without -short")
	}
	var out, log bytes.Buffer
	cfg := Config{Followers: 200, Online: []int{20, 50}, Posts: 2, Pushes: 2, Readers: 2,
		ReadDuration: 200 * time.Millisecond, Nodes: 1, Clients: 0, Log: &log}
	if err := Run(context.Background(), cfg, &out); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, log.String())
	}
	for _, want := range []string{
		`(?m)^parley bench channels \(sqlite, 200 followers\)$`,
		`(?m)^seed 200 followers \(bulk insert\) `,
		`(?m)^post, 200 followers \(median of 2\)    \S+$`,
		`(?m)^post, 200 followers \(median of 2\) \S+$`,
		`push: batched fan-out, 1 server node in this process, clients in this process, GOMAXPROCS \d+`,
		`push to     20 online: last delivery \S+ \(median of 2\), \d+ deliveries/s; CPU per delivery: server and clients `,
		`push to     50 online: last delivery \S+ \(median of 2\)`,
		`(?m)^timeline reads: \d+ reads/s, p99 \S+ \(2 readers, page of 20\)$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("report does not match %q:\n%s", want, out.String())
		}
	}
}

// TestCheck covers the refusals and the cap of Config.check.
func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // the error; "" for none
	}{
		{"nodes without postgres", Config{Followers: 10, Online: []int{5}, Nodes: 2, Clients: 1}, "bench channels: -nodes 2 needs -postgres and -clients 1 or more"},
		{"nodes without clients", Config{Followers: 10, Online: []int{5}, Nodes: 2, Postgres: "x"}, "bench channels: -nodes 2 needs -postgres and -clients 1 or more"},
		{"more online than followers", Config{Followers: 10, Online: []int{5, 20}, Nodes: 1}, "bench channels: -online 20 is more than -followers 10"},
		{"fine", Config{Followers: 10, Online: []int{5, 10}, Nodes: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			tt.cfg.Log = &log
			err := tt.cfg.check()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFeed checks the epoll reader's frame parser: it counts text frames
// that start with the channel_post type, across reads that cut a frame
// (in its header or its payload) anywhere.
func TestFeed(t *testing.T) {
	frame := func(opcode byte, payload string) []byte {
		b := []byte{0x80 | opcode}
		switch n := len(payload); {
		case n < 126:
			b = append(b, byte(n))
		case n < 1<<16:
			b = append(b, 126, byte(n>>8), byte(n))
		default:
			t.Fatal("payload too long for the test")
		}
		return append(b, payload...)
	}
	long := `{"type":"channel_post","text":"` + string(bytes.Repeat([]byte("x"), 300)) + `"}`
	var stream []byte
	stream = append(stream, frame(1, `{"type":"channel_post","id":1}`)...)
	stream = append(stream, frame(1, `{"type":"entry"}`)...)
	stream = append(stream, frame(2, `{"type":"channel_post"}`)...) // binary: not counted
	stream = append(stream, frame(1, long)...)
	stream = append(stream, frame(9, "")...) // ping
	const want = 2
	for cut := range len(stream) + 1 {
		var ec epollConn
		got := ec.feed(stream[:cut]) + ec.feed(stream[cut:])
		if got != want || len(ec.pending) != 0 {
			t.Fatalf("cut at %d: got %d posts and %d bytes pending, want %d and 0", cut, got, len(ec.pending), want)
		}
	}
}
