package client_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/wire"
)

// A group message sent with one shared body reaches every member's
// devices (the sender's other devices too) with that body, and each device
// only its own key part; live and from the inbox.
func TestSharedBodySend(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := ctxT(t)
	alice := login(t, srv, alicePhone, "phone")
	aliceLaptop := login(t, srv, alicePhone, "laptop")
	bob := login(t, srv, bobPhone, "phone")
	carol := login(t, srv, carolPhone, "phone")
	g := must(alice.CreateGroup(ctx, "Climbing", bob.AccountID, carol.AccountID)).get(t)

	conn, _ := connect(t, bob, 0)
	body := []byte("one ciphertext for everyone")
	res := must(alice.Send(ctx, g.ID, client.SendRequest{MessageID: "s1", Shared: body,
		Envelopes: []wire.Envelope{{DeviceID: bob.DeviceID, Body: []byte("bob's sender key")}}})).get(t)
	if res.Duplicate || res.Seq == 0 {
		t.Fatalf("send: got %+v, want a new message", res)
	}
	ev := next(t, conn, isEntry(wire.EntryMessage, wire.KindMessage))
	if got := ev.Entry; got == nil || string(got.Body) != string(body) || string(got.Key) != "bob's sender key" || got.MessageID != "s1" {
		t.Fatalf("bob's live entry: got %+v, want the shared body with his key", ev.Entry)
	}
	for _, p := range []person{carol, aliceLaptop} {
		es := messages(pending(t, p))
		if len(es) != 1 || string(es[0].Body) != string(body) || es[0].Key != nil {
			t.Fatalf("device %d inbox: got %+v, want the shared body without a key", p.DeviceID, es)
		}
	}

	// A retry is a duplicate; the stored body does not change.
	res = must(alice.Send(ctx, g.ID, client.SendRequest{MessageID: "s1", Shared: []byte("changed")})).get(t)
	if !res.Duplicate {
		t.Fatalf("retry: got %+v, want a duplicate", res)
	}
	if es := messages(pending(t, carol)); len(es) != 1 || string(es[0].Body) != string(body) {
		t.Fatalf("carol after the retry: got %+v", es)
	}

	// Bad shared sends.
	req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/v1/chats/%d/messages", srv.URL, g.ID),
		strings.NewReader(`{"message_id":"s2","shared":"","envelopes":[]}`))
	req.Header.Set("Authorization", "Bearer "+alice.Session.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an empty shared body: got status %d, want 400", resp.StatusCode)
	}
	_, err = alice.Send(ctx, g.ID, client.SendRequest{MessageID: "s3", Shared: make([]byte, 64<<10+1)})
	wantCode(t, err, "too_large")
	// A key part for a device outside the chat: the sender's list is stale.
	dave := login(t, srv, "+14155550199", "phone")
	_, err = alice.Send(ctx, g.ID, client.SendRequest{MessageID: "s4", Shared: body,
		Envelopes: []wire.Envelope{{DeviceID: dave.DeviceID, Body: []byte("k")}}})
	wantCode(t, err, "devices_changed")
	if es := messages(pending(t, bob)); !slices.ContainsFunc(es, func(e wire.Entry) bool { return e.MessageID == "s1" }) || len(es) != 1 {
		t.Fatalf("bob's inbox after the refused sends: got %+v, want only s1", es)
	}
}
