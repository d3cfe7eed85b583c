package client_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

// TestClusterSharesCodesAndMedia runs two nodes on one PostgreSQL, one
// NATS and one S3-compatible bucket, with one secret: a login code
// requested through one node verifies through the other, and media
// uploaded through one node downloads through the other, also after the
// first node is gone.
func TestClusterSharesCodesAndMedia(t *testing.T) {
	t.Parallel()
	dsn := servertest.FreshDatabase(t, servertest.PostgresDSN(t))
	bus := servertest.WithExternalNATS(servertest.NATSURL(t))
	s3 := servertest.S3(t)
	secret := []byte("the secret every node of this cluster is given")
	node := func() *servertest.Server {
		return servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}), bus,
			servertest.WithOptions(func(o *server.Options) { o.PostgresDSN, o.Secret, o.S3 = dsn, secret, s3 }))
	}
	a, b := node(), node()
	ctx := ctxT(t)

	// The code is sent through node a; it verifies through node b.
	onA := client.New(a.URL)
	if err := onA.RequestCode(ctx, alicePhone); err != nil {
		t.Fatalf("request code on a: %v", err)
	}
	onB := client.New(b.URL)
	s, err := onB.Verify(ctx, alicePhone, a.Code(alicePhone), "phone", nil)
	if err != nil {
		t.Fatalf("verify on b the code sent through a: %v", err)
	}
	alice := person{Client: onB, Session: s, phone: alicePhone}
	bob := login(t, a, bobPhone, "phone")
	chatID := must(alice.OpenDirect(ctx, bob.AccountID)).get(t).ID

	photo := bytes.Repeat([]byte("cluster media "), 4096)
	aliceOnA := client.New(a.URL, client.WithToken(alice.Session.Token))
	m := must(aliceOnA.UploadMedia(ctx, chatID, "application/octet-stream", bytes.NewReader(photo))).get(t)
	bobOnB := client.New(b.URL, client.WithToken(bob.Session.Token))
	download := func(who string) {
		t.Helper()
		d, err := bobOnB.Media(ctx, m.ID)
		if err != nil {
			t.Fatalf("%s: download through b what was uploaded through a: %v", who, err)
		}
		got, err := io.ReadAll(d.Body)
		d.Body.Close()
		if err != nil || !bytes.Equal(got, photo) {
			t.Fatalf("%s: downloaded %d bytes (%v), want the %d uploaded", who, len(got), err, len(photo))
		}
	}
	download("both nodes up")
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatalf("stop node a: %v", err)
	}
	download("node a gone")
}

// TestRetriedSendReachesOnlineDevices: a node commits a send and dies
// before publishing it (here: a node on another bus, whose publishes nobody
// hears); the sender retries through another node, which answers
// duplicate and publishes the entries still queued, so the recipient who
// is online gets the message live, not on its next reconnect.
func TestRetriedSendReachesOnlineDevices(t *testing.T) {
	t.Parallel()
	dsn := servertest.FreshDatabase(t, servertest.PostgresDSN(t))
	natsURL := servertest.NATSURL(t)
	secret := []byte("the secret every node of this cluster is given")
	node := func(bus servertest.Option) *servertest.Server {
		return servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}), bus,
			servertest.WithOptions(func(o *server.Options) { o.PostgresDSN, o.Secret = dsn, secret }))
	}
	cluster := servertest.WithExternalNATS(natsURL)
	a := node(cluster)
	dying := node(servertest.WithExternalNATS(natsURL)) // its own subject prefix: its publishes are lost
	ctx := ctxT(t)
	alice := login(t, a, alicePhone, "phone")
	bob := login(t, a, bobPhone, "phone")
	chatID := must(alice.OpenDirect(ctx, bob.AccountID)).get(t).ID
	conn, _ := connectLive(t, bob, 0)

	aliceOnDying := client.New(dying.URL, client.WithToken(alice.Session.Token))
	id := client.NewMessageID()
	must(aliceOnDying.SendBody(ctx, chatID, id, "", "", client.Body{Text: "sent through a node that died"})).get(t)
	res := must(alice.SendBody(ctx, chatID, id, "", "", client.Body{Text: "sent through a node that died"})).get(t)
	if !res.Duplicate {
		t.Fatalf("retry: got %+v, want duplicate", res)
	}
	for {
		ev, err := conn.Next(ctx)
		if err != nil {
			t.Fatalf("bob never got the retried message live: %v", err)
		}
		if ev.Type == wire.EventEntry && ev.Entry != nil && ev.Entry.MessageID == id {
			return
		}
	}
}

// TestBusOutageLosesNothingLive: node b's only NATS server dies, a message
// is committed through node a meanwhile (its live event, published while b
// is away, is lost by NATS), and the server comes back: b's gateway sends
// the connected device what it missed from the inbox, without the device
// having to reconnect.
func TestBusOutageLosesNothingLive(t *testing.T) {
	t.Parallel()
	dsn := servertest.FreshDatabase(t, servertest.PostgresDSN(t))
	nats := servertest.StartNATSCluster(t, 3)
	secret := []byte("the secret every node of this cluster is given")
	node := func(natsURL string) *servertest.Server {
		return servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}),
			servertest.WithOptions(func(o *server.Options) {
				o.PostgresDSN, o.Secret = dsn, secret
				o.NATS.URL, o.NATS.SubjectPrefix = natsURL, "outage"
			}))
	}
	a := node(nats.Servers[0].ClientURL())
	b := node(nats.Servers[2].ClientURL()) // this one server only
	ctx := ctxT(t)
	alice := login(t, a, alicePhone, "phone")
	bob := login(t, b, bobPhone, "phone")
	chatID := must(alice.OpenDirect(ctx, bob.AccountID)).get(t).ID
	conn, _ := connectLive(t, bob, 0)

	nats.Kill(2)
	lost := must(alice.SendText(ctx, chatID, "sent while bob's node had no bus")).get(t)
	nats.Restart(2)
	after := must(alice.SendText(ctx, chatID, "sent once the bus was back")).get(t)

	var got []string
	for len(got) < 2 {
		ev, err := conn.Next(ctx)
		if err != nil {
			t.Fatalf("bob got %q live, then %v; want both messages", got, err)
		}
		if ev.Type == wire.EventEntry && ev.Entry != nil && ev.Entry.Type == wire.EntryMessage {
			got = append(got, ev.Entry.MessageID)
		}
	}
	if !slices.Contains(got, lost.MessageID) || !slices.Contains(got, after.MessageID) {
		t.Fatalf("bob got %q live, want %s and %s", got, lost.MessageID, after.MessageID)
	}
}

// TestEntriesGoToTheDevicesNode: once the directory knows that bob's device
// is on node b, entries sent through node a travel on b's node subject in
// one batch per commit, and none on the device's own subject, which every
// node hears.
func TestEntriesGoToTheDevicesNode(t *testing.T) {
	t.Parallel()
	dsn := servertest.FreshDatabase(t, servertest.PostgresDSN(t))
	natsURL := servertest.NATSURL(t)
	prefix := "dir" + client.NewMessageID()
	node := func() *servertest.Server {
		return servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}),
			servertest.WithOptions(func(o *server.Options) {
				o.PostgresDSN, o.Secret = dsn, []byte("the secret every node of this cluster is given")
				o.NATS.URL, o.NATS.SubjectPrefix = natsURL, prefix
			}))
	}
	a, b := node(), node()
	ctx := ctxT(t)
	alice := login(t, a, alicePhone, "phone")
	bob := login(t, b, bobPhone, "phone")
	chatID := must(alice.OpenDirect(ctx, bob.AccountID)).get(t).ID

	nc, err := natsgo.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var perDevice, batches atomic.Int64
	for subject, n := range map[string]*atomic.Int64{
		fmt.Sprintf("%s.parley.dev.%d", prefix, bob.DeviceID): &perDevice,
		prefix + ".parley.node.*.entries":                     &batches,
	} {
		if _, err := nc.Subscribe(subject, func(*natsgo.Msg) { n.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	conn, _ := connectLive(t, bob, 0)
	received := func(want int) {
		t.Helper()
		for got := 0; got < want; {
			ev, err := conn.Next(ctx)
			if err != nil {
				t.Fatalf("bob got %d of %d messages live, then %v", got, want, err)
			}
			if ev.Type == wire.EventEntry && ev.Entry != nil && ev.Entry.Type == wire.EntryMessage {
				got++
			}
		}
	}
	// Until a hears where bob is, his entries may take his own subject.
	if !testutil.Within(10*time.Second, func() bool {
		before := batches.Load()
		must(alice.SendText(ctx, chatID, "are you there?")).get(t)
		received(1)
		return batches.Load() > before
	}) {
		t.Fatal("entries never went by node subject")
	}
	devBefore, batchBefore := perDevice.Load(), batches.Load()
	for i := range 10 {
		must(alice.SendText(ctx, chatID, fmt.Sprint("message ", i))).get(t)
	}
	received(10)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := perDevice.Load() - devBefore; got != 0 {
		t.Errorf("%d entries went on the device's own subject, want 0", got)
	}
	if got := batches.Load() - batchBefore; got < 10 {
		t.Errorf("%d node batches for 10 messages, want at least 10 (one per commit, the receipts' too)", got)
	}
}
