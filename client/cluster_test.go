package client_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
)

// TestClusterSharesCodesAndMedia runs two nodes on one PostgreSQL, one
// NATS and one S3-compatible bucket, with one secret: a login code
// requested through one node verifies through the other, and media
// uploaded through one node downloads through the other, also after the
// first node is gone.
func TestClusterSharesCodesAndMedia(t *testing.T) {
	dsn := servertest.WithSearchPath(servertest.PostgresDSN(t), servertest.FreshSchema(t, servertest.PostgresDSN(t)))
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
