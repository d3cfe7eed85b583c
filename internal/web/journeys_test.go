package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/e2ee"
	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/internal/webhook"
	"github.com/parleyhq/parley/wire"
)

// goClient logs phone in with the Go client (the other side of a
// journey), with end-to-end encryption.
func goClient(t *testing.T, srv *servertest.Server, phone, name string) (*client.Client, int64) {
	t.Helper()
	ctx := context.Background()
	c := client.New(srv.URL)
	if err := c.RequestCode(ctx, phone); err != nil {
		t.Fatalf("request code: %v", err)
	}
	s, err := c.Verify(ctx, phone, srv.Code(phone), "go", nil)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, err := c.UpdateProfile(ctx, client.ProfileUpdate{DisplayName: &name}); err != nil {
		t.Fatalf("profile: %v", err)
	}
	// It encrypts end to end, as the CLI does: the web app refuses
	// plaintext from people.
	d, err := e2ee.NewDevice(s.AccountID, s.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	c.UseE2EE(d)
	if err := c.SetupE2EE(ctx); err != nil {
		t.Fatalf("set up e2ee: %v", err)
	}
	return c, s.AccountID
}

func TestGroupChat(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	ana, ben := b.NewPage(t), b.NewPage(t)
	signUp(t, ana, srv, "+14155550201", "Ana")
	signUp(t, ben, srv, "+14155550202", "Ben")
	cleo, _ := goClient(t, srv, "+14155550203", "Cleo")

	ana.Click("#new-group")
	ana.Type("dialog[open] #group-subject", "Climbing")
	ana.Type("dialog[open] #group-phones", "+14155550202, +14155550203")
	ana.Click("dialog[open] button[type=submit]")
	ana.WaitText(".chat-title", "Climbing")
	send(ana, "Saturday at 9?")

	ben.WaitText(".chat-item .chat-name", "Climbing")
	ben.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	ben.WaitText(".msg.theirs .text", "Saturday at 9?")
	ben.WaitText(".msg.theirs .sender", "Ana")

	// Cleo answers from the Go client; both browsers see her name.
	chats, err := cleo.Chats(context.Background())
	if err != nil || len(chats) != 1 {
		t.Fatalf("cleo's chats: %v %v", chats, err)
	}
	if _, err := cleo.SendText(context.Background(), chats[0].ID, "Count me in"); err != nil {
		t.Fatal(err)
	}
	// Cleo's phone takes its inbox: her delivery receipt goes to Ana.
	if es, err := cleo.Pending(context.Background(), 0, 100); err == nil {
		ids := make([]int64, len(es))
		for i, e := range es {
			ids[i] = e.ID
		}
		if err := cleo.Ack(context.Background(), ids...); err != nil {
			t.Fatal(err)
		}
	}
	ana.WaitText(".msg.theirs .text", "Count me in")
	ana.WaitText(".msg.theirs .sender", "Cleo")
	// Read by Ben in the browser, only delivered to Cleo: delivered, not
	// read (a group message is read when every member read it).
	waitStatus(ana, "Saturday at 9?", "delivered")
	screenshot(t, ana, "group-desktop")

	// Group management: the admin renames the group and makes Ben an admin.
	ana.Click("#chat-info")
	ana.WaitText("#group-subject-title", "Climbing")
	ana.Click("#rename-group")
	submitDialog(ana, "#ask-text", "Climbing club")
	ana.WaitText("#group-subject-title", "Climbing club")
	ana.Click(`[data-member] .member-menu`)
	ana.Click("dialog[open] [data-action=promote]")
	ana.WaitJS(`document.querySelectorAll('.member-list .tag').length === 2`, "two admins")
	screenshot(t, ana, "group-info-desktop")
	ben.WaitText(".chat-title", "Climbing club")
	ben.WaitText(".sys", "renamed the group")
}

func TestChannelLive(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550301", "Dora")
	owner, _ := goClient(t, srv, "+14155550302", "Owner")
	ctx := context.Background()
	ch, err := owner.CreateChannel(ctx, wire.ChannelInput{Handle: "tidings", Name: "Tidings", Description: "Daily news, briefly",
		Category: "news", Country: "FR", Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.CreateChannel(ctx, wire.ChannelInput{Handle: "tidbits", Name: "Tidbits", Category: "news", Country: "FR", Language: "fr"}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.CreateTier(ctx, ch.ID, "Supporter", 499); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: channel.PostText, Text: "First post"}); err != nil {
		t.Fatal(err)
	}

	// Find it in the directory and follow it.
	p.Click("#tab-updates")
	p.Click("#find-channels")
	p.Type("#directory-search", "tidings")
	p.WaitText(".dir-item .chat-name", "Tidings")
	p.WaitJS(`document.querySelectorAll('.dir-item').length === 1`, "one result")
	screenshot(t, p, "directory-desktop")
	p.Click(fmt.Sprintf(`[data-follow="%d"]`, ch.ID))
	p.WaitText(fmt.Sprintf(`[data-follow="%d"]`, ch.ID), "Following")
	p.Click(".dir-item a.chat-name")
	p.WaitText(".post .text", "First post")

	// A post arrives live; a poll is voted on; a reaction counts.
	if _, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: channel.PostText, Text: "Breaking: it works"}); err != nil {
		t.Fatal(err)
	}
	p.WaitText(".post .text", "Breaking: it works")
	poll, err := owner.Post(ctx, ch.ID, wire.PostInput{Kind: channel.PostPoll, Text: "Tea or coffee?", Poll: &wire.Poll{Options: []string{"Tea", "Coffee"}}})
	if err != nil {
		t.Fatal(err)
	}
	sel := fmt.Sprintf(`.post[data-seq="%d"]`, poll.Seq)
	p.Click(sel + ` .poll-option[data-option="1"]`)
	p.WaitJS(fmt.Sprintf(`document.querySelector('%s .poll-option[data-option="1"]').getAttribute('aria-pressed') === 'true'`, sel), "vote shown")
	if v, err := owner.ChannelPost(ctx, ch.ID, poll.Seq); err != nil || v.Poll.Votes[1] != 1 {
		t.Errorf("votes after the browser voted: %+v %v", v.Poll, err)
	}
	p.Click(sel + ` .reaction`)
	p.WaitJS(fmt.Sprintf(`document.querySelector('%s .reaction[aria-pressed=true]') !== null`, sel), "reaction shown")

	// Mute, then subscribe to the paid tier.
	p.Click("#mute")
	p.WaitJS(`document.querySelector('#mute').getAttribute('aria-pressed') === 'true'`, "muted")
	p.Click("#subscribe")
	p.Click("dialog[open] button[type=submit]")
	p.WaitGone("dialog[open]")
	deadline := time.Now().Add(5 * time.Second)
	for {
		subs, err := owner.ChannelRevenue(ctx, ch.ID)
		if err == nil && subs.Subscribers == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no subscriber after subscribing in the browser: %+v %v", subs, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	screenshot(t, p, "channel-desktop")
	p.Viewport(390, 844, true)
	screenshot(t, p, "channel-phone")
}

// hooks is a business's webhook endpoint that keeps what it receives.
type hooks struct {
	mu     sync.Mutex
	bodies [][]byte
	secret string
	srv    *httptest.Server
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if !webhook.ValidSignature(h.secret, b, r.Header.Get("X-Hub-Signature-256")) {
			t.Errorf("webhook with a bad signature")
		}
		h.bodies = append(h.bodies, b)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// inbound waits for an inbound message webhook that match accepts.
func (h *hooks) inbound(t *testing.T, what string, match func(m wire.InboundMessage) bool) wire.InboundMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		for _, b := range h.bodies {
			var env struct {
				Entry []struct {
					Changes []struct {
						Value struct {
							Messages []wire.InboundMessage `json:"messages"`
						} `json:"value"`
					} `json:"changes"`
				} `json:"entry"`
			}
			_ = json.Unmarshal(b, &env)
			for _, e := range env.Entry {
				for _, c := range e.Changes {
					for _, m := range c.Value.Messages {
						if match(m) {
							h.mu.Unlock()
							return m
						}
					}
				}
			}
		}
		h.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Fatalf("no webhook %s; got %d:\n%s", what, len(h.bodies), bytes.Join(h.bodies, []byte("\n")))
	return wire.InboundMessage{}
}

func TestBusinessJourney(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	const adminToken = "web-test-admin"
	srv := startServer(t, servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = adminToken
		o.Business.InboxPoll = 20 * time.Millisecond
		o.Webhooks = webhook.Options{Poll: 20 * time.Millisecond, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: 2 * time.Second}
	}))
	w := newWebBusiness(t, srv, adminToken, "Acme Shoes", "RETAIL", "+14155550100", "Acme", true)
	hk, call, biz, num, tok := w.hk, w.call, w.biz, w.num, w.tok
	var link struct {
		Code string `json:"code"`
	}
	call("POST", fmt.Sprintf("/v23.0/%d/ctwa_links", biz.ID), tok.Secret, map[string]any{"phone_number_id": fmt.Sprint(num.ID),
		"prefilled_message": "Do you have boots in 43?", "source": map[string]any{"source_id": "ad-7", "source_type": "ad", "headline": "Boots"}}, &link)

	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550401", "Eve")

	// The click-to-chat link opens the business chat with the text ready.
	p.Navigate(srv.URL + "/#/c/" + link.Code)
	p.WaitText(".chat-title", "Acme")
	p.WaitVisible("#verified-badge")
	p.WaitJS(`document.querySelector('#composer').value === 'Do you have boots in 43?'`, "prefilled text")
	p.Click("#send")
	first := hk.inbound(t, "with the prefilled text", func(m wire.InboundMessage) bool {
		return m.Text != nil && m.Text.Body == "Do you have boots in 43?"
	})
	if first.Referral == nil || first.Referral.SourceID != "ad-7" {
		t.Errorf("the first message carries no referral from the link: %+v", first.Referral)
	}

	// The business answers with a list; the person's choice arrives as a list_reply.
	var sent struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": "+14155550401",
		"type": "interactive", "interactive": map[string]any{"type": "list", "body": map[string]any{"text": "Which store?"},
			"action": map[string]any{"button": "Stores", "sections": []any{map[string]any{"title": "Berlin", "rows": []any{
				map[string]any{"id": "ber-1", "title": "Mitte", "description": "Open till 8"},
				map[string]any{"id": "ber-2", "title": "Kreuzberg"}}}}}}}, &sent)
	p.WaitText(".interactive .text", "Which store?")
	p.Click(".interactive .list-open")
	screenshot(t, p, "business-desktop")
	p.Click(`.interactive [data-choice="ber-1"]`)
	got := hk.inbound(t, "with the list reply", func(m wire.InboundMessage) bool { return m.Type == "interactive" })
	if got.Interactive == nil || got.Interactive.ListReply == nil || got.Interactive.ListReply.ID != "ber-1" || got.Context == nil || got.Context.ID != sent.Messages[0].ID {
		t.Errorf("list reply webhook: %+v", got)
	}
	p.WaitJS(`document.querySelector('.interactive [data-choice="ber-1"]').disabled`, "the list is answered")

	// The business shows two products; the person orders from the list,
	// and the business receives Meta's order with the catalog's prices.
	var cats struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	call("GET", fmt.Sprintf("/v23.0/%d/product_catalogs", biz.ID), tok.Secret, nil, &cats)
	cat := cats.Data[0].ID
	call("POST", "/v23.0/"+cat+"/products", tok.Secret, map[string]any{"retailer_id": "boot-43", "name": "Hiking boot", "price": 8900, "currency": "EUR"}, nil)
	call("POST", "/v23.0/"+cat+"/products", tok.Secret, map[string]any{"retailer_id": "sock-43", "name": "Wool sock", "price": 500, "currency": "EUR"}, nil)
	call("POST", fmt.Sprintf("/v23.0/%d/messages", num.ID), tok.Secret, map[string]any{"messaging_product": "whatsapp", "to": "+14155550401",
		"type": "interactive", "interactive": map[string]any{"type": "product_list", "header": map[string]any{"type": "text", "text": "Size 43"},
			"body": map[string]any{"text": "In stock in Mitte"}, "action": map[string]any{"catalog_id": cat, "sections": []any{
				map[string]any{"title": "Boots", "product_items": []any{map[string]any{"product_retailer_id": "boot-43"}}},
				map[string]any{"title": "Socks", "product_items": []any{map[string]any{"product_retailer_id": "sock-43"}}}}}}}, &sent)
	p.WaitText(`.i-product[data-product="boot-43"]`, "89.00 EUR")
	p.WaitJS(`(document.querySelector('.i-product[data-product="boot-43"] .qty').value = '1') === '1'`, "one boot")
	p.WaitJS(`(document.querySelector('.i-product[data-product="sock-43"] .qty').value = '2') === '2'`, "two pairs of socks")
	p.Click(".interactive .order")
	ord := hk.inbound(t, "with the order", func(m wire.InboundMessage) bool { return m.Type == "order" })
	if ord.Order == nil || ord.Order.CatalogID != cat || len(ord.Order.ProductItems) != 2 || ord.Order.ProductItems[1].Quantity != 2 ||
		ord.Order.ProductItems[0].ItemPrice != "89.00" || ord.Context == nil || ord.Context.ID != sent.Messages[0].ID {
		t.Errorf("order webhook: %+v", ord)
	}

	// Stop its marketing, and report it.
	p.Click("#chat-menu")
	p.Click("dialog[open] [data-action=biz-stop-marketing]")
	p.WaitText(".toast", "no longer")
	p.Viewport(390, 844, true)
	screenshot(t, p, "business-phone")
	if !strings.Contains(p.Text(".chat-status"), "Business") {
		t.Errorf("the business chat is not labelled")
	}
}

func TestLongHistory(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550501", "Finn")
	p.Click("#new-group")
	p.Type("dialog[open] #group-subject", "Archive")
	p.Click("dialog[open] button[type=submit]")
	p.WaitText(".chat-title", "Archive")
	id := webtest.Eval[int](p, `Number(document.querySelector('.chat').dataset.chat)`)
	me := webtest.Eval[int](p, `JSON.parse(localStorage.getItem('parley.session')).account_id`)

	// 10,000 messages on the device, written straight into IndexedDB.
	start := time.Now()
	webtest.Eval[bool](p, fmt.Sprintf(`new Promise((resolve, reject) => {
		const req = indexedDB.open('parley-%d');
		req.onsuccess = () => {
			const tx = req.result.transaction('messages', 'readwrite');
			const os = tx.objectStore('messages');
			const t0 = Date.now() - 10000 * 60000;
			for (let i = 1; i <= 10000; i++) {
				os.put({key: '%d:m' + i, chat: %d, id: 'm' + i, seq: i + 1, sort: i + 1, sender: %d, mine: i %% 3 === 0,
					at: new Date(t0 + i * 60000).toISOString(), text: 'Message number ' + i, reactions: {}, status: 'read', deliveredBy: [], readBy: []});
			}
			tx.oncomplete = () => resolve(true);
			tx.onerror = () => reject(tx.error);
		};
		req.onerror = () => reject(req.error);
	})`, me, id, id, me))
	t.Logf("wrote 10000 messages in %v", time.Since(start))

	p.Navigate(fmt.Sprintf("%s/?reload#/chat/%d", srv.URL, id))
	p.WaitText(".msg .text", "Message number 10000")
	// Message rows (day separators and the unread marker are not rows).
	rows := func() int {
		return webtest.Eval[int](p, `document.querySelectorAll('.msgs-inner > :not(.day-sep):not(.unread-marker)').length`)
	}
	if n := rows(); n > 120 {
		t.Fatalf("%d rows in the DOM after opening, want at most 120", n)
	}
	// Scroll to the top again and again: older pages load, the DOM stays small.
	start = time.Now()
	for i := 0; i < 12; i++ {
		before := webtest.Eval[string](p, `document.querySelector('.msgs-inner .msg .text').textContent`)
		webtest.Eval[bool](p, `(document.querySelector('.msgs').scrollTop = 0, true)`)
		p.WaitJS(fmt.Sprintf(`document.querySelector('.msgs-inner .msg .text').textContent !== %q`, before), "an older page")
		if n := rows(); n > 120 {
			t.Fatalf("%d rows in the DOM after %d pages, want at most 120", n, i+1)
		}
	}
	oldest := webtest.Eval[string](p, `document.querySelector('.msgs-inner .msg .text').textContent`)
	t.Logf("12 pages back in %v; top row %q; %d rows in the DOM", time.Since(start), oldest, rows())
	if oldest == "Message number 9961" || !strings.HasPrefix(oldest, "Message number ") {
		t.Errorf("scrolling up did not go back in history: top row %q", oldest)
	}
	// And back down to the latest.
	p.Click(".jump")
	p.WaitText(".msg .text", "Message number 10000")
	screenshot(t, p, "long-history-desktop")
}

// webBusiness is a business set up through the admin API for a browser
// journey: one number, a webhook to hk (which learns the app secret) and
// an API token; call is an API call that fails the test.
type webBusiness struct {
	biz  adminapi.Business
	num  adminapi.Number
	tok  adminapi.Token
	hk   *hooks
	call func(method, path, token string, body, out any)
}

func newWebBusiness(t *testing.T, srv *servertest.Server, adminToken, name, category, phone, display string, verified bool) *webBusiness {
	t.Helper()
	w := &webBusiness{hk: newHooks(t)}
	w.call = func(method, path, token string, body, out any) {
		t.Helper()
		apiCall(t, srv, method, path, token, body, out)
	}
	w.call("POST", "/admin/v1/businesses", adminToken, map[string]any{"name": name, "category": category}, &w.biz)
	if verified {
		w.call("PATCH", fmt.Sprintf("/admin/v1/businesses/%d", w.biz.ID), adminToken, map[string]any{"verified": true}, &w.biz)
	}
	w.hk.mu.Lock()
	w.hk.secret = w.biz.AppSecret
	w.hk.mu.Unlock()
	w.call("POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", w.biz.ID), adminToken, map[string]any{"phone": phone, "display_name": display}, &w.num)
	w.call("PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", w.biz.ID), adminToken, map[string]any{"callback_url": w.hk.srv.URL, "verify_token": "vt"}, nil)
	w.call("POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", w.biz.ID), adminToken, map[string]any{"name": "web"}, &w.tok)
	return w
}
