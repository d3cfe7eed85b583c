package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/wire"
)

// TestFirstMessageToOfflinePersonShows: in a new 1:1 chat whose recipient
// has no browser open (so no delivery receipt comes back), the sender's
// first message stays in the conversation once the server has numbered it.
func TestFirstMessageToOfflinePersonShows(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	alice := b.NewPage(t)
	goClient(t, srv, "+14155550702", "Olga") // signed up, then offline
	signUp(t, alice, srv, "+14155550701", "Alice")

	alice.Click("#new-chat")
	submitDialog(alice, "#ask-phone", "+14155550702")
	alice.WaitText(".chat-title", "Olga")
	send(alice, "Are you there?")
	waitStatus(alice, "Are you there?", "sent")
	// Nothing else arrives to redraw the chat: it must still be there.
	time.Sleep(300 * time.Millisecond)
	waitStatus(alice, "Are you there?", "sent")
	alice.WaitText(".chat-item .chat-preview", "Are you there?")

	// A second message lands under the first.
	send(alice, "Second")
	waitStatus(alice, "Second", "sent")
	if n := webtest.Eval[int](alice, `document.querySelectorAll('.msg.mine').length`); n != 2 {
		t.Errorf("got %d own messages on screen, want 2", n)
	}
}

// apiCall calls srv with a bearer token and decodes a 2xx JSON answer
// into out.
func apiCall(t *testing.T, srv *servertest.Server, method, path, token string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, srv.Endpoint(path), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, rb)
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// TestClickToChatLanding: a click-to-chat link of an ad, opened in a
// browser with no session, shows a page that previews as the business
// (Open Graph: name, the ad's headline and picture), offers the app's deep
// link, and opens the chat in the web app after logging in, with the text
// ready to send.
func TestClickToChatLanding(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	const adminToken = "landing-admin"
	srv := startServer(t, servertest.WithOptions(func(o *server.Options) { o.AdminToken = adminToken }))
	var biz adminapi.Business
	var num adminapi.Number
	var tok adminapi.Token
	apiCall(t, srv, "POST", "/admin/v1/businesses", adminToken, map[string]any{"name": "Acme Shoes", "category": "RETAIL"}, &biz)
	apiCall(t, srv, "POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", biz.ID), adminToken, map[string]any{"phone": "+14155550100", "display_name": "Acme"}, &num)
	apiCall(t, srv, "POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz.ID), adminToken, map[string]any{"name": "web"}, &tok)
	var link struct {
		Code string `json:"code"`
	}
	apiCall(t, srv, "POST", fmt.Sprintf("/v23.0/%d/ctwa_links", biz.ID), tok.Secret, map[string]any{"phone_number_id": fmt.Sprint(num.ID),
		"prefilled_message": "Do you have boots in 43?", "source": map[string]any{"source_id": "ad-7", "source_type": "ad",
			"headline": "Autumn boots sale", "image_url": "https://cdn.acme.example/boots.jpg"}}, &link)

	// What a link preview reads.
	resp, err := http.Get(srv.Endpoint("/c/" + link.Code))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`<meta property="og:title" content="Autumn boots sale">`,
		`<meta property="og:image" content="https://cdn.acme.example/boots.jpg">`,
		`<meta property="og:description" content="Do you have boots in 43?">`,
		`<h1>Chat with Acme on Parley</h1>`,
		`href="/#/c/` + link.Code + `"`,
		`href="parley://chat?`,
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the landing page lacks %s:\n%s", want, page)
		}
	}

	b := webtest.Start(t)
	p := b.NewPage(t)
	p.Navigate(srv.Endpoint("/c/" + link.Code))
	p.WaitText("#headline", "Autumn boots sale")
	p.WaitText("#prefill", "Do you have boots in 43?")
	if href := webtest.Eval[string](p, `document.getElementById('open-app').getAttribute('href')`); !strings.HasPrefix(href, "parley://chat?") {
		t.Errorf("app link: %q", href)
	}
	p.Click("#open-web")
	// No session yet: log in first, then the chat opens.
	p.Type("#phone", "+14155550401")
	p.Click("form button[type=submit]")
	p.WaitVisible("#code")
	p.Type("#code", srv.Code("+14155550401"))
	p.Click("form button[type=submit]")
	p.Type("#display-name", "Eve")
	p.Click("form button[type=submit]")
	p.WaitText(".chat-title", "Acme")
	p.WaitJS(`document.querySelector('#composer').value === 'Do you have boots in 43?'`, "prefilled text")
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// TestLoginShowsPhoneReason: a refused number shows the server's reason,
// not the generic "Please check what you entered."
func TestLoginShowsPhoneReason(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/")
	p.Type("#phone", "14155550101")
	p.Click("form button[type=submit]")
	p.WaitText(".login .error", "Phone must start with + and a country code.")
	if strings.Contains(p.Text(".login .error"), "Please check") {
		t.Errorf("generic error: %q", p.Text(".login .error"))
	}
}

// TestPluralsAndTimes: counts go through Intl.PluralRules ("1 follower",
// "2 followers") and times through Intl.DateTimeFormat in the page's
// language (French 24-hour).
func TestPluralsAndTimes(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	owner, _ := goClient(t, srv, "+14155550801", "Olga")
	ch, err := owner.CreateChannel(context.Background(), wire.ChannelInput{Handle: "plurals", Name: "Plurals"})
	if err != nil {
		t.Fatal(err)
	}
	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550802", "Paul")
	p.Navigate(fmt.Sprintf("%s/#/channel/%d", srv.URL, ch.ID))
	p.WaitText(".chat-status", "0 followers")
	// Channels are public broadcasts and the page says so (issue 12).
	p.WaitText("#channel-public", "not end-to-end encrypted")
	p.Click("#follow")
	p.WaitText(".chat-status", "1 follower ·")
	second, _ := goClient(t, srv, "+14155550803", "Quinn")
	if _, err := second.Follow(context.Background(), ch.ID); err != nil {
		t.Fatal(err)
	}
	p.Navigate(srv.URL + "/#/")
	p.Navigate(fmt.Sprintf("%s/#/channel/%d", srv.URL, ch.ID))
	p.WaitText(".chat-status", "2 followers")

	// A message's time: 12-hour in English, 24-hour in French.
	p.Navigate(srv.URL + "/#/")
	p.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "app ready")
	p.Click("#new-chat")
	submitDialog(p, "#ask-phone", "+14155550801")
	send(p, "what time is it?")
	waitStatus(p, "what time is it?", "sent")
	en := webtest.Eval[string](p, `document.querySelector('.msg.mine time').textContent`)
	if !strings.Contains(en, "AM") && !strings.Contains(en, "PM") {
		t.Errorf("English time %q has no AM/PM", en)
	}
	p.Click("#open-settings")
	p.Select("#lang", "fr")
	p.WaitText("#tab-chats", "Discussions")
	p.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	p.WaitVisible(".msg.mine time")
	fr := webtest.Eval[string](p, `document.querySelector('.msg.mine time').textContent`)
	if ok, _ := regexp.MatchString(`^\d{2}:\d{2}$`, fr); !ok {
		t.Errorf("French time %q, want 24-hour HH:MM", fr)
	}
	list := webtest.Eval[string](p, `document.querySelector('.chat-item .chat-time').textContent`)
	if ok, _ := regexp.MatchString(`^\d{2}:\d{2}$`, list); !ok {
		t.Errorf("French chat-list time %q, want 24-hour HH:MM", list)
	}
}

// TestControlIcons: the controls that showed emoji (new chat, new group,
// attach, send, find channels, mute) draw inline SVG icons instead, which
// need no emoji font; they keep their labels.
func TestControlIcons(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	owner, _ := goClient(t, srv, "+14155550901", "Olga")
	ch, err := owner.CreateChannel(context.Background(), wire.ChannelInput{Handle: "icons", Name: "Icons"})
	if err != nil {
		t.Fatal(err)
	}
	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550902", "Ivy")
	p.Click("#new-chat")
	submitDialog(p, "#ask-phone", "+14155550901")
	p.WaitVisible("#composer")
	p.Click("#tab-updates")
	p.WaitVisible("#find-channels")
	p.Navigate(fmt.Sprintf("%s/#/channel/%d", srv.URL, ch.ID))
	p.Click("#follow")
	p.WaitVisible("#mute")
	// Emoji pictographs (and the dingbats ✚ ➤) in a control's own text.
	const check = `(sel => { const e = document.querySelector(sel); if (!e) return 'missing';
		if (!e.querySelector('svg.icon path')) return 'no svg';
		if (/\p{Extended_Pictographic}|[\u2700-\u27BF]/u.test(e.textContent)) return 'emoji: ' + e.textContent;
		if (!(e.getAttribute('aria-label') || e.textContent.trim())) return 'no label';
		return 'ok' })`
	for _, sel := range []string{"#new-chat", "#new-group", "#mute"} {
		if got := webtest.Eval[string](p, check+fmt.Sprintf("(%q)", sel)); got != "ok" {
			t.Errorf("%s: %s", sel, got)
		}
	}
	p.Navigate(srv.URL + "/#/chat/1")
	p.WaitVisible("#composer")
	for _, sel := range []string{"label[for=attach]", "#send"} {
		if got := webtest.Eval[string](p, check+fmt.Sprintf("(%q)", sel)); got != "ok" {
			t.Errorf("%s: %s", sel, got)
		}
	}
	p.Click("#tab-updates")
	p.WaitVisible("#find-channels")
	if got := webtest.Eval[string](p, check+`("#find-channels")`); got != "ok" {
		t.Errorf("#find-channels: %s", got)
	}
}

// TestDaySeparatorAndUnreadMarker: a chat shows a separator with the day
// ("Today") above its first message, and, when opened with unread
// messages, a marker with their count above the first of them.
func TestDaySeparatorAndUnreadMarker(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	bob, _ := goClient(t, srv, "+14155550952", "Bob")
	signUp(t, p, srv, "+14155550951", "Alice")
	p.Click("#new-chat")
	submitDialog(p, "#ask-phone", "+14155550952")
	send(p, "are you coming?")
	waitStatus(p, "are you coming?", "sent")
	p.WaitText(".day-sep", "Today")
	if n := webtest.Eval[int](p, `document.querySelectorAll('#unread-marker').length`); n != 0 {
		t.Errorf("an unread marker in a chat with nothing unread")
	}
	p.Navigate(srv.URL + "/#/")
	p.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "app ready")

	ctx := context.Background()
	chats, err := bob.Chats(ctx)
	if err != nil || len(chats) != 1 {
		t.Fatalf("bob's chats: %v %v", chats, err)
	}
	for _, text := range []string{"yes", "on my way"} {
		if _, err := bob.SendText(ctx, chats[0].ID, text); err != nil {
			t.Fatal(err)
		}
	}
	p.WaitText(".chat-item .unread", "2")
	p.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	p.WaitText("#unread-marker", "2 unread messages")
	// The marker sits right above the first unread message.
	next := webtest.Eval[string](p, `document.getElementById('unread-marker').nextElementSibling.querySelector('.text').textContent`)
	if next != "yes" {
		t.Errorf("the marker is above %q, want above %q", next, "yes")
	}
	if n := webtest.Eval[int](p, `document.querySelectorAll('.day-sep').length`); n != 1 {
		t.Errorf("got %d day separators for one day, want 1", n)
	}
}
