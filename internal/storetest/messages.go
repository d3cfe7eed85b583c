package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/chat"
)

func testCommit(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	commit(t, s) // an empty commit is fine

	m := f.message(f.chat.ID, "m1", t0, f.aliceDev, f.bobDev)
	commit(t, s, m)
	if m.Seq != 1 || m.Duplicate || m.Err != nil {
		t.Errorf("append results: got Seq %d Duplicate %v Err %v, want 1 false nil", m.Seq, m.Duplicate, m.Err)
	}
	for i, e := range m.Entries {
		if e.ID <= 0 || e.Seq != 1 {
			t.Errorf("entry %d: got ID %d Seq %d, want ID > 0 and Seq 1", i, e.ID, e.Seq)
		}
	}
	if m.Entries[1].ID <= m.Entries[0].ID {
		t.Errorf("entry ids: got %d then %d, want growing", m.Entries[0].ID, m.Entries[1].ID)
	}

	got, err := s.GetMessage(ctx, f.chat.ID, "m1")
	ok(t, "get message", err)
	wantMeta := *m.Meta
	wantMeta.Seq = 1
	wantDiff(t, "message", got, wantMeta)
	_, err = s.GetMessage(ctx, f.chat.ID, "m2")
	wantCode(t, "get missing message", err, parley.ENotFound)
	_, err = s.GetMessage(ctx, f.chat.ID+100, "m1")
	wantCode(t, "get message of other chat", err, parley.ENotFound)

	ch, err := s.GetChat(ctx, f.chat.ID)
	ok(t, "get chat", err)
	if ch.LastSeq != 1 {
		t.Errorf("chat LastSeq: got %d, want 1", ch.LastSeq)
	}
	wantDiff(t, "alice's inbox", pending(t, s, f.aliceDev.ID), entriesOf(f.aliceDev.ID, m))
	wantDiff(t, "bob's inbox", pending(t, s, f.bobDev.ID), entriesOf(f.bobDev.ID, m))
}

func testCommitSequences(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	other := newGroup(t, s, f.alice.ID, f.bob.ID)

	var batch []*chat.Append
	chats := []int64{f.chat.ID, other.ID, f.chat.ID, f.chat.ID, other.ID}
	for i, chatID := range chats {
		batch = append(batch, f.message(chatID, fmt.Sprintf("m%d", i), t0, f.bobDev))
	}
	// A sequenced append without a message (a chat event) takes a number too.
	batch = append(batch, &chat.Append{ChatID: other.ID, Sequenced: true, Entries: []chat.Entry{
		{DeviceID: f.bobDev.ID, Type: chat.EntryEvent, ChatID: other.ID, Body: []byte(`{}`), CreatedAt: t0, ExpiresAt: at(time.Hour)},
	}})
	commit(t, s, batch...)
	var seqs []int64
	for _, a := range batch {
		seqs = append(seqs, a.Seq)
	}
	wantDiff(t, "seqs in batch order", seqs, []int64{1, 1, 2, 3, 2, 3})
	for _, a := range batch {
		for _, e := range a.Entries {
			if e.Seq != a.Seq {
				t.Errorf("entry seq: got %d, want the append's %d", e.Seq, a.Seq)
			}
		}
	}

	next := f.message(other.ID, "later", t0, f.bobDev)
	commit(t, s, next)
	if next.Seq != 4 {
		t.Errorf("seq of next commit: got %d, want 4", next.Seq)
	}
	for _, tt := range []struct {
		chat int64
		want int64
	}{{f.chat.ID, 3}, {other.ID, 4}} {
		ch, err := s.GetChat(ctx, tt.chat)
		ok(t, "get chat", err)
		if ch.LastSeq != tt.want {
			t.Errorf("chat %d LastSeq: got %d, want %d", tt.chat, ch.LastSeq, tt.want)
		}
	}
}

func testCommitUnsequenced(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	// A receipt for alice's devices takes no sequence number.
	a := &chat.Append{ChatID: f.chat.ID, Entries: []chat.Entry{{
		DeviceID: f.aliceDev.ID, Type: chat.EntryReceipt, ChatID: f.chat.ID, Seq: 7, MessageID: "m1",
		SenderAccount: f.bob.ID, Body: []byte(`{"status":"read"}`), CreatedAt: t0, ExpiresAt: at(time.Hour),
	}}}
	// An account event belongs to no chat.
	b := &chat.Append{Entries: []chat.Entry{{
		DeviceID: f.aliceDev.ID, Type: chat.EntryEvent, Body: []byte(`{"device":"linked"}`), CreatedAt: t0, ExpiresAt: at(time.Hour),
	}}}
	commit(t, s, a, b)
	if a.Seq != 0 || b.Seq != 0 {
		t.Errorf("unsequenced seqs: got %d and %d, want 0", a.Seq, b.Seq)
	}
	if a.Entries[0].Seq != 7 {
		t.Errorf("unsequenced entry seq: got %d, want it left at 7", a.Entries[0].Seq)
	}
	ch, err := s.GetChat(ctx, f.chat.ID)
	ok(t, "get chat", err)
	if ch.LastSeq != 0 {
		t.Errorf("chat LastSeq after unsequenced commit: got %d, want 0", ch.LastSeq)
	}
	wantDiff(t, "inbox", pending(t, s, f.aliceDev.ID), entriesOf(f.aliceDev.ID, a, b))
}

func testCommitDedupe(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	orig := f.message(f.chat.ID, "m1", t0, f.bobDev)
	commit(t, s, orig)
	before := pending(t, s, f.bobDev.ID)

	// A retry: same chat, id and sender, later.
	retry := f.message(f.chat.ID, "m1", at(time.Minute), f.bobDev)
	// Another sender reusing the id.
	clash := f.message(f.chat.ID, "m1", at(time.Minute), f.bobDev)
	clash.Meta.SenderAccount, clash.Meta.SenderDevice = f.bob.ID, f.bobDev.ID
	// The same id in another chat is another message.
	other := newGroup(t, s, f.alice.ID, f.bob.ID)
	elsewhere := f.message(other.ID, "m1", at(time.Minute), f.bobDev)
	fresh := f.message(f.chat.ID, "m2", at(time.Minute), f.bobDev)
	commit(t, s, retry, clash, elsewhere, fresh)

	if !retry.Duplicate || retry.Err != nil || retry.Seq != orig.Seq {
		t.Errorf("retry: got Duplicate %v Seq %d Err %v, want true %d nil", retry.Duplicate, retry.Seq, retry.Err, orig.Seq)
	}
	if !retry.Meta.CreatedAt.Equal(t0) || retry.Meta.Seq != orig.Seq {
		t.Errorf("retry meta: got CreatedAt %v Seq %d, want the stored %v %d", retry.Meta.CreatedAt, retry.Meta.Seq, t0, orig.Seq)
	}
	if retry.Entries[0].ID != 0 {
		t.Errorf("retry entry: got ID %d, want 0 (not written)", retry.Entries[0].ID)
	}
	wantCode(t, "append reusing another sender's id", clash.Err, parley.EConflict)
	if clash.Duplicate {
		t.Errorf("clash: got Duplicate true, want false")
	}
	if elsewhere.Err != nil || elsewhere.Duplicate || elsewhere.Seq != 1 {
		t.Errorf("same id in other chat: got Duplicate %v Seq %d Err %v, want false 1 nil", elsewhere.Duplicate, elsewhere.Seq, elsewhere.Err)
	}
	// Neither the retry nor the clash took a sequence number.
	if fresh.Err != nil || fresh.Duplicate || fresh.Seq != 2 {
		t.Errorf("fresh message: got Duplicate %v Seq %d Err %v, want false 2 nil", fresh.Duplicate, fresh.Seq, fresh.Err)
	}

	got, err := s.GetMessage(ctx, f.chat.ID, "m1")
	ok(t, "get message", err)
	want := *orig.Meta
	wantDiff(t, "original message after retry and clash", got, want)
	ch, err := s.GetChat(ctx, f.chat.ID)
	ok(t, "get chat", err)
	if ch.LastSeq != 2 {
		t.Errorf("chat LastSeq: got %d, want 2", ch.LastSeq)
	}
	wantDiff(t, "inbox", pending(t, s, f.bobDev.ID), append(before, entriesOf(f.bobDev.ID, elsewhere, fresh)...))
}

func testCommitDedupeInBatch(t *testing.T, s Store) {
	f := newFixture(t, s)
	first := f.message(f.chat.ID, "m1", t0, f.bobDev)
	again := f.message(f.chat.ID, "m1", at(time.Second), f.bobDev)
	clash := f.message(f.chat.ID, "m1", at(time.Second), f.bobDev)
	clash.Meta.SenderAccount, clash.Meta.SenderDevice = f.bob.ID, f.bobDev.ID
	next := f.message(f.chat.ID, "m2", at(time.Second), f.bobDev)
	commit(t, s, first, again, clash, next)

	if first.Seq != 1 || first.Duplicate {
		t.Errorf("first: got Seq %d Duplicate %v, want 1 false", first.Seq, first.Duplicate)
	}
	if !again.Duplicate || again.Seq != 1 || !again.Meta.CreatedAt.Equal(t0) {
		t.Errorf("repeat in batch: got Duplicate %v Seq %d CreatedAt %v, want true 1 %v", again.Duplicate, again.Seq, again.Meta.CreatedAt, t0)
	}
	wantCode(t, "clash in batch", clash.Err, parley.EConflict)
	if next.Seq != 2 {
		t.Errorf("next: got Seq %d, want 2", next.Seq)
	}
	wantDiff(t, "inbox", pending(t, s, f.bobDev.ID), entriesOf(f.bobDev.ID, first, next))
}

// testCommitUnknownChat checks that an append to a chat that does not exist
// fails alone, with ENotFound, rather than failing the whole group commit.
func testCommitUnknownChat(t *testing.T, s Store) {
	f := newFixture(t, s)
	lost := f.message(f.chat.ID+100, "m1", t0, f.bobDev)
	good := f.message(f.chat.ID, "m1", t0, f.bobDev)
	commit(t, s, lost, good)
	wantCode(t, "append to unknown chat", lost.Err, parley.ENotFound)
	if good.Err != nil || good.Seq != 1 {
		t.Errorf("other append: got Seq %d Err %v, want 1 nil", good.Seq, good.Err)
	}
	wantDiff(t, "inbox", pending(t, s, f.bobDev.ID), entriesOf(f.bobDev.ID, good))
}

func testCommitEntryIDsGrow(t *testing.T, s Store) {
	f := newFixture(t, s)
	var last int64
	for i := range 5 {
		a := f.message(f.chat.ID, fmt.Sprintf("m%d", i), t0, f.aliceDev, f.bobDev)
		b := f.message(f.chat.ID, fmt.Sprintf("n%d", i), t0, f.bobDev, f.aliceDev)
		commit(t, s, a, b)
		for _, e := range append(a.Entries, b.Entries...) {
			if e.ID <= last {
				t.Fatalf("entry id: got %d after %d, want growing", e.ID, last)
			}
			last = e.ID
		}
		// Acknowledging the newest entries must not let their ids come back.
		_, err := s.Ack(t.Context(), f.aliceDev.ID, []int64{a.Entries[0].ID, b.Entries[1].ID})
		ok(t, "ack", err)
		_, err = s.Ack(t.Context(), f.bobDev.ID, []int64{a.Entries[1].ID, b.Entries[0].ID})
		ok(t, "ack", err)
	}
}

func testCommitConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	const workers, commits, perBatch = 8, 10, 5
	var (
		mu   sync.Mutex
		all  []*chat.Append
		errs []error
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for c := range commits {
				var batch []*chat.Append
				for i := range perBatch {
					batch = append(batch, f.message(f.chat.ID, fmt.Sprintf("w%d-c%d-%d", w, c, i), t0, f.bobDev))
				}
				err := s.Commit(ctx, batch)
				mu.Lock()
				all = append(all, batch...)
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		ok(t, "concurrent commit", err)
	}

	const total = workers * commits * perBatch
	var seqs, ids []int64
	for _, a := range all {
		if a.Err != nil || a.Duplicate {
			t.Fatalf("append %s: got Duplicate %v Err %v, want false nil", a.Meta.ID, a.Duplicate, a.Err)
		}
		seqs = append(seqs, a.Seq)
		ids = append(ids, a.Entries[0].ID)
		got, err := s.GetMessage(ctx, f.chat.ID, a.Meta.ID)
		ok(t, "get message", err)
		if got.Seq != a.Seq {
			t.Errorf("message %s: got stored Seq %d, want %d", a.Meta.ID, got.Seq, a.Seq)
		}
	}
	slices.Sort(seqs)
	want := make([]int64, total)
	for i := range want {
		want[i] = int64(i + 1)
	}
	wantDiff(t, "sorted seqs", seqs, want)
	slices.Sort(ids)
	if n := len(slices.Compact(ids)); n != total {
		t.Errorf("distinct entry ids: got %d, want %d", n, total)
	}
	ch, err := s.GetChat(ctx, f.chat.ID)
	ok(t, "get chat", err)
	if ch.LastSeq != total {
		t.Errorf("chat LastSeq: got %d, want %d", ch.LastSeq, total)
	}
	if got := len(pending(t, s, f.bobDev.ID)); got != total {
		t.Errorf("inbox size: got %d, want %d", got, total)
	}
}

func testPending(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	var batch []*chat.Append
	for i := range 5 {
		batch = append(batch, f.message(f.chat.ID, fmt.Sprintf("m%d", i), t0, f.bobDev, f.aliceDev))
	}
	commit(t, s, batch...)
	all := entriesOf(f.bobDev.ID, batch...)
	if len(all) != 5 {
		t.Fatalf("bob's entries: got %d, want 5", len(all))
	}

	tests := []struct {
		name  string
		after int64
		limit int
		want  []chat.Entry
	}{
		{"first page", 0, 2, all[:2]},
		{"second page", all[1].ID, 2, all[2:4]},
		{"last page", all[3].ID, 2, all[4:]},
		{"past the end", all[4].ID, 2, nil},
		{"everything", 0, 100, all},
		{"between ids", all[0].ID + 1, 1, all[1:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Pending(ctx, f.bobDev.ID, tt.after, tt.limit)
			ok(t, "pending", err)
			wantDiff(t, "entries", got, tt.want)
		})
	}
	got, err := s.Pending(ctx, f.bobDev.ID+100, 0, 100)
	ok(t, "pending of unknown device", err)
	wantDiff(t, "entries of unknown device", got, []chat.Entry(nil))
}

func testAck(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	var batch []*chat.Append
	for i := range 4 {
		batch = append(batch, f.message(f.chat.ID, fmt.Sprintf("m%d", i), t0, f.bobDev, f.aliceDev))
	}
	commit(t, s, batch...)
	bob := entriesOf(f.bobDev.ID, batch...)
	alice := entriesOf(f.aliceDev.ID, batch...)

	got, err := s.Ack(ctx, f.bobDev.ID, nil)
	ok(t, "ack nothing", err)
	wantDiff(t, "acked nothing", got, []chat.Entry(nil))

	// Unknown ids and other devices' ids are ignored.
	got, err = s.Ack(ctx, f.bobDev.ID, []int64{bob[2].ID, alice[0].ID, bob[0].ID, alice[3].ID + 1000})
	ok(t, "ack", err)
	slices.SortFunc(got, byID)
	wantDiff(t, "acked entries, without bodies", got, withoutBodies([]chat.Entry{bob[0], bob[2]}))

	wantDiff(t, "bob's inbox after ack", pending(t, s, f.bobDev.ID), []chat.Entry{bob[1], bob[3]})
	wantDiff(t, "alice's inbox after bob's ack", pending(t, s, f.aliceDev.ID), alice)

	got, err = s.Ack(ctx, f.bobDev.ID, []int64{bob[0].ID})
	ok(t, "ack twice", err)
	wantDiff(t, "acked twice", got, []chat.Entry(nil))
}

func testRaiseReceipts(t *testing.T, s Store) {
	ctx := t.Context()
	r := func(msg string, account int64, st chat.ReceiptStatus) chat.Receipt {
		return chat.Receipt{ChatID: 1, MessageID: msg, AccountID: account, Status: st}
	}
	const delivered, read = chat.ReceiptDelivered, chat.ReceiptRead
	steps := []struct {
		name string
		in   []chat.Receipt
		want []chat.Receipt
	}{
		{"none", nil, nil},
		{"new", []chat.Receipt{r("m1", 10, delivered), r("m1", 11, read)}, []chat.Receipt{r("m1", 10, delivered), r("m1", 11, read)}},
		{"same again", []chat.Receipt{r("m1", 10, delivered), r("m1", 11, read)}, nil},
		{"lower", []chat.Receipt{r("m1", 11, delivered)}, nil},
		{"raised", []chat.Receipt{r("m1", 10, read), r("m1", 11, read)}, []chat.Receipt{r("m1", 10, read)}},
		{"other message", []chat.Receipt{r("m2", 10, delivered), r("m1", 10, delivered)}, []chat.Receipt{r("m2", 10, delivered)}},
		{"other chat", []chat.Receipt{{ChatID: 2, MessageID: "m1", AccountID: 10, Status: delivered}},
			[]chat.Receipt{{ChatID: 2, MessageID: "m1", AccountID: 10, Status: delivered}}},
		// Given twice in one call, a receipt counts once, at its highest.
		{"repeated in one call", []chat.Receipt{r("m3", 10, delivered), r("m3", 10, read), r("m3", 10, delivered)},
			[]chat.Receipt{r("m3", 10, read)}},
		// A message id that reads as a number stays the same text.
		{"numeric message id", []chat.Receipt{r("0042", 10, delivered)}, []chat.Receipt{r("0042", 10, delivered)}},
		{"numeric message id again", []chat.Receipt{r("0042", 10, delivered)}, nil},
	}
	// The steps build on each other: they run in order on one store.
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := s.RaiseReceipts(ctx, st.in)
			ok(t, "raise receipts", err)
			wantDiff(t, "raised receipts", got, st.want, sortReceipts)
		})
	}
}

// sortReceipts compares lists of receipts in any order.
var sortReceipts = cmpopts.SortSlices(func(a, b chat.Receipt) bool {
	if a.ChatID != b.ChatID {
		return a.ChatID < b.ChatID
	}
	if a.MessageID != b.MessageID {
		return a.MessageID < b.MessageID
	}
	return a.AccountID < b.AccountID
})

func testExpire(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	entry := func(expires time.Duration, notify bool) chat.Entry {
		return chat.Entry{DeviceID: f.bobDev.ID, Type: chat.EntryMessage, ChatID: f.chat.ID, MessageID: "m",
			Body: []byte("secret"), CreatedAt: t0, ExpiresAt: at(expires), NotifyExpiry: notify}
	}
	a := &chat.Append{ChatID: f.chat.ID, Entries: []chat.Entry{
		entry(time.Hour, true),
		entry(2*time.Hour, false), // a disappearing message: no notice
		entry(2*time.Hour, true),  // expires exactly at now
		entry(3*time.Hour, true),
	}}
	commit(t, s, a)
	es := a.Entries

	n, notify, err := s.Expire(ctx, at(2*time.Hour), 100)
	ok(t, "expire", err)
	if n != 3 {
		t.Errorf("expired: got %d, want 3", n)
	}
	slices.SortFunc(notify, byID)
	wantDiff(t, "entries to notify", notify, withoutBodies([]chat.Entry{es[0], es[2]}))
	wantDiff(t, "inbox after expire", pending(t, s, f.bobDev.ID), es[3:])

	n, notify, err = s.Expire(ctx, at(2*time.Hour), 100)
	ok(t, "expire again", err)
	if n != 0 || len(notify) != 0 {
		t.Errorf("expire again: got %d deleted and %d to notify, want 0 and 0", n, len(notify))
	}
}

func testExpireLimit(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	a := &chat.Append{}
	for i := range 5 {
		a.Entries = append(a.Entries, chat.Entry{DeviceID: f.bobDev.ID, Type: chat.EntryEvent,
			CreatedAt: t0, ExpiresAt: at(time.Duration(i) * time.Minute), NotifyExpiry: true})
	}
	commit(t, s, a)
	var seen []int64
	for _, want := range []int{2, 2, 1, 0} {
		n, notify, err := s.Expire(ctx, at(time.Hour), 2)
		ok(t, "expire", err)
		if n != want || len(notify) != want {
			t.Errorf("expire with limit 2: got %d deleted and %d to notify, want %d and %d", n, len(notify), want, want)
		}
		for _, e := range notify {
			seen = append(seen, e.ID)
		}
	}
	slices.Sort(seen)
	var want []int64
	for _, e := range a.Entries {
		want = append(want, e.ID)
	}
	wantDiff(t, "expired ids", seen, want)
}

func testPruneMessages(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	old := f.message(f.chat.ID, "old", t0, f.bobDev)
	edge := f.message(f.chat.ID, "edge", at(time.Hour), f.bobDev)
	young := f.message(f.chat.ID, "young", at(2*time.Hour), f.bobDev)
	commit(t, s, old, edge, young)
	receipts := []chat.Receipt{
		{ChatID: f.chat.ID, MessageID: "old", AccountID: f.bob.ID, Status: chat.ReceiptRead},
		{ChatID: f.chat.ID, MessageID: "young", AccountID: f.bob.ID, Status: chat.ReceiptRead},
	}
	_, err := s.RaiseReceipts(ctx, receipts)
	ok(t, "raise receipts", err)

	n, err := s.PruneMessages(ctx, at(time.Hour))
	ok(t, "prune messages", err)
	if n != 1 {
		t.Errorf("pruned: got %d, want 1", n)
	}
	_, err = s.GetMessage(ctx, f.chat.ID, "old")
	wantCode(t, "get pruned message", err, parley.ENotFound)
	for _, id := range []string{"edge", "young"} {
		_, err = s.GetMessage(ctx, f.chat.ID, id)
		ok(t, "get kept message "+id, err)
	}
	// The old message's receipt went with it, so it counts as new again;
	// the young one's is still there.
	got, err := s.RaiseReceipts(ctx, receipts)
	ok(t, "raise receipts", err)
	wantDiff(t, "receipts raised after prune", got, receipts[:1], sortReceipts)
	// Envelopes are not message metadata: the inbox is untouched.
	if got := len(pending(t, s, f.bobDev.ID)); got != 3 {
		t.Errorf("inbox after prune: got %d entries, want 3", got)
	}
	// Pruning frees the id: a new message may reuse it.
	again := f.message(f.chat.ID, "old", at(3*time.Hour), f.bobDev)
	commit(t, s, again)
	if again.Duplicate || again.Err != nil || again.Seq != 4 {
		t.Errorf("reused id after prune: got Duplicate %v Seq %d Err %v, want false 4 nil", again.Duplicate, again.Seq, again.Err)
	}
}

func testPurgeChatEntries(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	other := newGroup(t, s, f.alice.ID, f.bob.ID)
	old := f.message(f.chat.ID, "old", t0, f.bobDev, f.aliceDev)
	young := f.message(f.chat.ID, "young", at(time.Hour), f.bobDev, f.aliceDev)
	elsewhere := f.message(other.ID, "old", t0, f.bobDev)
	commit(t, s, old, young, elsewhere)

	n, err := s.PurgeChatEntries(ctx, f.chat.ID, at(time.Hour))
	ok(t, "purge chat entries", err)
	if n != 2 {
		t.Errorf("purged: got %d, want 2", n)
	}
	wantDiff(t, "bob's inbox", pending(t, s, f.bobDev.ID), entriesOf(f.bobDev.ID, young, elsewhere))
	wantDiff(t, "alice's inbox", pending(t, s, f.aliceDev.ID), entriesOf(f.aliceDev.ID, young))
	// The metadata stays: it is for deduplication, not content.
	_, err = s.GetMessage(ctx, f.chat.ID, "old")
	ok(t, "get message after purge", err)
}

func testShortenChatExpiry(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	other := newGroup(t, s, f.alice.ID, f.bob.ID)
	old := f.message(f.chat.ID, "old", t0, f.bobDev)
	young := f.message(f.chat.ID, "young", at(time.Hour), f.bobDev)
	soon := f.message(f.chat.ID, "soon", t0, f.bobDev)
	soon.Entries[0].ExpiresAt, soon.Entries[0].NotifyExpiry = at(time.Hour), false // already sooner
	system := &chat.Append{ChatID: f.chat.ID, Sequenced: true, Entries: []chat.Entry{{DeviceID: f.bobDev.ID,
		Type: chat.EntryMessage, ChatID: f.chat.ID, Kind: chat.KindSystem, Body: []byte(`{}`),
		CreatedAt: t0, ExpiresAt: at(30 * 24 * time.Hour)}}}
	elsewhere := f.message(other.ID, "old", t0, f.bobDev)
	commit(t, s, old, young, soon, system, elsewhere)

	n, err := s.ShortenChatExpiry(ctx, f.chat.ID, 24*time.Hour)
	ok(t, "shorten chat expiry", err)
	if n != 2 {
		t.Errorf("shortened: got %d, want 2", n)
	}
	want := entriesOf(f.bobDev.ID, old, young, soon, system, elsewhere)
	want[0].ExpiresAt, want[0].NotifyExpiry = at(24*time.Hour), false
	want[1].ExpiresAt, want[1].NotifyExpiry = at(25*time.Hour), false
	wantDiff(t, "bob's inbox", pending(t, s, f.bobDev.ID), want)

	// Expiring them is silent.
	n, notify, err := s.Expire(ctx, at(24*time.Hour), 100)
	ok(t, "expire", err)
	if n != 2 || len(notify) != 0 {
		t.Errorf("expire: got %d deleted and %d to notify, want 2 and 0", n, len(notify))
	}
	wantDiff(t, "bob's inbox after expire", pending(t, s, f.bobDev.ID), []chat.Entry{want[1], want[3], want[4]})
}

func testAckMany(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	var batch []*chat.Append
	for i := range 3 {
		batch = append(batch, f.message(f.chat.ID, fmt.Sprintf("m%d", i), t0, f.bobDev, f.aliceDev))
	}
	commit(t, s, batch...)
	bob := entriesOf(f.bobDev.ID, batch...)
	alice := entriesOf(f.aliceDev.ID, batch...)

	got, err := s.AckMany(ctx, nil)
	ok(t, "ack many nothing", err)
	wantDiff(t, "acked nothing", len(got), 0)

	// Each device acks only its own entries; another's id is ignored.
	got, err = s.AckMany(ctx, []chat.DeviceAck{
		{DeviceID: f.bobDev.ID, IDs: []int64{bob[0].ID, alice[1].ID}},
		{DeviceID: f.aliceDev.ID, IDs: []int64{alice[2].ID}},
		{DeviceID: f.aliceDev.ID},
	})
	ok(t, "ack many", err)
	slices.SortFunc(got, byID)
	wantDiff(t, "acked entries, with device ids and without bodies", got, withoutBodies([]chat.Entry{bob[0], alice[2]}))
	wantDiff(t, "bob's inbox", pending(t, s, f.bobDev.ID), []chat.Entry{bob[1], bob[2]})
	wantDiff(t, "alice's inbox", pending(t, s, f.aliceDev.ID), []chat.Entry{alice[0], alice[1]})
}

// testAckDelivered: the acks, the receipts raised for them and the
// entries telling the sender commit together; the entries take their ids
// from the inbox's sequence, as Commit's do; a failure writes nothing.
func testAckDelivered(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	group := newGroup(t, s, f.alice.ID, f.bob.ID)
	m0 := f.message(group.ID, "m0", t0, f.bobDev)
	s1 := shared(f.message(group.ID, "s1", t0, f.aliceDev, f.bobDev), "one", nil)
	m2 := f.message(group.ID, "m2", t0, f.bobDev)
	commit(t, s, m0, s1, m2)
	bob := entriesOf(f.bobDev.ID, m0, s1, m2)
	delivered := func(es []chat.Entry) []chat.Receipt {
		var rs []chat.Receipt
		for _, e := range es {
			rs = append(rs, chat.Receipt{ChatID: e.ChatID, MessageID: e.MessageID, AccountID: f.bob.ID, Status: chat.ReceiptDelivered})
		}
		return rs
	}
	// tell is one receipt entry for alice's device per raised receipt.
	tell := func(raised []chat.Receipt) []*chat.Append {
		var out []*chat.Append
		for _, r := range raised {
			out = append(out, &chat.Append{ChatID: r.ChatID, Entries: []chat.Entry{{
				DeviceID: f.aliceDev.ID, Type: chat.EntryReceipt, ChatID: r.ChatID,
				Body: []byte("delivered " + r.MessageID), CreatedAt: at(time.Minute), ExpiresAt: at(time.Hour),
			}}})
		}
		return out
	}
	type call struct {
		Acked  []chat.Entry
		Raised []chat.Receipt
	}
	ackDelivered := func(acks []chat.DeviceAck, rs func([]chat.Entry) []chat.Receipt) (call, []*chat.Append, error) {
		t.Helper()
		var c call
		appends, err := s.AckDelivered(ctx, acks,
			func(ctx context.Context, acked []chat.Entry) ([]chat.Receipt, error) {
				c.Acked = acked
				return rs(acked), nil
			},
			func(raised []chat.Receipt) []*chat.Append {
				c.Raised = raised
				return tell(raised)
			})
		return c, appends, err
	}

	c, appends, err := ackDelivered(nil, delivered)
	ok(t, "ack nothing", err)
	wantDiff(t, "nothing acked, raised or appended", c, call{})
	wantDiff(t, "appends of nothing", len(appends), 0)

	// Bob acks m0 and s1 (a shared body's ref); alice's id is not his.
	alice := entriesOf(f.aliceDev.ID, s1)
	c, appends, err = ackDelivered([]chat.DeviceAck{{DeviceID: f.bobDev.ID, IDs: []int64{bob[0].ID, bob[1].ID, alice[0].ID}}}, delivered)
	ok(t, "ack delivered", err)
	wantDiff(t, "acked entries", c.Acked, withoutBodies(bob[:2]))
	wantDiff(t, "raised receipts", c.Raised, delivered(bob[:2]))
	if len(appends) != 2 || len(appends[0].Entries) != 1 || len(appends[1].Entries) != 1 {
		t.Fatalf("appends: got %+v, want two of one entry", appends)
	}
	told := []chat.Entry{appends[0].Entries[0], appends[1].Entries[0]}
	if told[0].ID <= bob[2].ID || told[1].ID <= told[0].ID {
		t.Errorf("receipt entry ids: got %d and %d, want ascending after the last entry's %d", told[0].ID, told[1].ID, bob[2].ID)
	}
	wantDiff(t, "bob's inbox", pending(t, s, f.bobDev.ID), bob[2:])
	wantDiff(t, "alice's inbox", pending(t, s, f.aliceDev.ID), append(alice, told...))

	// The next commit's ids follow the receipts'.
	m3 := f.message(group.ID, "m3", t0, f.bobDev)
	commit(t, s, m3)
	if id := m3.Entries[0].ID; id <= told[1].ID {
		t.Errorf("next entry id: got %d, want after %d", id, told[1].ID)
	}

	// A receipt raised before is not raised again, and tells no one.
	c, appends, err = ackDelivered([]chat.DeviceAck{{DeviceID: f.bobDev.ID, IDs: []int64{bob[2].ID}}},
		func(es []chat.Entry) []chat.Receipt { return append(delivered(bob[:1]), delivered(es)...) })
	ok(t, "ack delivered again", err)
	wantDiff(t, "raised receipts, the new one only", c.Raised, delivered(bob[2:3]))
	wantDiff(t, "appends", len(appends), 1)
	got, err := s.RaiseReceipts(ctx, delivered(bob[:3]))
	ok(t, "raise receipts", err)
	wantDiff(t, "receipts raised again", len(got), 0)

	// Nothing to raise: the acks commit alone.
	c, appends, err = ackDelivered([]chat.DeviceAck{{DeviceID: f.bobDev.ID, IDs: []int64{m3.Entries[0].ID}}},
		func([]chat.Entry) []chat.Receipt { return nil })
	ok(t, "ack without receipts", err)
	wantDiff(t, "acked", c.Acked, withoutBodies(m3.Entries))
	wantDiff(t, "appends without receipts", len(appends), 0)
	wantDiff(t, "bob's inbox, all acked", len(pending(t, s, f.bobDev.ID)), 0)

	// A failure in receipts writes nothing: the ack stays undone.
	m4 := f.message(group.ID, "m4", t0, f.bobDev)
	commit(t, s, m4)
	failed := errors.New("the read cache is down")
	_, err = s.AckDelivered(ctx, []chat.DeviceAck{{DeviceID: f.bobDev.ID, IDs: []int64{m4.Entries[0].ID}}},
		func(context.Context, []chat.Entry) ([]chat.Receipt, error) { return nil, failed },
		func([]chat.Receipt) []*chat.Append {
			t.Error("notify called after receipts failed")
			return nil
		})
	if !errors.Is(err, failed) {
		t.Errorf("ack delivered: got %v, want %v", err, failed)
	}
	wantDiff(t, "bob's inbox after the failure", pending(t, s, f.bobDev.ID), m4.Entries)
}

// testCommitManyEntries: a commit writes any number of entries, inbox
// rows and shared bodies' refs, whatever the statements they are split
// into.
func testCommitManyEntries(t *testing.T, s Store) {
	f := newFixture(t, s)
	var want []chat.Entry
	for i, n := range []int{1, 3, 63, 64, 65, 127, 200, 300} {
		devs := slices.Repeat([]chat.Device{f.bobDev}, n)
		rows := f.message(f.chat.ID, fmt.Sprintf("rows%d", i), t0, devs...)
		refs := shared(f.message(f.chat.ID, fmt.Sprintf("refs%d", i), t0, devs...), "body", nil)
		commit(t, s, rows, refs)
		want = append(want, entriesOf(f.bobDev.ID, rows, refs)...)
	}
	got := pending(t, s, f.bobDev.ID)
	wantDiff(t, "entries", len(got), len(want))
	wantDiff(t, "bob's inbox", got, want)
}
