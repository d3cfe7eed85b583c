package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/parleyhq/parley/chat"
)

// EntryOrder checks, with two handles on one database (two nodes), that a
// device reading its inbox from the highest id it has seen, as clients
// resume, never skips an entry: ids become visible in the order they were
// taken, even when both nodes commit at once.
func EntryOrder(t *testing.T, a, b Store) {
	f := newFixture(t, a)
	// One chat per node: commits to one chat are already serial (its row
	// is locked to sequence it); a device's entries come from many chats.
	chats := []int64{f.chat.ID, newGroup(t, a, f.alice.ID, f.bob.ID).ID}
	// Commits of many entries each keep a commit's ids taken for a while
	// before it is visible, as a loaded node's group commits do.
	const commits, perCommit = 15, 40
	const perNode = commits * perCommit
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for n, s := range []Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range commits {
				var batch []*chat.Append
				for i := range perCommit {
					batch = append(batch, f.message(chats[n], fmt.Sprintf("n%d-%d-%d", n, c, i), t0, f.bobDev))
				}
				if err := s.Commit(context.Background(), batch); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[int64]bool{}
	var cursor int64
	read := func() {
		es, err := b.Pending(ctx, f.bobDev.ID, cursor, 1000)
		ok(t, "pending", err)
		for _, e := range es {
			seen[e.ID] = true
			cursor = e.ID
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		case err := <-errs:
			t.Fatalf("commit: %v", err)
		default:
		}
		read()
	}
	read()
	all := pending(t, a, f.bobDev.ID)
	if len(all) != 2*perNode {
		t.Fatalf("inbox: %d entries, want %d", len(all), 2*perNode)
	}
	var skipped []int64
	for _, e := range all {
		if !seen[e.ID] {
			skipped = append(skipped, e.ID)
		}
	}
	if len(skipped) > 0 {
		t.Errorf("a reader that resumes from the highest id it saw skipped %d of %d entries (e.g. %v): "+
			"they became visible after a higher id", len(skipped), len(all), skipped[:min(5, len(skipped))])
	}
}
