package client_test

// End-to-end conversations against each backend: SQLite with the embedded
// NATS, and PostgreSQL with an external NATS (skipped off CI when
// PARLEY_TEST_POSTGRES or PARLEY_TEST_NATS is unset).

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

// backends are the store and bus combinations every scenario runs on.
var backends = []struct {
	name string
	opts func(t *testing.T) []servertest.Option
}{
	{"sqlite+embedded-nats", func(t *testing.T) []servertest.Option { return nil }},
	{"postgres+external-nats", func(t *testing.T) []servertest.Option {
		dsn, url := servertest.PostgresDSN(t), servertest.NATSURL(t)
		return []servertest.Option{servertest.WithPostgres(t, dsn), servertest.WithExternalNATS(url)}
	}},
}

// messageIDs returns the message ids of the message entries among es
// (not system events), in order.
func messageIDs(es []wire.Entry) []string {
	var ids []string
	for _, e := range messages(es) {
		ids = append(ids, e.MessageID)
	}
	return ids
}

func entryIDs(es []wire.Entry) []int64 {
	ids := make([]int64, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func TestConversation(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			opts := append(b.opts(t), servertest.WithConfig(chatpkg.Config{CodeResend: time.Millisecond}))
			conversation(t, servertest.Start(t, opts...))
		})
	}
}

// conversation is two people chatting 1:1 and in a group with a third,
// one of them going offline, linking a laptop and coming back, and the
// third leaving the group.
func conversation(t *testing.T, srv *servertest.Server) {
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")
	aconn, _ := connect(t, alice, 0)
	bconn, _ := connect(t, bob, 0)

	// 1:1, both online: sent, delivered, read, and a reply.
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	send(t, alice, chat.ID, "hi", "hi bob")
	ev := next(t, bconn, isEntry(wire.EntryMessage, wire.KindMessage))
	if got := texts(t, []wire.Entry{*ev.Entry}); ev.Entry.MessageID != "hi" || !slices.Equal(got, []string{"hi bob"}) {
		t.Fatalf("bob got %s %q, want hi: hi bob", ev.Entry.MessageID, got)
	}
	if err := bob.Ack(ctx, ev.Entry.ID); err != nil {
		t.Fatal(err)
	}
	ev = next(t, aconn, isReceipt("delivered"))
	want := wire.ReceiptBody{Status: "delivered", AccountID: bob.AccountID, MessageIDs: []string{"hi"}}
	if diff := cmp.Diff(want, must(client.DecodeReceipt(*ev.Entry)).get(t)); diff != "" {
		t.Fatalf("delivered receipt (-want +got):\n%s", diff)
	}
	if err := bob.MarkRead(ctx, chat.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	ev = next(t, aconn, isReceipt("read"))
	want.Status = "read"
	if diff := cmp.Diff(want, must(client.DecodeReceipt(*ev.Entry)).get(t)); diff != "" {
		t.Fatalf("read receipt (-want +got):\n%s", diff)
	}
	send(t, bob, chat.ID, "hey", "hey alice")
	if ev := next(t, aconn, isEntry(wire.EntryMessage, wire.KindMessage)); ev.Entry.MessageID != "hey" {
		t.Fatalf("alice got %q, want bob's reply", ev.Entry.MessageID)
	}

	// A group; carol has never connected.
	g := must(alice.CreateGroup(ctx, "Trip", bob.AccountID, carol.AccountID)).get(t)
	send(t, alice, g.ID, "g1", "group hello")
	ev = next(t, bconn, isEntry(wire.EntryMessage, wire.KindMessage))
	if ev.Entry.MessageID != "g1" || ev.Entry.ChatID != g.ID {
		t.Fatalf("bob got %s in chat %d, want g1 in the group %d", ev.Entry.MessageID, ev.Entry.ChatID, g.ID)
	}
	if err := bob.Ack(ctx, ev.Entry.ID); err != nil {
		t.Fatal(err)
	}

	// Bob goes offline. Messages wait for him; he links a laptop meanwhile.
	bconn.Close()
	send(t, alice, chat.ID, "away", "while you were away")
	send(t, carol, g.ID, "g2", "carol says hi")
	laptop := login(t, srv, bobPhone, "laptop")
	send(t, alice, chat.ID, "both", "to both your devices")

	// Back online, the phone gets everything in order, and the news of the
	// laptop, to which it sends a history bundle.
	bconn, backlog := connect(t, bob, 0)
	if got, want := messageIDs(backlog), []string{"away", "g2", "both"}; !slices.Equal(got, want) {
		t.Fatalf("bob's phone replayed %q, want %q", got, want)
	}
	linked := false
	for _, e := range backlog {
		if ev, err := client.DecodeChatEvent(e); err == nil && ev.Event == "device_linked" && ev.DeviceID == laptop.DeviceID {
			linked = true
		}
	}
	if !linked {
		t.Fatal("bob's phone was not told about the laptop")
	}
	if err := bob.SendHistory(ctx, laptop.DeviceID, []byte("bob's history")); err != nil {
		t.Fatal(err)
	}
	lconn, lbacklog := connect(t, laptop, 0)
	if got, want := messageIDs(lbacklog), []string{"both"}; !slices.Equal(got, want) {
		t.Fatalf("the laptop replayed %q, want %q (what was sent after it was linked)", got, want)
	}
	if i := slices.IndexFunc(lbacklog, func(e wire.Entry) bool { return e.Type == wire.EntryHistory }); i < 0 || string(lbacklog[i].Body) != "bob's history" {
		t.Fatal("the laptop got no history bundle")
	}

	// The phone acks its backlog: alice and carol learn it was delivered.
	if err := bconn.Ack(ctx, entryIDs(backlog)...); err != nil {
		t.Fatal(err)
	}
	ev = next(t, aconn, func(ev wire.Event) bool {
		r, err := client.DecodeReceipt(*ev.Entry)
		return isReceipt("delivered")(ev) && err == nil && !slices.Equal(r.MessageIDs, []string{"g1"})
	})
	if r := must(client.DecodeReceipt(*ev.Entry)).get(t); !slices.Equal(r.MessageIDs, []string{"away", "both"}) {
		t.Fatalf("alice got delivered %q, want away and both", r.MessageIDs)
	}
	testutil.Eventually(t, "bob's acks", func() bool { return len(messages(pending(t, bob))) == 0 })

	// Carol connects for the first time.
	cconn, cbacklog := connect(t, carol, 0)
	if got, want := messageIDs(cbacklog), []string{"g1"}; !slices.Equal(got, want) {
		t.Fatalf("carol replayed %q, want %q", got, want)
	}
	var delivered []string
	for _, e := range cbacklog {
		if r, err := client.DecodeReceipt(e); err == nil && r.Status == "delivered" {
			delivered = append(delivered, r.MessageIDs...)
		}
	}
	if !slices.Contains(delivered, "g2") {
		t.Fatalf("carol got delivered receipts for %q, want g2", delivered)
	}
	if err := cconn.Ack(ctx, entryIDs(cbacklog)...); err != nil {
		t.Fatal(err)
	}

	// Carol leaves: she is told, then sees nothing more of the group.
	if err := carol.RemoveMember(ctx, g.ID, carol.AccountID); err != nil {
		t.Fatal(err)
	}
	ev = next(t, cconn, isEntry(wire.EntryMessage, wire.KindSystem))
	if e := must(client.DecodeChatEvent(*ev.Entry)).get(t); e.Event != "member_left" {
		t.Fatalf("carol got %q, want member_left", e.Event)
	}
	send(t, alice, g.ID, "g3", "carol has left")
	for _, conn := range []*client.Conn{bconn, lconn} {
		if ev := next(t, conn, isEntry(wire.EntryMessage, wire.KindMessage)); ev.Entry.MessageID != "g3" {
			t.Fatalf("bob got %s, want g3 on each device", ev.Entry.MessageID)
		}
	}
	// A direct message to carol after g3 arrives; g3 never does.
	cchat := must(alice.OpenDirect(ctx, carol.AccountID)).get(t)
	send(t, alice, cchat.ID, "dm", "still friends")
	if ev := next(t, cconn, isEntry(wire.EntryMessage, wire.KindMessage)); ev.Entry.MessageID != "dm" {
		t.Fatalf("carol got %s after leaving, want only the direct message", ev.Entry.MessageID)
	}
	if _, err := carol.SendText(ctx, g.ID, "let me back"); client.ErrorCode(err) != "forbidden" {
		t.Fatalf("carol sending to the group she left: got %v, want forbidden", err)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago, so that a restarted server can come back on the same URL.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestRestartMidConversation(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			addr := freeAddr(t)
			opts := append(b.opts(t),
				servertest.WithConfig(chatpkg.Config{CodeResend: time.Millisecond}),
				servertest.WithOptions(func(o *server.Options) { o.Addr = addr }))
			restartMidConversation(t, servertest.Start(t, opts...))
		})
	}
}

// restartMidConversation restarts the server while alice sends and bob
// streams: every message alice got an answer for reaches bob exactly
// once and in order, and alice learns each was delivered.
func restartMidConversation(t *testing.T, srv *servertest.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)

	got := make(chan wire.Entry, 64)
	streamDone := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	go func() {
		streamDone <- bob.Stream(sctx, 0, func(ev wire.Event) error {
			if ev.Type == wire.EventEntry && ev.Entry.Type == wire.EntryMessage && ev.Entry.Kind == wire.KindMessage {
				got <- *ev.Entry
			}
			return nil
		}, client.StreamBackoff(10*time.Millisecond, 100*time.Millisecond))
	}()
	defer func() {
		stop()
		<-streamDone
	}()

	// Alice sends n messages in turn, retrying each with its id until the
	// server answers: during the restart it is unreachable.
	const n = 20
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("m%02d", i))
	}
	acked := make(chan string, n)
	sendDone := make(chan error, 1)
	go func() {
		defer close(acked)
		for _, id := range want {
			for {
				_, err := alice.SendBody(ctx, chat.ID, id, wire.KindMessage, "", client.Body{Text: id})
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					sendDone <- fmt.Errorf("send %s: %w", id, err)
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			acked <- id
		}
		sendDone <- nil
	}()
	var recv []wire.Entry
	receive := func() {
		t.Helper()
		select {
		case e := <-got:
			recv = append(recv, e)
		case <-ctx.Done():
			t.Fatalf("bob received %q, then nothing", messageIDs(recv))
		}
	}
	// Restart once a few messages have gone through and bob has one.
	for range 5 {
		<-acked
	}
	receive()
	srv.Restart(t)
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}
	for len(recv) < n {
		receive()
	}
	if got := messageIDs(recv); !slices.Equal(got, want) {
		t.Fatalf("bob received %q, want %q", got, want)
	}
	for i := 1; i < len(recv); i++ {
		if recv[i].Seq <= recv[i-1].Seq {
			t.Fatalf("seq of %s is %d after %d", recv[i].MessageID, recv[i].Seq, recv[i-1].Seq)
		}
	}
	// Nothing comes twice: a marker sent last arrives next.
	send(t, alice, chat.ID, "end", "end")
	if receive(); recv[n].MessageID != "end" {
		t.Fatalf("after all %d messages bob got %s, want the end marker", n, recv[n].MessageID)
	}
	// Bob's stream acked everything; alice hears it all was delivered.
	var ids []string
	testutil.Within(testutil.Timeout, func() bool { // the comparison below reports a failure
		ids = nil
		for _, r := range receipts(t, alice, "delivered") {
			ids = append(ids, r.MessageIDs...)
		}
		return len(ids) == n+1
	})
	slices.Sort(ids)
	want = append(want, "end")
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("alice got delivered receipts for %q, want %q", ids, want)
	}
	if es := messages(pending(t, bob)); len(es) != 0 {
		t.Errorf("bob's inbox still holds %q", messageIDs(es))
	}
}

// TestSharedNATS runs two deployments, each with its own database, on one
// external NATS, as CI does with the tests of several packages at once.
// Their account and device ids are the same; neither sees the other's
// events.
func TestSharedNATS(t *testing.T) {
	t.Parallel()
	url := servertest.NATSURL(t)
	start := func() (alice, bob person, chat wire.ChatView) {
		srv := servertest.Start(t, servertest.WithExternalNATS(url))
		alice = login(t, srv, alicePhone, "phone")
		bob = login(t, srv, bobPhone, "phone")
		return alice, bob, must(alice.OpenDirect(ctxT(t), bob.AccountID)).get(t)
	}
	aliceA, bobA, chatA := start()
	aliceB, bobB, chatB := start()
	if bobA.DeviceID != bobB.DeviceID || chatA.ID != chatB.ID {
		t.Fatalf("bob's devices %d and %d, chats %d and %d: want the same ids on both", bobA.DeviceID, bobB.DeviceID, chatA.ID, chatB.ID)
	}
	conn, _ := connect(t, bobA, 0)
	send(t, aliceB, chatB.ID, "b1", "for bob on B")
	if err := aliceB.Typing(ctxT(t), chatB.ID, client.TypingComposing); err != nil {
		t.Fatal(err)
	}
	send(t, aliceA, chatA.ID, "a1", "for bob on A")
	if ev := next(t, conn, isType(wire.EventEntry)); ev.Entry.MessageID != "a1" {
		t.Fatalf("bob on A got %s, want only A's message a1", ev.Entry.MessageID)
	}
	if err := aliceA.Typing(ctxT(t), chatA.ID, client.TypingPaused); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, conn, isType(wire.EventTyping)); ev.State != "paused" {
		t.Fatalf("bob on A got typing %q, want only A's paused", ev.State)
	}
}
