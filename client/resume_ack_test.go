package client_test

import (
	"slices"
	"testing"
	"time"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/servertest"
)

// A device that received messages but whose acks were lost (the socket
// dropped before they were sent, or the node died before committing them)
// resumes from its cursor. Entries at or below the cursor that are younger
// than the resume grace are replayed (in a cluster one may still have been
// on its way); older ones are taken as acknowledged, so their sender is
// told "delivered" and they leave the inbox. Entries after the cursor are
// replayed and stay queued until acked.
func TestResumeAcksThroughCursor(t *testing.T) {
	t.Parallel()
	const grace = 2 * time.Second
	srv := servertest.Start(t, servertest.WithConfig(chatpkg.Config{CodeResend: time.Millisecond, ResumeGrace: grace}))
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	aconn, _ := connect(t, alice, 0)

	var sent []string
	for _, text := range []string{"one", "two", "three"} {
		sent = append(sent, must(alice.SendText(ctx, chat.ID, text)).get(t).MessageID)
	}
	conn, backlog := connect(t, bob, 0)
	if len(messages(backlog)) != 3 {
		t.Fatalf("bob's backlog: got %d messages, want 3", len(messages(backlog)))
	}
	// Bob's device keeps the first two, then the socket drops before any ack.
	cursor := messages(backlog)[1].ID
	conn.Close()

	// At once: the two below the cursor are young, so they come again.
	conn, again := connect(t, bob, cursor)
	if got := messages(again); len(got) != 3 {
		t.Fatalf("resumed at once from %d: got %d messages, want all 3 again", cursor, len(got))
	}
	conn.Close()

	// Later: they are taken as acknowledged.
	time.Sleep(grace + 100*time.Millisecond)
	_, again = connect(t, bob, cursor)
	if got := messages(again); len(got) != 1 || got[0].MessageID != sent[2] {
		t.Fatalf("resumed later from %d: got %+v, want only the third message", cursor, got)
	}
	ev := next(t, aconn, isReceipt("delivered"))
	r := must(client.DecodeReceipt(*ev.Entry)).get(t)
	if got, want := slices.Sorted(slices.Values(r.MessageIDs)), slices.Sorted(slices.Values(sent[:2])); !slices.Equal(got, want) {
		t.Fatalf("alice's delivered receipt: got %q, want %q", r.MessageIDs, sent[:2])
	}
	left := messages(pending(t, bob))
	if len(left) != 1 || left[0].MessageID != sent[2] {
		t.Fatalf("bob's inbox after the resume: got %+v, want only the unacknowledged third", left)
	}
}
