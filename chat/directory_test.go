package chat

import (
	"slices"
	"testing"
	"time"
)

func TestBatchRoundTrip(t *testing.T) {
	type item struct {
		dev   int64
		frame string
	}
	want := []item{{1, `{"type":"entry"}`}, {1 << 40, ""}, {7, string(make([]byte, 300))}}
	var b []byte
	for _, it := range want {
		b = AppendBatch(b, it.dev, []byte(it.frame))
	}
	var got []item
	if err := ForEachInBatch(b, func(dev int64, frame []byte) { got = append(got, item{dev, string(frame)}) }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range [][]byte{{0x80}, {0x01, 0x05, 'a'}, {0x00, 0x00}} {
		if err := ForEachInBatch(bad, func(int64, []byte) {}); err == nil {
			t.Errorf("batch %x: got no error", bad)
		}
	}
}

func FuzzForEachInBatch(f *testing.F) {
	f.Add(AppendBatch(AppendBatch(nil, 3, []byte("abc")), 9, nil))
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var again []byte
		if err := ForEachInBatch(data, func(dev int64, frame []byte) { again = AppendBatch(again, dev, frame) }); err != nil {
			return
		}
		// What decodes re-encodes to a batch that decodes the same.
		var n1, n2 int
		_ = ForEachInBatch(data, func(int64, []byte) { n1++ })
		if err := ForEachInBatch(again, func(int64, []byte) { n2++ }); err != nil || n1 != n2 {
			t.Fatalf("re-encoded batch: %v, %d entries, want %d", err, n2, n1)
		}
	})
}

func TestDirectory(t *testing.T) {
	d := &Directory{node: "me", local: map[int64]int{}, where: map[int64]string{}, nodes: map[string]map[int64]bool{}, heard: map[string]time.Time{}}
	t0 := time.Now()
	d.mu.Lock()
	d.local[1] = 1
	d.mu.Unlock()
	d.apply(announcement{Node: "b", On: []int64{2, 3}}, t0)
	d.apply(announcement{Node: "c", On: []int64{4}}, t0)
	d.apply(announcement{Node: "me", On: []int64{9}}, t0) // our own echo
	for dev, want := range map[int64]string{1: "me", 2: "b", 3: "b", 4: "c", 9: ""} {
		if got := d.NodeOf(dev); got != want {
			t.Errorf("device %d: got node %q, want %q", dev, got, want)
		}
	}
	// Device 3 moves to c; b's late "off" for it changes nothing.
	d.apply(announcement{Node: "c", On: []int64{3}}, t0)
	d.apply(announcement{Node: "b", Off: []int64{3}}, t0)
	if got := d.NodeOf(3); got != "c" {
		t.Errorf("moved device: got node %q, want c", got)
	}
	// A snapshot replaces b's set.
	d.apply(announcement{Node: "b", All: []int64{5}, Full: true}, t0.Add(time.Second))
	if d.NodeOf(2) != "" || d.NodeOf(5) != "b" {
		t.Errorf("after b's snapshot: device 2 on %q, 5 on %q; want none and b", d.NodeOf(2), d.NodeOf(5))
	}
	// c falls silent and is forgotten; b, heard later, stays.
	d.expire(t0.Add(time.Millisecond))
	if d.NodeOf(4) != "" || d.NodeOf(3) != "" || d.NodeOf(5) != "b" || d.Peers() != 1 {
		t.Errorf("after expiry: 4 on %q, 3 on %q, 5 on %q, %d peers; want none, none, b, 1", d.NodeOf(4), d.NodeOf(3), d.NodeOf(5), d.Peers())
	}
}
