package web_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/canary"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/internal/webhook"
	"github.com/parleyhq/parley/wire"
)

// A person in Chromium writes to a business (docs/E2EE.md, "Business
// chats"): the web app encrypts to the number's cloud device, whose keys
// the server holds as the business's host; the webhook carries the text,
// the business's reply reaches the page encrypted, the chat header says
// who handles the business's messages, and the person's marker is in no
// table (the webhook outbox seals its bodies).

func TestBusinessChatEncryptedSQLite(t *testing.T) { testBusinessChatEncrypted(t, false) }

func TestBusinessChatEncryptedPostgres(t *testing.T) {
	servertest.PostgresDSN(t) // skips without PARLEY_TEST_POSTGRES
	testBusinessChatEncrypted(t, true)
}

func testBusinessChatEncrypted(t *testing.T, postgres bool) {
	webtest.ChromiumPath(t)
	t.Parallel()
	const adminToken = "web-test-admin"
	opts := []servertest.Option{servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = adminToken
		o.Business.InboxPoll = 20 * time.Millisecond
		o.Business.HostedBy = "Acme Hosting Ltd"
		o.Webhooks = webhook.Options{Poll: 20 * time.Millisecond, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: 2 * time.Second}
	})}
	var dsn, schema string
	if postgres {
		dsn = servertest.PostgresDSN(t)
		schema = servertest.FreshSchema(t, dsn)
		opts = append(opts, servertest.WithOptions(func(o *server.Options) { o.PostgresDSN = servertest.WithSearchPath(dsn, schema) }))
	}
	srv := startServer(t, opts...)
	w := newWebBusiness(t, srv, adminToken, "Acme Shoes", "RETAIL", "+14155550180", "Acme Shoes", false)
	hk, call, biz, num, tok := w.hk, w.call, w.biz, w.num, w.tok
	marker := fmt.Sprintf("BIZWEBCANARY%d", time.Now().UnixNano())
	var link struct {
		Code string `json:"code"`
	}
	call("POST", fmt.Sprintf("/v23.0/%d/ctwa_links", biz.ID), tok.Secret, map[string]any{"phone_number_id": fmt.Sprint(num.ID),
		"prefilled_message": "Size 42?"}, &link)

	b := webtest.Start(t)
	p := b.NewPage(t)
	const phone = "+14155550481"
	signUp(t, p, srv, phone, "Asha")
	p.Navigate(srv.URL + "/#/c/" + link.Code)
	p.WaitText(".chat-title", "Acme Shoes")
	p.WaitText("#biz-hosted", "Messages to this business are handled by Acme Hosting Ltd on its behalf.")
	p.WaitJS(`document.querySelector('#composer').value !== ''`, "prefilled text")
	p.Click("#send")
	hk.inbound(t, "with the person's text", func(m wire.InboundMessage) bool { return m.Text != nil && m.Text.Body == "Size 42?" })

	// The business's reply reaches the page encrypted, and opens there;
	// the person's answer carries the marker (the first message was the
	// link's text, which the business wrote).
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": phone,
		"type": "text", "text": map[string]any{"body": "In stock, in blue too"}}, nil)
	p.WaitText(".msg.theirs .text", "In stock, in blue too")
	send(p, "Thanks "+marker)
	hk.inbound(t, "with the second text", func(m wire.InboundMessage) bool { return m.Text != nil && m.Text.Body == "Thanks "+marker })
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	// The control: a program without end-to-end encryption sends
	// plaintext to someone who never reads it, and the search finds it.
	control := fmt.Sprintf("BIZWEBCONTROL%d", time.Now().UnixNano())
	plain, _ := plainLogin(t, srv, "+14155550482")
	_, other := plainLogin(t, srv, "+14155550483")
	dm, err := plain.OpenDirect(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.SendText(context.Background(), dm.ID, control); err != nil {
		t.Fatal(err)
	}

	var tables map[string][]byte
	if postgres {
		tables = canary.DumpSchema(t, dsn, schema)
	} else {
		tables = canary.DumpSQLite(t, filepath.Join(srv.Opts.DataDir, "parley.db"))
	}
	if where := canary.Leaks([]byte(marker), tables); len(where) > 0 {
		t.Errorf("the person's marker is stored in the clear in %v", where)
	}
	if where := canary.Leaks([]byte(control), tables); len(where) == 0 {
		t.Error("the plaintext control was found nowhere: the search is blind")
	}
}

// plainLogin logs a program without end-to-end encryption in.
func plainLogin(t *testing.T, srv *servertest.Server, phone string) (*client.Client, int64) {
	t.Helper()
	c := client.New(srv.URL)
	if err := c.RequestCode(context.Background(), phone); err != nil {
		t.Fatal(err)
	}
	s, err := c.Verify(context.Background(), phone, srv.Code(phone), "bot", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, s.AccountID
}
