package client_test

import (
	"testing"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// A message sent over the open WebSocket is committed and answered with a
// "sent" event, reaches the recipient like any other, is idempotent by id,
// and a refused one is an "error" event that names it.
func TestSendOverWebSocket(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")
	chatID := must(alice.OpenDirect(ctx, bob.AccountID)).get(t).ID
	devs := must(alice.RecipientDevices(ctx, chatID)).get(t)
	envs := func(body string) []wire.Envelope {
		out := make([]wire.Envelope, len(devs))
		for i, d := range devs {
			out[i] = wire.Envelope{DeviceID: d.DeviceID, Body: []byte(body)}
		}
		return out
	}
	aliceConn, _ := connectLive(t, alice, 0)
	bobConn, _ := connectLive(t, bob, 0)

	// Two sends in flight at once.
	for _, id := range []string{"ws-1", "ws-2"} {
		if err := aliceConn.Send(ctx, chatID, client.SendRequest{MessageID: id, Envelopes: envs("hello " + id)}); err != nil {
			t.Fatal(err)
		}
	}
	sent := map[string]wire.SendResult{}
	for len(sent) < 2 {
		ev := next(t, aliceConn, isType(wire.EventSent))
		if ev.Sent == nil || ev.ChatID != chatID {
			t.Fatalf("sent event: got %+v", ev)
		}
		sent[ev.MessageID] = *ev.Sent
	}
	if sent["ws-1"].Seq == 0 || sent["ws-2"].Seq == 0 || sent["ws-1"].Seq == sent["ws-2"].Seq || sent["ws-1"].Duplicate {
		t.Fatalf("sent results: got %+v, want two new messages", sent)
	}
	got := map[string]string{}
	for len(got) < 2 {
		e := next(t, bobConn, isEntry(wire.EntryMessage, wire.KindMessage)).Entry
		got[e.MessageID] = string(e.Body)
	}
	if got["ws-1"] != "hello ws-1" || got["ws-2"] != "hello ws-2" {
		t.Fatalf("bob got %q", got)
	}

	// A retry is a duplicate with the original sequence number.
	if err := aliceConn.Send(ctx, chatID, client.SendRequest{MessageID: "ws-1", Envelopes: envs("hello ws-1")}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, aliceConn, isType(wire.EventSent)); !ev.Sent.Duplicate || ev.Sent.Seq != sent["ws-1"].Seq {
		t.Fatalf("retry: got %+v, want a duplicate of seq %d", ev.Sent, sent["ws-1"].Seq)
	}

	// Carol is not in the chat: her send is refused by name.
	carolConn, _ := connectLive(t, carol, 0)
	if err := carolConn.Send(ctx, chatID, client.SendRequest{MessageID: "intruder", Envelopes: envs("hi")}); err != nil {
		t.Fatal(err)
	}
	ev := next(t, carolConn, isType(wire.EventError))
	if ev.Error == nil || ev.Error.Code != "forbidden" || ev.MessageID != "intruder" || ev.ChatID != chatID {
		t.Fatalf("refused send: got %+v (%+v), want forbidden naming the message", ev, ev.Error)
	}
	// A send frame without a message id is refused as a frame.
	if err := carolConn.Send(ctx, chatID, client.SendRequest{}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, carolConn, isType(wire.EventError)); ev.Error == nil || ev.Error.Code != "invalid_argument" {
		t.Fatalf("send without id: got %+v", ev.Error)
	}
}
