package chat_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/wire"
)

// The send path reads tokens, chats and members, devices and blocks from
// memory (readcache.go). These tests change each through one node and
// check that the next send through a node whose caches were warm sees the
// change: at once on the same node (SQLite), and within the bus's delivery
// time on another node of a cluster (PostgreSQL, external NATS). The
// caches trust an entry for 30 s without news, so a check that passes
// within stale is one the bus's invalidation made pass.

// stale is how long a node of a cluster may answer from what another
// node changed: the bus's delivery, with room for a busy machine.
const stale = 3 * time.Second

func TestSendPathCachesSingleNode(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}), servertest.WithBulkLogins())
	testSendPathCaches(t, srv, srv, 0)
}

func TestSendPathCachesAcrossNodes(t *testing.T) {
	dsn := servertest.WithSearchPath(servertest.PostgresDSN(t), servertest.FreshSchema(t, servertest.PostgresDSN(t)))
	bus := servertest.WithExternalNATS(servertest.NATSURL(t))
	secret := []byte("the secret every node of this cluster is given")
	node := func() *servertest.Server {
		return servertest.Start(t, servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}), servertest.WithBulkLogins(), bus,
			servertest.WithOptions(func(o *server.Options) { o.PostgresDSN, o.Secret = dsn, secret }))
	}
	writer, reader := node(), node()
	testSendPathCaches(t, writer, reader, stale)
}

// testSendPathCaches changes things through writer and sends through
// reader, which must see each change within wait (0: at once).
func testSendPathCaches(t *testing.T, writer, reader *servertest.Server, wait time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	phone := 100
	login := func(t *testing.T, srv *servertest.Server, phoneNumber string) *user {
		t.Helper()
		c := client.New(srv.URL)
		if err := c.RequestCode(ctx, phoneNumber); err != nil {
			t.Fatalf("request code for %s: %v", phoneNumber, err)
		}
		s, err := c.Verify(ctx, phoneNumber, srv.Code(phoneNumber), "phone", nil)
		if err != nil {
			t.Fatalf("verify %s: %v", phoneNumber, err)
		}
		return &user{Session: s, phone: phoneNumber,
			onWriter: client.New(writer.URL, client.WithToken(s.Token)),
			onReader: client.New(reader.URL, client.WithToken(s.Token))}
	}
	newUser := func(t *testing.T) *user {
		t.Helper()
		phone++
		return login(t, writer, "+14155550"+strconv.Itoa(phone))
	}
	// eventually polls check until it returns "" (within wait), and
	// fails with its last answer otherwise.
	eventually := func(t *testing.T, what string, check func() string) {
		t.Helper()
		start := time.Now()
		for {
			got := check()
			if got == "" {
				if wait > 0 {
					t.Logf("%s: seen by the other node after %v", what, time.Since(start).Round(time.Millisecond))
				}
				return
			}
			if time.Since(start) >= wait {
				t.Fatalf("%s: %v after the change", what, got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	sendCode := func(t *testing.T, c *client.Client, chatID int64) string {
		_, err := c.SendText(ctx, chatID, "hello")
		if err != nil && client.ErrorCode(err) == "" {
			t.Fatalf("send: %v", err)
		}
		return client.ErrorCode(err)
	}
	wantCode := func(t *testing.T, want string, c *client.Client, chatID int64) func() string {
		return func() string {
			if got := sendCode(t, c, chatID); got != want {
				return "send answered " + quote(got) + ", want " + quote(want)
			}
			return ""
		}
	}

	t.Run("revoked token", func(t *testing.T) {
		alice, bob := newUser(t), newUser(t)
		chatID := must(t)(alice.onWriter.OpenDirect(ctx, bob.AccountID))
		if got := sendCode(t, alice.onReader, chatID); got != "" {
			t.Fatalf("send before the revocation: %s", got)
		}
		if err := alice.onWriter.RevokeDevice(ctx, alice.DeviceID); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		eventually(t, "a revoked token", wantCode(t, "unauthenticated", alice.onReader, chatID))
	})

	t.Run("new block and unblock", func(t *testing.T) {
		alice, bob := newUser(t), newUser(t)
		chatID := must(t)(alice.onWriter.OpenDirect(ctx, bob.AccountID))
		if got := sendCode(t, alice.onReader, chatID); got != "" {
			t.Fatalf("send before the block: %s", got)
		}
		if err := bob.onWriter.Block(ctx, alice.AccountID); err != nil {
			t.Fatalf("block: %v", err)
		}
		eventually(t, "a block by the recipient", wantCode(t, "blocked", alice.onReader, chatID))
		eventually(t, "a block by the recipient, the other way", wantCode(t, "blocked", bob.onReader, chatID))
		if err := bob.onWriter.Unblock(ctx, alice.AccountID); err != nil {
			t.Fatalf("unblock: %v", err)
		}
		eventually(t, "an unblock", wantCode(t, "", alice.onReader, chatID))
	})

	t.Run("removed and added member", func(t *testing.T) {
		alice, bob, carol := newUser(t), newUser(t), newUser(t)
		chatID := must(t)(alice.onWriter.CreateGroup(ctx, "cache", bob.AccountID, carol.AccountID))
		if got := sendCode(t, carol.onReader, chatID); got != "" {
			t.Fatalf("send before the removal: %s", got)
		}
		if err := alice.onWriter.RemoveMember(ctx, chatID, carol.AccountID); err != nil {
			t.Fatalf("remove carol: %v", err)
		}
		eventually(t, "a removed member's send", wantCode(t, "forbidden", carol.onReader, chatID))
		eventually(t, "a removed member's devices", func() string {
			if slices.Contains(recipients(t, ctx, alice.onReader, chatID), carol.DeviceID) {
				return "the removed member's device is still a recipient"
			}
			return ""
		})
		must(t)(alice.onWriter.AddMembers(ctx, chatID, carol.AccountID))
		eventually(t, "an added member's send", wantCode(t, "", carol.onReader, chatID))
		eventually(t, "an added member's devices", func() string {
			if !slices.Contains(recipients(t, ctx, alice.onReader, chatID), carol.DeviceID) {
				return "the added member's device is not a recipient"
			}
			return ""
		})
	})

	t.Run("linked and unlinked device", func(t *testing.T) {
		alice, bob := newUser(t), newUser(t)
		chatID := must(t)(alice.onWriter.OpenDirect(ctx, bob.AccountID))
		if got := sendCode(t, alice.onReader, chatID); got != "" {
			t.Fatalf("send before the link: %s", got)
		}
		before := recipients(t, ctx, alice.onReader, chatID)
		bob2 := login(t, writer, bob.phone)
		eventually(t, "a linked device", func() string {
			if !slices.Contains(recipients(t, ctx, alice.onReader, chatID), bob2.DeviceID) {
				return "the new device is not a recipient"
			}
			return ""
		})
		// A send encrypted for the devices known before the link is
		// refused: the new device would miss it.
		envs := make([]wire.Envelope, len(before))
		for i, d := range before {
			envs[i] = wire.Envelope{DeviceID: d, Body: []byte("x")}
		}
		_, err := alice.onReader.Send(ctx, chatID, client.SendRequest{MessageID: client.NewMessageID(), Envelopes: envs})
		if got := client.ErrorCode(err); got != "devices_changed" {
			t.Fatalf("send without the new device: got %q, want devices_changed", got)
		}
		if err := bob.onWriter.RevokeDevice(ctx, bob2.DeviceID); err != nil {
			t.Fatalf("unlink: %v", err)
		}
		eventually(t, "an unlinked device", func() string {
			if slices.Contains(recipients(t, ctx, alice.onReader, chatID), bob2.DeviceID) {
				return "the unlinked device is still a recipient"
			}
			return ""
		})
		eventually(t, "the unlinked device's token", wantCode(t, "unauthenticated", bob2.onReader, chatID))
	})
}

type user struct {
	client.Session
	phone              string
	onWriter, onReader *client.Client
}

func recipients(t *testing.T, ctx context.Context, c *client.Client, chatID int64) []int64 {
	t.Helper()
	devs, err := c.RecipientDevices(ctx, chatID)
	if err != nil {
		t.Fatalf("recipient devices: %v", err)
	}
	ids := make([]int64, len(devs))
	for i, d := range devs {
		ids[i] = d.DeviceID
	}
	return ids
}

// must(t)(view, err) returns the chat's id, failing the test on err.
func must(t *testing.T) func(v wire.ChatView, err error) int64 {
	return func(v wire.ChatView, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
}

func quote(s string) string {
	if s == "" {
		return "ok"
	}
	return s
}

// A send reads no message id before its commit: the commit answers a
// retry as a duplicate. A retry that a check now refuses (a device linked
// since, a block) is still answered from what was committed.
func TestRetryIsADuplicateWhateverChangedSince(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testRetryIsADuplicate(t) })
	t.Run("postgres", func(t *testing.T) {
		testRetryIsADuplicate(t, servertest.WithPostgres(t, servertest.PostgresDSN(t)))
	})
}

func testRetryIsADuplicate(t *testing.T, opts ...servertest.Option) {
	opts = append([]servertest.Option{servertest.WithConfig(chat.Config{CodeResend: time.Millisecond}), servertest.WithBulkLogins()}, opts...)
	srv := servertest.Start(t, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	login := func(phone string) (*client.Client, client.Session) {
		t.Helper()
		c := client.New(srv.URL)
		if err := c.RequestCode(ctx, phone); err != nil {
			t.Fatalf("request code: %v", err)
		}
		s, err := c.Verify(ctx, phone, srv.Code(phone), "phone", nil)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		return c, s
	}
	alice, aliceS := login("+14155550201")
	bob, bobS := login("+14155550202")
	chatID := must(t)(alice.OpenDirect(ctx, bobS.AccountID))
	req := client.SendRequest{MessageID: "retried", Envelopes: []wire.Envelope{{DeviceID: bobS.DeviceID, Body: []byte("x")}}}
	first, err := alice.Send(ctx, chatID, req)
	if err != nil || first.Duplicate {
		t.Fatalf("first send: %+v, %v", first, err)
	}
	retry := func(when string) {
		t.Helper()
		got, err := alice.Send(ctx, chatID, req)
		if err != nil {
			t.Fatalf("retry %s: %v, want the original answered as a duplicate", when, err)
		}
		if !got.Duplicate || got.Seq != first.Seq || !got.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("retry %s: got %+v, want the original %+v as a duplicate", when, got, first)
		}
	}
	retry("with nothing changed")
	login("+14155550202") // bob links a second device
	retry("after the recipient linked a device")
	if err := bob.Block(ctx, aliceS.AccountID); err != nil {
		t.Fatalf("block: %v", err)
	}
	retry("after the recipient blocked the sender")
	_, err = bob.Send(ctx, chatID, client.SendRequest{MessageID: "retried", Envelopes: []wire.Envelope{{DeviceID: 1, Body: []byte("x")}}})
	if got := client.ErrorCode(err); got != "conflict" {
		t.Fatalf("another sender's id: got %q, want conflict", got)
	}
}

// While a node's bus is down it hears no invalidations: it must read from
// the store meanwhile, and forget its caches when the bus is back.
func TestSendPathCachesDuringABusOutage(t *testing.T) {
	dsn := servertest.WithSearchPath(servertest.PostgresDSN(t), servertest.FreshSchema(t, servertest.PostgresDSN(t)))
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
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	login := func(phone string) (*client.Client, client.Session) {
		t.Helper()
		c := client.New(a.URL)
		if err := c.RequestCode(ctx, phone); err != nil {
			t.Fatalf("request code: %v", err)
		}
		s, err := c.Verify(ctx, phone, a.Code(phone), "phone", nil)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		return c, s
	}
	_, aliceS := login("+14155550301")
	bobOnA, _ := login("+14155550302")
	aliceOnB := client.New(b.URL, client.WithToken(aliceS.Token))
	chatID := must(t)(bobOnA.OpenDirect(ctx, aliceS.AccountID))
	// sendsAs waits up to wait for alice's send through b to answer want.
	sendsAs := func(want string, wait time.Duration, when string) {
		t.Helper()
		start := time.Now()
		for {
			_, err := aliceOnB.SendText(ctx, chatID, "hello")
			got := client.ErrorCode(err)
			if err != nil && got == "" {
				t.Fatalf("%s: send: %v", when, err)
			}
			if got == want {
				return
			}
			if time.Since(start) > wait {
				t.Fatalf("%s: send answered %q, want %q", when, got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	sendsAs("", 0, "before the outage") // b's caches: not blocked
	nats.Kill(2)
	time.Sleep(500 * time.Millisecond)  // b sees its connection close
	sendsAs("", 0, "during the outage") // read again while b hears nothing
	if err := bobOnA.Block(ctx, aliceS.AccountID); err != nil {
		t.Fatalf("block: %v", err)
	}
	sendsAs("blocked", 3*time.Second, "blocked while b's bus is down")

	nats.Restart(2)
	if err := bobOnA.Unblock(ctx, aliceS.AccountID); err != nil {
		t.Fatalf("unblock: %v", err)
	}
	sendsAs("", 10*time.Second, "unblocked")
	time.Sleep(3 * time.Second) // b is back on its bus, reading into its caches again
	sendsAs("", 0, "before the second outage")
	nats.Kill(2)
	if err := bobOnA.Block(ctx, aliceS.AccountID); err != nil {
		t.Fatalf("block: %v", err)
	}
	nats.Restart(2) // b never heard of the block
	sendsAs("blocked", 10*time.Second, "blocked while b's bus was down, after it is back")
}
