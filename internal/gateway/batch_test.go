package gateway

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
)

// entryFrame is a live entry event as the Service encodes it.
func entryFrame(id int64, pad int) []byte {
	return fmt.Appendf(nil, `{"type":"entry","entry":{"id":%d,"body":"%s"}}`, id, strings.Repeat("x", pad))
}

// TestBatchFramesOneWrite: the entries of one commit batch for one device
// reach it whole and in order, written together (Pushed sees them as one
// write of three frames); a frame at or below the replay floor is dropped
// as before; another device in the same batch gets its own.
func TestBatchFramesOneWrite(t *testing.T) { eachTransport(t, testBatchFramesOneWrite) }

func testBatchFramesOneWrite(t *testing.T, tr Transport) {
	r := newFanoutRig(t, 2, tr)
	var mu sync.Mutex
	var writes []int
	r.g.opts.Pushed = func(n int) {
		mu.Lock()
		writes = append(writes, n)
		mu.Unlock()
	}
	r.g.devices = map[int64]*session{7: r.sessions[0], 8: r.sessions[1]}
	r.sessions[0].floor = 10 // entry 10 was replayed already

	var batch []byte
	for _, e := range []struct{ dev, id int64 }{{7, 10}, {7, 11}, {8, 12}, {7, 13}, {7, 14}} {
		batch = chat.AppendBatch(batch, e.dev, entryFrame(e.id, 0))
	}
	r.g.onBatch("", batch)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := readAll(ctx, r.clients[0], 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{string(entryFrame(11, 0)), string(entryFrame(13, 0)), string(entryFrame(14, 0))}
	if !slices.Equal(got, want) {
		t.Errorf("device 7 got %q, want %q", got, want)
	}
	got, err = readAll(ctx, r.clients[1], 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := string(entryFrame(12, 0)); got[0] != want {
		t.Errorf("device 8 got %q, want %q", got[0], want)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(writes)
	if want := []int{1, 3}; !slices.Equal(writes, want) {
		t.Errorf("writes of %v frames, want %v", writes, want)
	}
}

// TestBatchFramesBehindFullSocket: batches of large frames for a device
// that does not read (its socket fills, the rest is queued) all arrive
// whole and in order once it reads.
func TestBatchFramesBehindFullSocket(t *testing.T) { eachTransport(t, testBatchFramesBehindFullSocket) }

func testBatchFramesBehindFullSocket(t *testing.T, tr Transport) {
	r := newFanoutRig(t, 1, tr)
	r.g.devices = map[int64]*session{7: r.sessions[0]}
	var want []string
	id := int64(0)
	for range 8 {
		var batch []byte
		for range 4 {
			id++
			f := entryFrame(id, 60<<10)
			want = append(want, string(f))
			batch = chat.AppendBatch(batch, 7, f)
		}
		r.g.onBatch("", batch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := readAll(ctx, r.clients[0], len(want))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("frame %d differs (%d bytes, want %d)", i, len(got[i]), len(want[i]))
		}
	}
}

// TestLateCommitAfterReplay: PostgreSQL commits entries out of id order,
// so the replay can read past an entry that is still committing. When
// that entry then arrives live, below the replay's last id, it still goes
// out; the ones the replay sent do not go out twice.
func TestLateCommitAfterReplay(t *testing.T) { eachTransport(t, testLateCommitAfterReplay) }

func testLateCommitAfterReplay(t *testing.T, tr Transport) {
	r := newFanoutRig(t, 1, tr)
	r.g.devices = map[int64]*session{7: r.sessions[0]}
	s := r.sessions[0]
	s.mu.Lock()
	for _, id := range []int64{3, 8, 10} { // the replay sent these; 9 was not committed yet
		s.noteReplayed(id)
	}
	s.floor = 10
	s.mu.Unlock()

	var batch []byte
	for _, id := range []int64{2, 8, 9, 10, 11} {
		batch = chat.AppendBatch(batch, 7, entryFrame(id, 0))
	}
	r.g.onBatch("", batch)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := readAll(ctx, r.clients[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{string(entryFrame(9, 0)), string(entryFrame(11, 0))}; !slices.Equal(got, want) {
		t.Errorf("device 7 got %q, want %q (2 is older than what the replay remembers: sent)", got, want)
	}
}
