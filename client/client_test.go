package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

// Phone numbers of the people in these tests (valid, fictional US 555-01xx numbers).
const (
	alicePhone = "+14155550101"
	bobPhone   = "+14155550102"
	carolPhone = "+14155550103"
)

// pngBytes is enough of a PNG for the server's content sniffing.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)

func startServer(t testing.TB) *servertest.Server {
	t.Helper()
	// A short resend gap lets a test link a second device for one number.
	return servertest.Start(t, servertest.WithConfig(chatpkg.Config{CodeResend: time.Millisecond}))
}

// person is one logged-in device.
type person struct {
	*client.Client
	client.Session
	phone string
}

func login(t testing.TB, srv *servertest.Server, phone, device string, opts ...client.Option) person {
	t.Helper()
	ctx := context.Background()
	c := client.New(srv.URL, opts...)
	if err := c.RequestCode(ctx, phone); err != nil {
		t.Fatalf("request code for %s: %v", phone, err)
	}
	s, err := c.Verify(ctx, phone, srv.Code(phone), device, nil)
	if err != nil {
		t.Fatalf("verify %s: %v", phone, err)
	}
	if c.Token() != s.Token || s.Token == "" {
		t.Fatalf("client token = %q after verify, want the session's %q", c.Token(), s.Token)
	}
	return person{Client: c, Session: s, phone: phone}
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// must pairs a result with its error, for one-line calls in tests:
// must(c.Me(ctx)).get(t) fails the test on an error.
func must[T any](v T, err error) result[T] { return result[T]{v, err} }

type result[T any] struct {
	v   T
	err error
}

func (r result[T]) get(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want a *client.Error with code %q", err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %q (%s), want %q", e.Code, e.Message, code)
	}
}

// connect opens p's socket and returns it with the backlog it replayed.
func connect(t testing.TB, p person, after int64) (*client.Conn, []wire.Entry) {
	t.Helper()
	ctx := ctxT(t)
	conn, err := p.Connect(ctx, after)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	var backlog []wire.Entry
	for {
		ev, err := conn.Next(ctx)
		if err != nil {
			t.Fatalf("read backlog: %v", err)
		}
		switch ev.Type {
		case wire.EventEntry:
			backlog = append(backlog, *ev.Entry)
		case wire.EventReady:
			if ev.Pending != len(backlog) {
				t.Fatalf("ready says pending %d, got %d entries", ev.Pending, len(backlog))
			}
			return conn, backlog
		default:
			t.Fatalf("before ready: got a %s event", ev.Type)
		}
	}
}

// next returns the next event accepted by keep, skipping others.
func next(t testing.TB, conn *client.Conn, keep func(wire.Event) bool) wire.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		ev, err := conn.Next(ctx)
		if err != nil {
			t.Fatalf("next event: %v", err)
		}
		if keep(ev) {
			return ev
		}
	}
}

func isType(typ wire.EventType) func(wire.Event) bool {
	return func(ev wire.Event) bool { return ev.Type == typ }
}

func isEntry(typ wire.EntryType, kind wire.MessageKind) func(wire.Event) bool {
	return func(ev wire.Event) bool {
		return ev.Type == wire.EventEntry && ev.Entry.Type == typ && (kind == "" || ev.Entry.Kind == kind)
	}
}

func isReceipt(status string) func(wire.Event) bool {
	return func(ev wire.Event) bool {
		if ev.Type != wire.EventEntry || ev.Entry.Type != wire.EntryReceipt {
			return false
		}
		r, err := client.DecodeReceipt(*ev.Entry)
		return err == nil && r.Status == status
	}
}

// pending returns all of p's queued entries over HTTP.
func pending(t testing.TB, p person) []wire.Entry {
	t.Helper()
	return must(p.Pending(ctxT(t), 0, 1000)).get(t)
}

func messages(es []wire.Entry) []wire.Entry {
	return slices.DeleteFunc(slices.Clone(es), func(e wire.Entry) bool {
		return e.Type != wire.EntryMessage || e.Kind == wire.KindSystem
	})
}

func texts(t testing.TB, es []wire.Entry) []string {
	t.Helper()
	var out []string
	for _, e := range messages(es) {
		b, err := client.DecodeBody(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b.Text)
	}
	return out
}

func TestErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)

	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"bad phone", func() error { return client.New(srv.URL).RequestCode(ctx, "12345") }, "invalid_argument", 400},
		{"wrong code", func() error {
			_, err := client.New(srv.URL).Verify(ctx, alicePhone, "000000x", "", nil)
			return err
		}, "code_expired", 410},
		{"code that does not match", func() error {
			c := client.New(srv.URL)
			if err := c.RequestCode(ctx, "+14155550104"); err != nil {
				return err
			}
			_, err := c.Verify(ctx, "+14155550104", "not-it", "", nil)
			return err
		}, "code_invalid", 401},
		{"no token", func() error { _, err := client.New(srv.URL).Me(ctx); return err }, "unauthenticated", 401},
		{"bad token", func() error {
			_, err := client.New(srv.URL, client.WithToken("pt_nope")).Me(ctx)
			return err
		}, "unauthenticated", 401},
		{"someone else's chat", func() error { _, err := carol.Chat(ctx, chat.ID); return err }, "forbidden", 403},
		{"send to someone else's chat", func() error { _, err := carol.SendText(ctx, chat.ID, "hi"); return err }, "forbidden", 403},
		{"no such chat", func() error { _, err := alice.Chat(ctx, 9999); return err }, "not_found", 404},
		{"no such account", func() error { _, err := alice.OpenDirect(ctx, 9999); return err }, "not_found", 404},
		{"chat with oneself", func() error { _, err := alice.OpenDirect(ctx, alice.AccountID); return err }, "invalid_argument", 400},
		{"bad message id", func() error {
			_, err := alice.SendBody(ctx, chat.ID, "no spaces", wire.KindMessage, "", client.Body{Text: "x"})
			return err
		}, "invalid_argument", 400},
		{"bad disappearing timer", func() error { _, err := alice.SetDisappearing(ctx, chat.ID, time.Minute); return err }, "invalid_argument", 400},
		{"bad media type", func() error {
			_, err := alice.UploadMedia(ctx, chat.ID, "text/html", strings.NewReader("<p>"))
			return err
		}, "unsupported_media_type", 415},
		{"websocket without token", func() error { _, err := client.New(srv.URL).Connect(ctx, 0); return err }, "unauthenticated", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, tt.code)
			var e *client.Error
			errors.As(err, &e)
			if e.Status != tt.status {
				t.Errorf("got status %d, want %d", e.Status, tt.status)
			}
			if e.Message == "" {
				t.Error("got an empty message")
			}
		})
	}

	t.Run("details", func(t *testing.T) {
		_, err := alice.Send(ctx, chat.ID, client.SendRequest{MessageID: "m1",
			Envelopes: []wire.Envelope{{DeviceID: 9999, Body: []byte("x")}}})
		wantCode(t, err, "devices_changed")
		var e *client.Error
		errors.As(err, &e)
		if e.Details["missing"] == nil || e.Details["extra"] == nil {
			t.Errorf("got details %v, want missing and extra", e.Details)
		}
	})
	t.Run("error text", func(t *testing.T) {
		err := client.New(srv.URL).RequestCode(ctx, "12345")
		if !strings.HasPrefix(err.Error(), "invalid_argument: ") {
			t.Errorf("got %q, want it to start with the code", err)
		}
	})
}

func TestHealth(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := client.New(srv.URL)
	if err := c.Health(ctxT(t)); err != nil {
		t.Errorf("health: %v", err)
	}
	if err := c.Ready(ctxT(t)); err != nil {
		t.Errorf("ready: %v", err)
	}
}

func TestDirectChatOverWebSocket(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	aconn, _ := connect(t, alice, 0)
	bconn, _ := connect(t, bob, 0)

	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	if chat.Kind != wire.ChatDirect || len(chat.Members) != 2 {
		t.Fatalf("got chat %+v, want a direct chat of two", chat)
	}
	again := must(bob.OpenDirect(ctx, alice.AccountID)).get(t)
	if again.ID != chat.ID {
		t.Fatalf("bob opened chat %d, want the same chat %d", again.ID, chat.ID)
	}

	res := must(alice.SendText(ctx, chat.ID, "hello bob")).get(t)
	if res.Duplicate || res.Seq == 0 || res.MessageID == "" {
		t.Fatalf("got send result %+v", res)
	}
	ev := next(t, bconn, isEntry(wire.EntryMessage, wire.KindMessage))
	e := *ev.Entry
	if e.ChatID != chat.ID || e.MessageID != res.MessageID || e.Seq != res.Seq || e.SenderAccount != alice.AccountID || e.SenderDevice != alice.DeviceID {
		t.Fatalf("bob got entry %+v, want alice's message %+v", e, res)
	}
	if b := must(client.DecodeBody(e)).get(t); b.Text != "hello bob" {
		t.Fatalf("got text %q, want %q", b.Text, "hello bob")
	}

	// Delivered once bob acks; read once he marks it read.
	if err := bconn.Ack(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	ev = next(t, aconn, isReceipt("delivered"))
	r := must(client.DecodeReceipt(*ev.Entry)).get(t)
	if r.AccountID != bob.AccountID || !slices.Equal(r.MessageIDs, []string{res.MessageID}) || ev.Entry.ChatID != chat.ID {
		t.Fatalf("got delivered receipt %+v in chat %d, want bob's for %s", r, ev.Entry.ChatID, res.MessageID)
	}
	if err := aconn.Ack(ctx, ev.Entry.ID); err != nil {
		t.Fatal(err)
	}
	if err := bob.MarkRead(ctx, chat.ID, res.MessageID); err != nil {
		t.Fatal(err)
	}
	ev = next(t, aconn, isReceipt("read"))
	r = must(client.DecodeReceipt(*ev.Entry)).get(t)
	if r.AccountID != bob.AccountID || !slices.Equal(r.MessageIDs, []string{res.MessageID}) {
		t.Fatalf("got read receipt %+v, want bob's for %s", r, res.MessageID)
	}

	// A reply, a reaction, both decoded.
	reply := must(bob.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindMessage, "", client.Body{Text: "hi!", ReplyTo: res.MessageID})).get(t)
	ev = next(t, aconn, isEntry(wire.EntryMessage, wire.KindMessage))
	if b := must(client.DecodeBody(*ev.Entry)).get(t); b.ReplyTo != res.MessageID || b.Text != "hi!" || ev.Entry.MessageID != reply.MessageID {
		t.Fatalf("got body %+v, want a reply to %s", b, res.MessageID)
	}
	must(bob.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindReaction, res.MessageID, client.Body{Emoji: "👍"})).get(t)
	ev = next(t, aconn, isEntry(wire.EntryMessage, wire.KindReaction))
	if b := must(client.DecodeBody(*ev.Entry)).get(t); b.Emoji != "👍" || ev.Entry.Ref != res.MessageID {
		t.Fatalf("got reaction %+v ref %q", b, ev.Entry.Ref)
	}

	// Ping.
	if err := aconn.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	next(t, aconn, isType(client.EventPong))

	// The chat list shows the chat with its last seq.
	cs := must(alice.Chats(ctx)).get(t)
	if len(cs) != 1 || cs[0].ID != chat.ID || cs[0].LastSeq < reply.Seq {
		t.Fatalf("got chats %+v, want chat %d at seq >= %d", cs, chat.ID, reply.Seq)
	}
}

func TestResumeAfterDisconnect(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	for _, text := range []string{"one", "two", "three"} {
		must(alice.SendText(ctx, chat.ID, text)).get(t)
	}

	conn, backlog := connect(t, bob, 0)
	if got := texts(t, backlog); !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Fatalf("backlog = %q, want one two three in order", got)
	}
	for i := 1; i < len(backlog); i++ {
		if backlog[i].ID <= backlog[i-1].ID {
			t.Fatalf("backlog ids not increasing: %d then %d", backlog[i-1].ID, backlog[i].ID)
		}
	}
	// Ack only "one", then drop the connection. The ack is asynchronous:
	// wait for the delivered receipt to know it was applied.
	aconn, _ := connect(t, alice, 0)
	if err := conn.Ack(ctx, backlog[0].ID); err != nil {
		t.Fatal(err)
	}
	next(t, aconn, isReceipt("delivered"))
	conn.Close()

	// The un-acked entries come back; the acked one does not.
	conn, again := connect(t, bob, 0)
	if got := texts(t, again); !slices.Equal(got, []string{"two", "three"}) {
		t.Fatalf("after reconnect got %q, want two three", got)
	}
	conn.Close()

	// Resuming after an id skips what came before it, but for entries
	// younger than the resume grace, which come again (one may still have
	// been on its way: TestResumeAcksThroughCursor).
	conn, resumed := connect(t, bob, again[0].ID)
	if got := texts(t, resumed); !slices.Equal(got, []string{"two", "three"}) {
		t.Fatalf("after=%d got %q, want the young two again, then three", again[0].ID, got)
	}
	// Live messages follow the backlog.
	must(alice.SendText(ctx, chat.ID, "four")).get(t)
	ev := next(t, conn, isEntry(wire.EntryMessage, wire.KindMessage))
	if got := texts(t, []wire.Entry{*ev.Entry}); !slices.Equal(got, []string{"four"}) {
		t.Fatalf("live got %q, want four", got)
	}
}

func TestInboxOverHTTP(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	for _, text := range []string{"a", "b", "c"} {
		must(alice.SendText(ctx, chat.ID, text)).get(t)
	}
	page := must(bob.Pending(ctx, 0, 2)).get(t)
	if got := texts(t, page); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("first page %q, want a b", got)
	}
	rest := must(bob.Pending(ctx, page[1].ID, 0)).get(t)
	if got := texts(t, rest); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("second page %q, want c", got)
	}
	if err := bob.Ack(ctx, page[0].ID, page[1].ID, rest[0].ID); err != nil {
		t.Fatal(err)
	}
	if es := pending(t, bob); len(es) != 0 {
		t.Fatalf("after ack %d entries are pending, want 0", len(es))
	}
	// Alice has one delivered receipt for the three messages.
	var delivered []string
	for _, e := range pending(t, alice) {
		if r, err := client.DecodeReceipt(e); err == nil && r.Status == "delivered" {
			delivered = append(delivered, r.MessageIDs...)
		}
	}
	if len(delivered) != 3 {
		t.Fatalf("alice got delivered receipts for %q, want 3 messages", delivered)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")

	g := must(alice.CreateGroup(ctx, "Climbing", bob.AccountID)).get(t)
	if g.Kind != wire.ChatGroup || g.Subject != "Climbing" || len(g.Members) != 2 {
		t.Fatalf("got group %+v", g)
	}
	roles := map[int64]wire.Role{}
	for _, m := range g.Members {
		roles[m.AccountID] = m.Role
	}
	if roles[alice.AccountID] != wire.RoleAdmin || roles[bob.AccountID] != wire.RoleMember {
		t.Fatalf("got roles %v, want alice admin and bob member", roles)
	}
	_, err := bob.AddMembers(ctx, g.ID, carol.AccountID)
	wantCode(t, err, "forbidden")
	g = must(alice.AddMembers(ctx, g.ID, carol.AccountID)).get(t)
	if len(g.Members) != 3 {
		t.Fatalf("after add got %d members, want 3", len(g.Members))
	}

	must(alice.SendText(ctx, g.ID, "welcome")).get(t)
	for _, p := range []person{bob, carol} {
		if got := texts(t, pending(t, p)); !slices.Equal(got, []string{"welcome"}) {
			t.Fatalf("acct %d got %q, want welcome", p.AccountID, got)
		}
	}
	// Carol saw the members_added event as a system message.
	var events []string
	for _, e := range pending(t, carol) {
		if ev, err := client.DecodeChatEvent(e); err == nil {
			events = append(events, ev.Event)
		}
	}
	if !slices.Contains(events, "members_added") {
		t.Fatalf("carol got events %q, want members_added", events)
	}

	// Remove carol: she is told, then gets nothing more.
	if err := alice.RemoveMember(ctx, g.ID, carol.AccountID); err != nil {
		t.Fatal(err)
	}
	before := len(pending(t, carol))
	must(alice.SendText(ctx, g.ID, "carol is gone")).get(t)
	must(bob.SendText(ctx, g.ID, "indeed")).get(t)
	after := pending(t, carol)
	if len(after) != before {
		t.Fatalf("carol got %d new entries after removal, want 0", len(after)-before)
	}
	last, err := client.DecodeChatEvent(after[len(after)-1])
	if err != nil || last.Event != "member_removed" || !slices.Equal(last.Accounts, []int64{carol.AccountID}) {
		t.Fatalf("carol's last entry is %+v (%v), want member_removed", last, err)
	}
	if got := texts(t, pending(t, bob)); !slices.Equal(got, []string{"welcome", "carol is gone"}) {
		t.Fatalf("bob got %q", got)
	}
	_, err = carol.SendText(ctx, g.ID, "let me in")
	wantCode(t, err, "forbidden")
	_, err = carol.RecipientDevices(ctx, g.ID)
	wantCode(t, err, "forbidden")

	// Subject, admins-only, roles.
	g = must(alice.SetSubject(ctx, g.ID, "Bouldering")).get(t)
	if g.Subject != "Bouldering" {
		t.Fatalf("got subject %q", g.Subject)
	}
	must(alice.SetOnlyAdminsSend(ctx, g.ID, true)).get(t)
	_, err = bob.SendText(ctx, g.ID, "can I?")
	wantCode(t, err, "forbidden")
	if err := alice.SetRole(ctx, g.ID, bob.AccountID, wire.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	must(bob.SendText(ctx, g.ID, "now I can")).get(t)
	g = must(bob.SetDisappearing(ctx, g.ID, 24*time.Hour)).get(t)
	if g.DisappearAfterSeconds != 86400 {
		t.Fatalf("got disappearing %d, want 86400", g.DisappearAfterSeconds)
	}

	// Leaving is removing oneself.
	if err := bob.RemoveMember(ctx, g.ID, bob.AccountID); err != nil {
		t.Fatal(err)
	}
	_, err = bob.Chat(ctx, g.ID)
	wantCode(t, err, "forbidden")
}

func TestEditDelete(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	bconn, _ := connect(t, bob, 0)

	m := must(alice.SendText(ctx, chat.ID, "helo")).get(t)
	next(t, bconn, isEntry(wire.EntryMessage, wire.KindMessage))

	must(alice.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindEdit, m.MessageID, client.Body{Text: "hello"})).get(t)
	ev := next(t, bconn, isEntry(wire.EntryMessage, wire.KindEdit))
	if b := must(client.DecodeBody(*ev.Entry)).get(t); ev.Entry.Ref != m.MessageID || b.Text != "hello" {
		t.Fatalf("got edit %+v of %q, want hello of %s", b, ev.Entry.Ref, m.MessageID)
	}

	_, err := bob.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindEdit, m.MessageID, client.Body{Text: "hijacked"})
	wantCode(t, err, "forbidden")
	_, err = bob.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindDelete, m.MessageID, client.Body{})
	wantCode(t, err, "forbidden")
	_, err = alice.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindEdit, "nosuchmessage", client.Body{Text: "x"})
	wantCode(t, err, "not_found")

	must(alice.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindDelete, m.MessageID, client.Body{})).get(t)
	ev = next(t, bconn, isEntry(wire.EntryMessage, wire.KindDelete))
	if ev.Entry.Ref != m.MessageID || ev.Entry.SenderAccount != alice.AccountID {
		t.Fatalf("got delete %+v, want alice's of %s", ev.Entry, m.MessageID)
	}
}

func TestTypingAndPresence(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	aconn, _ := connect(t, alice, 0)
	bconn, _ := connect(t, bob, 0)

	if err := aconn.Typing(ctx, chat.ID, client.TypingComposing); err != nil {
		t.Fatal(err)
	}
	ev := next(t, bconn, isType(wire.EventTyping))
	if ev.ChatID != chat.ID || ev.AccountID != alice.AccountID || ev.State != "composing" {
		t.Fatalf("got typing %+v, want alice composing in chat %d", ev, chat.ID)
	}
	if err := alice.Typing(ctx, chat.ID, client.TypingPaused); err != nil {
		t.Fatal(err)
	}
	ev = next(t, bconn, isType(wire.EventTyping))
	if ev.State != "paused" {
		t.Fatalf("got typing state %q, want paused", ev.State)
	}
	// A bad frame comes back as an error event.
	if err := aconn.Typing(ctx, chat.ID, "shouting"); err != nil {
		t.Fatal(err)
	}
	ev = next(t, aconn, isType(wire.EventError))
	if ev.Error == nil || ev.Error.Code != parley.EInvalid {
		t.Fatalf("got error event %+v, want invalid_argument", ev.Error)
	}

	// Presence: alice is online now, then goes offline.
	if err := bconn.WatchPresence(ctx, alice.AccountID); err != nil {
		t.Fatal(err)
	}
	ev = next(t, bconn, isType(wire.EventPresence))
	if ev.AccountID != alice.AccountID || ev.State != "online" {
		t.Fatalf("got presence %+v, want alice online", ev)
	}
	aconn.Close()
	ev = next(t, bconn, isType(wire.EventPresence))
	if ev.AccountID != alice.AccountID || ev.State != "offline" || ev.LastSeen == nil {
		t.Fatalf("got presence %+v, want alice offline with last seen", ev)
	}
}

func TestIdempotentSend(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)

	first := must(alice.SendBody(ctx, chat.ID, "retry-me", wire.KindMessage, "", client.Body{Text: "once"})).get(t)
	second := must(alice.SendBody(ctx, chat.ID, "retry-me", wire.KindMessage, "", client.Body{Text: "once"})).get(t)
	if first.Duplicate || !second.Duplicate {
		t.Fatalf("got duplicate %v then %v, want false then true", first.Duplicate, second.Duplicate)
	}
	if second.Seq != first.Seq || !second.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("retry got %+v, want the original %+v", second, first)
	}
	if got := texts(t, pending(t, bob)); !slices.Equal(got, []string{"once"}) {
		t.Fatalf("bob got %q, want one message", got)
	}
	// The same id from someone else is a conflict.
	_, err := bob.SendBody(ctx, chat.ID, "retry-me", wire.KindMessage, "", client.Body{Text: "mine"})
	wantCode(t, err, "conflict")
}

// hookTransport calls before once, before the first request it matches.
type hookTransport struct {
	match  func(*http.Request) bool
	before func()
	once   sync.Once
}

func (h *hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.match(r) {
		h.once.Do(h.before)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestDevicesChangedRetry(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	bob := login(t, srv, bobPhone, "phone")
	var laptop person
	// Bob links a laptop between alice fetching his devices and sending.
	hook := &hookTransport{
		match: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages")
		},
		before: func() { laptop = login(t, srv, bobPhone, "laptop") },
	}
	alice := login(t, srv, alicePhone, "phone", client.WithHTTPClient(&http.Client{Transport: hook}))
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)

	res := must(alice.SendText(ctx, chat.ID, "to all your devices")).get(t)
	if laptop.Client == nil {
		t.Fatal("the hook did not run")
	}
	for _, p := range []person{bob, laptop} {
		if got := texts(t, pending(t, p)); !slices.Equal(got, []string{"to all your devices"}) {
			t.Fatalf("device %d got %q, want the message", p.DeviceID, got)
		}
	}
	// The recipients now include both of bob's devices.
	devs := must(alice.RecipientDevices(ctx, chat.ID)).get(t)
	if len(devs) != 2 {
		t.Fatalf("got %d recipient devices, want 2", len(devs))
	}
	// Bob's phone was told about the laptop.
	var linked bool
	for _, e := range pending(t, bob) {
		if ev, err := client.DecodeChatEvent(e); err == nil && ev.Event == "device_linked" && ev.DeviceID == laptop.DeviceID {
			linked = true
		}
	}
	if !linked {
		t.Error("bob's phone got no device_linked event")
	}
	// Bob's own other device gets what he sends too.
	must(bob.SendText(ctx, chat.ID, "from my phone")).get(t)
	if got := texts(t, pending(t, laptop)); !slices.Contains(got, "from my phone") {
		t.Fatalf("laptop got %q, want bob's own message", got)
	}
	_ = res
}

func TestAccountAndMedia(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")

	name, about := "Alice", "climbing"
	me := must(alice.UpdateProfile(ctx, client.ProfileUpdate{DisplayName: &name, About: &about})).get(t)
	if me.DisplayName != "Alice" || me.About != "climbing" || me.Phone != alicePhone {
		t.Fatalf("got me %+v", me)
	}
	nobody := wire.VisibleNobody
	me = must(alice.UpdatePrivacy(ctx, client.PrivacyUpdate{LastSeen: &nobody})).get(t)
	if me.Privacy.LastSeen != wire.VisibleNobody || !me.Privacy.ReadReceipts {
		t.Fatalf("got privacy %+v", me.Privacy)
	}
	if p := must(bob.Profile(ctx, alice.AccountID)).get(t); p.DisplayName != "Alice" || p.Phone != "" {
		t.Fatalf("bob sees %+v, want alice's name and no phone", p)
	}
	cs := must(bob.LookupContacts(ctx, alicePhone, "+14155550199")).get(t)
	if len(cs) != 1 || cs[0].ID != alice.AccountID || cs[0].Phone != alicePhone {
		t.Fatalf("lookup got %+v, want alice only", cs)
	}

	// Avatar.
	me = must(alice.SetAvatar(ctx, "image/png", bytes.NewReader(pngBytes))).get(t)
	if !me.HasAvatar {
		t.Fatal("no avatar after SetAvatar")
	}
	d := must(bob.Avatar(ctx, alice.AccountID)).get(t)
	got, _ := io.ReadAll(d.Body)
	d.Body.Close()
	if d.ContentType != "image/png" || !bytes.Equal(got, pngBytes) {
		t.Fatalf("avatar is %s of %d bytes, want the png", d.ContentType, len(got))
	}

	// Media: visible to the chat's members only, shareable to another chat.
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	m := must(alice.UploadMedia(ctx, chat.ID, "image/png", bytes.NewReader(pngBytes))).get(t)
	if m.ID == "" || m.Size != int64(len(pngBytes)) || m.ContentType != "image/png" {
		t.Fatalf("got media %+v", m)
	}
	must(alice.SendBody(ctx, chat.ID, client.NewMessageID(), wire.KindMessage, "", client.Body{MediaID: m.ID, MediaType: m.ContentType})).get(t)
	d = must(bob.Media(ctx, m.ID)).get(t)
	got, _ = io.ReadAll(d.Body)
	d.Body.Close()
	if !bytes.Equal(got, pngBytes) {
		t.Fatalf("bob downloaded %d bytes, want the png", len(got))
	}
	_, err := carol.Media(ctx, m.ID)
	wantCode(t, err, "not_found")
	other := must(bob.OpenDirect(ctx, carol.AccountID)).get(t)
	if err := bob.ShareMedia(ctx, m.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	d = must(carol.Media(ctx, m.ID)).get(t)
	d.Body.Close()

	// Blocks.
	if err := bob.Block(ctx, alice.AccountID); err != nil {
		t.Fatal(err)
	}
	if ids := must(bob.Blocked(ctx)).get(t); !slices.Equal(ids, []int64{alice.AccountID}) {
		t.Fatalf("blocked = %v, want alice", ids)
	}
	_, err = alice.SendText(ctx, chat.ID, "hello?")
	wantCode(t, err, "blocked")
	if err := bob.Unblock(ctx, alice.AccountID); err != nil {
		t.Fatal(err)
	}
	must(alice.SendText(ctx, chat.ID, "hello!")).get(t)

	// Devices and history.
	laptop := login(t, srv, alicePhone, "laptop")
	ds := must(laptop.Devices(ctx)).get(t)
	if len(ds) != 2 {
		t.Fatalf("got %d devices, want 2", len(ds))
	}
	for _, d := range ds {
		if d.Current != (d.ID == laptop.DeviceID) {
			t.Errorf("device %d (%s) current = %v", d.ID, d.Name, d.Current)
		}
	}
	if err := alice.SendHistory(ctx, laptop.DeviceID, []byte("opaque bundle")); err != nil {
		t.Fatal(err)
	}
	var history []byte
	for _, e := range pending(t, laptop) {
		if e.Type == wire.EntryHistory {
			history = e.Body
		}
	}
	if string(history) != "opaque bundle" {
		t.Fatalf("laptop got history %q", history)
	}
	if err := alice.RevokeDevice(ctx, laptop.DeviceID); err != nil {
		t.Fatal(err)
	}
	_, err = laptop.Me(ctx)
	wantCode(t, err, "unauthenticated")
}

// dropper makes HTTP clients whose connections a test can cut, as a
// network would.
type dropper struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (d *dropper) client() *http.Client {
	var dialer net.Dialer
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			d.mu.Lock()
			d.conns = append(d.conns, c)
			d.mu.Unlock()
		}
		return c, err
	}}}
}

func (d *dropper) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

func TestStream(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	network := &dropper{}
	bob := login(t, srv, bobPhone, "phone", client.WithHTTPClient(network.client()))
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	must(alice.SendText(ctx, chat.ID, "before")).get(t)

	type seen struct {
		text string
		id   int64
	}
	got := make(chan seen, 16)
	readies := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() {
		done <- bob.Stream(ctx, 0, func(ev wire.Event) error {
			switch ev.Type {
			case wire.EventReady:
				readies <- struct{}{}
			case wire.EventEntry:
				if b, err := client.DecodeBody(*ev.Entry); err == nil {
					got <- seen{b.Text, ev.Entry.ID}
				}
			}
			return nil
		}, client.StreamBackoff(10*time.Millisecond, 50*time.Millisecond))
	}()
	recv := func(want string) seen {
		t.Helper()
		select {
		case s := <-got:
			if s.text != want {
				t.Fatalf("stream got %q, want %q", s.text, want)
			}
			return s
		case err := <-done:
			t.Fatalf("stream ended: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatalf("stream got nothing, want %q", want)
		}
		return seen{}
	}
	waitReady := func() {
		t.Helper()
		select {
		case <-readies:
		case <-time.After(5 * time.Second):
			t.Fatal("no ready event")
		}
	}
	recv("before")
	waitReady()
	must(alice.SendText(ctx, chat.ID, "live")).get(t)
	recv("live")

	// Stream acked what it handled.
	testutil.Eventually(t, "the stream to ack its entries", func() bool { return len(messages(pending(t, bob))) == 0 })

	// The network drops the connection; the stream reconnects and resumes
	// without loss or repeats.
	network.drop()
	must(alice.SendText(ctx, chat.ID, "after the drop")).get(t)
	recv("after the drop")
	waitReady()
	select {
	case s := <-got:
		t.Fatalf("stream got %q again", s.text)
	case <-time.After(100 * time.Millisecond):
	}

	// Revoking the device ends the stream.
	if err := bob.RevokeDevice(ctx, bob.DeviceID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, client.ErrRevoked) {
			t.Fatalf("stream ended with %v, want ErrRevoked", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not end after revoke")
	}
}

func TestStreamStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)
	must(alice.SendText(ctx, chat.ID, "stop here")).get(t)
	stop := errors.New("stop")
	err := bob.Stream(ctx, 0, func(ev wire.Event) error {
		if ev.Type == wire.EventEntry {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("got %v, want the callback's error", err)
	}
	// The entry fn refused stays queued.
	if got := texts(t, pending(t, bob)); !slices.Equal(got, []string{"stop here"}) {
		t.Fatalf("pending = %q, want the refused entry", got)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := bob.Stream(cctx, 0, func(wire.Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("with a cancelled ctx got %v, want context.Canceled", err)
	}
}

func TestStreamReplaced(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	bob := login(t, srv, bobPhone, "phone")
	ready := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- bob.Stream(ctx, 0, func(ev wire.Event) error {
			if ev.Type == wire.EventReady {
				ready <- struct{}{}
			}
			return nil
		})
	}()
	<-ready
	// A second connection as the same device (another process with the
	// same token) takes over; the stream gives way instead of fighting.
	connect(t, bob, 0)
	select {
	case err := <-done:
		if !errors.Is(err, client.ErrReplaced) {
			t.Fatalf("stream ended with %v, want ErrReplaced", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not end when replaced")
	}
}

func TestStreamAcrossRestart(t *testing.T) {
	t.Parallel()
	// A fixed port, so that the restarted server has the same URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Addr = addr }))
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	chat := must(alice.OpenDirect(ctx, bob.AccountID)).get(t)

	events := make(chan wire.Event, 64)
	done := make(chan error, 1)
	go func() {
		done <- bob.Stream(ctx, 0, func(ev wire.Event) error {
			events <- ev
			return nil
		}, client.StreamBackoff(10*time.Millisecond, 100*time.Millisecond))
	}()
	wait := func(keep func(wire.Event) bool) wire.Event {
		t.Helper()
		for {
			select {
			case ev := <-events:
				if keep(ev) {
					return ev
				}
			case err := <-done:
				t.Fatalf("stream ended: %v", err)
			case <-time.After(5 * time.Second):
				t.Fatal("timed out waiting for an event")
			}
		}
	}
	wait(isType(wire.EventReady))

	srv = srv.Restart(t)
	wait(isType(wire.EventReconnect))
	wait(isType(wire.EventReady))
	must(alice.SendText(ctx, chat.ID, "welcome back")).get(t)
	ev := wait(isEntry(wire.EntryMessage, wire.KindMessage))
	if b := must(client.DecodeBody(*ev.Entry)).get(t); b.Text != "welcome back" {
		t.Fatalf("got %q after the restart, want welcome back", b.Text)
	}
}
