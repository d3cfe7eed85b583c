package storetest

import (
	"testing"

	"github.com/parleyhq/parley/chat"
)

// shared makes a an append with one shared body; keys gives some devices
// a part of their own.
func shared(a *chat.Append, body string, keys map[int64]string) *chat.Append {
	a.Shared = []byte(body)
	for i := range a.Entries {
		e := &a.Entries[i]
		e.Body, e.Shared = a.Shared, true
		if k, ok := keys[e.DeviceID]; ok {
			e.Key = []byte(k)
		}
	}
	return a
}

func testSharedBodies(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	group := newGroup(t, s, f.alice.ID, f.bob.ID)
	m1 := shared(f.message(group.ID, "s1", t0, f.aliceDev, f.bobDev), "one ciphertext", map[int64]string{f.bobDev.ID: "bob's key"})
	m2 := shared(f.message(group.ID, "s2", t0, f.aliceDev, f.bobDev), "another", nil)
	plain := f.message(group.ID, "p1", t0, f.bobDev)
	commit(t, s, m1, m2, plain)

	// Each device reads the one body, and only its own key.
	wantDiff(t, "bob's inbox", pending(t, s, f.bobDev.ID), entriesOf(f.bobDev.ID, m1, m2, plain))
	wantDiff(t, "alice's inbox", pending(t, s, f.aliceDev.ID), entriesOf(f.aliceDev.ID, m1, m2))
	queued, err := s.QueuedEntries(ctx, group.ID, "s1")
	ok(t, "queued entries", err)
	wantDiff(t, "queued entries of s1", queued, m1.Entries)

	// A retry writes neither a second body nor entries.
	retry := shared(f.message(group.ID, "s1", t0, f.aliceDev, f.bobDev), "changed", nil)
	commit(t, s, retry)
	if !retry.Duplicate || retry.Err != nil {
		t.Fatalf("retry: got Duplicate %v Err %v, want true nil", retry.Duplicate, retry.Err)
	}

	sweep := func() (deleted int) {
		t.Helper()
		var after int64
		for {
			last, n, err := s.SweepBodies(ctx, after, 1) // one at a time: the paging too
			ok(t, "sweep bodies", err)
			deleted += n
			if last == 0 {
				return deleted
			}
			after = last
		}
	}
	if n := sweep(); n != 0 {
		t.Errorf("sweep with every entry queued: got %d deleted, want 0", n)
	}
	_, err = s.Ack(ctx, f.aliceDev.ID, ids(entriesOf(f.aliceDev.ID, m1, m2)))
	ok(t, "alice acks", err)
	if n := sweep(); n != 0 {
		t.Errorf("sweep with bob's entries queued: got %d deleted, want 0", n)
	}
	_, err = s.Ack(ctx, f.bobDev.ID, ids(entriesOf(f.bobDev.ID, m1)))
	ok(t, "bob acks s1", err)
	if n := sweep(); n != 1 {
		t.Errorf("sweep after every device acked s1: got %d deleted, want 1", n)
	}
	// s2 still reads whole.
	wantDiff(t, "bob's inbox after the sweep", pending(t, s, f.bobDev.ID), entriesOf(f.bobDev.ID, m2, plain))
}

// ids returns the entries' ids.
func ids(es []chat.Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}
