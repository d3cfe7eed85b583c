package storetest

import (
	"testing"
	"time"

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

// testSharedRefs: a shared message's entries, which the stores keep as
// references to its body, behave as whole inbox rows do. They page in id
// order with the device's other entries; acks return them with their
// message's columns (delivered receipts need them); they expire with a
// notice, oldest first and within the limit; a chat's timer shortens and
// purges them; a deleted device's go with it. An entry marked Shared that
// says something the others do not (here its own expiry) still reads
// whole.
func testSharedRefs(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	group := newGroup(t, s, f.alice.ID, f.bob.ID)
	s1 := shared(f.message(group.ID, "s1", t0, f.aliceDev, f.bobDev), "one", map[int64]string{f.bobDev.ID: "bob's key"})
	plain := f.message(group.ID, "p1", t0, f.bobDev)
	s2 := shared(f.message(group.ID, "s2", at(time.Hour), f.aliceDev, f.bobDev), "two", nil)
	s2.Entries[1].ExpiresAt = at(2 * time.Hour) // bob's: sooner than alice's
	commit(t, s, s1)
	commit(t, s, plain)
	commit(t, s, s2)
	bob := entriesOf(f.bobDev.ID, s1, plain, s2)
	alice := entriesOf(f.aliceDev.ID, s1, s2)

	var paged []chat.Entry
	for after := int64(0); ; {
		es, err := s.Pending(ctx, f.bobDev.ID, after, 1)
		ok(t, "pending", err)
		if len(es) == 0 {
			break
		}
		paged = append(paged, es...)
		after = es[0].ID
	}
	wantDiff(t, "bob's inbox, one entry a page", paged, bob)
	wantDiff(t, "alice's inbox", pending(t, s, f.aliceDev.ID), alice)

	got, err := s.AckMany(ctx, []chat.DeviceAck{
		{DeviceID: f.bobDev.ID, IDs: []int64{bob[0].ID, bob[0].ID}},
		{DeviceID: f.aliceDev.ID, IDs: []int64{bob[2].ID}}, // not alice's: ignored
	})
	ok(t, "ack many", err)
	wantDiff(t, "acked entries", got, withoutBodies(bob[:1]))
	wantDiff(t, "bob's inbox after the ack", pending(t, s, f.bobDev.ID), bob[1:])

	// Inbox rows expire first, then refs, limit entries at a time.
	expire := func(limit int, want []chat.Entry) {
		t.Helper()
		n, notify, err := s.Expire(ctx, at(30*24*time.Hour), limit)
		ok(t, "expire", err)
		if n != len(want) {
			t.Errorf("expired: got %d, want %d", n, len(want))
		}
		wantDiff(t, "expired entries to notify", notify, withoutBodies(want))
	}
	expire(1, bob[2:3]) // bob's s2, at 2h
	expire(1, bob[1:2]) // the plain message, at 30 days
	expire(100, alice[:1])
	expire(100, nil)

	n, err := s.ShortenChatExpiry(ctx, group.ID, 24*time.Hour)
	ok(t, "shorten chat expiry", err)
	if n != 1 {
		t.Errorf("shortened: got %d, want 1", n)
	}
	shortened := alice[1]
	shortened.ExpiresAt, shortened.NotifyExpiry = at(25*time.Hour), false
	wantDiff(t, "alice's inbox after the timer", pending(t, s, f.aliceDev.ID), []chat.Entry{shortened})

	n, err = s.PurgeChatEntries(ctx, group.ID, at(2*time.Hour))
	ok(t, "purge chat entries", err)
	if n != 1 {
		t.Errorf("purged: got %d, want 1", n)
	}
	wantDiff(t, "alice's inbox after the purge", pending(t, s, f.aliceDev.ID), []chat.Entry(nil))

	s3 := shared(f.message(group.ID, "s3", at(3*time.Hour), f.aliceDev, f.bobDev), "three", nil)
	commit(t, s, s3)
	ok(t, "delete device", s.DeleteDevice(ctx, f.bob.ID, f.bobDev.ID))
	wantDiff(t, "bob's inbox after his device is deleted", pending(t, s, f.bobDev.ID), []chat.Entry(nil))
	wantDiff(t, "alice's inbox", pending(t, s, f.aliceDev.ID), entriesOf(f.aliceDev.ID, s3))
}
