package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/wire"
)

// TestAppScreenshots saves the people's app's main screens (the chat list,
// a chat, a channel under Updates, a business chat with its list open,
// settings) at desktop and phone sizes into $PARLEY_SCREENSHOTS as
// app-<screen>-<size>.png (docs/screenshots when refreshing the docs):
//
//	PARLEY_SCREENSHOTS=$PWD/docs/screenshots PARLEY_TEST_CHROMIUM=/usr/bin/chromium \
//	  go test -run TestAppScreenshots ./internal/web
func TestAppScreenshots(t *testing.T) {
	dir := os.Getenv("PARLEY_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir() // in CI the screens are still driven and shot, just not kept
	}
	webtest.ChromiumPath(t)
	e := newConsoleEnv(t)
	srv := e.srv
	ctx := context.Background()
	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550701", "Gaby")
	me := int64(webtest.Eval[int](p, `JSON.parse(localStorage.getItem('parley.session')).account_id`))

	// People write to Gaby; one chat is a conversation.
	var hugoChat int64
	for i, w := range []struct{ name, text string }{
		{"Lena", "The photos from the trip are up 📷"},
		{"Kim", "Can you send me the address?"},
		{"Jules", "Happy birthday! 🎉"},
		{"Ines", "See you at 7"},
		{"Hugo", "Are we still on for Saturday?"},
	} {
		c, _ := goClient(t, srv, fmt.Sprintf("+1415555071%d", i), w.name)
		chat, err := c.OpenDirect(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SendText(ctx, chat.ID, w.text); err != nil {
			t.Fatal(err)
		}
		if w.name == "Hugo" {
			hugoChat = chat.ID
			p.WaitText(".chat-item .chat-preview", w.text)
			p.Navigate(fmt.Sprintf("%s/#/chat/%d", srv.URL, chat.ID))
			p.WaitText(".msg.theirs .text", w.text)
			send(p, "Yes! 10 am at the climbing gym?")
			waitStatus(p, "Yes! 10 am at the climbing gym?", "sent")
			if _, err := c.SendText(ctx, chat.ID, "Perfect. I'll bring the ropes"); err != nil {
				t.Fatal(err)
			}
			p.WaitText(".msg.theirs .text", "I'll bring the ropes")
			send(p, "Great, see you there 👋")
			waitStatus(p, "Great, see you there 👋", "sent")
			// Hugo's phone takes its inbox and reads Gaby's messages.
			es, err := c.Pending(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			var read []string
			for _, en := range es {
				ids = append(ids, en.ID)
				if en.ChatID == chat.ID && en.MessageID != "" {
					read = append(read, en.MessageID)
				}
			}
			if err := c.Ack(ctx, ids...); err != nil {
				t.Fatal(err)
			}
			if err := c.MarkRead(ctx, chat.ID, read...); err != nil {
				t.Fatal(err)
			}
			waitStatus(p, "Great, see you there 👋", "read")
		}
	}

	// A channel Gaby follows, with posts and a poll.
	owner, _ := goClient(t, srv, "+14155550720", "Tidings")
	ch, err := owner.CreateChannel(ctx, wire.ChannelInput{Handle: "tidings", Name: "Tidings", Description: "Daily news, briefly",
		Category: "news", Country: "US", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []wire.PostInput{
		{Kind: channel.PostText, Text: "Good morning! Here is what happened overnight."},
		{Kind: channel.PostText, Text: "The city council approved the new bike lanes."},
		{Kind: channel.PostPoll, Text: "Will you ride to work?", Poll: &wire.Poll{Options: []string{"Yes", "Sometimes", "No"}}},
	} {
		if _, err := owner.Post(ctx, ch.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	p.Click("#tab-updates")
	p.Click("#find-channels")
	p.Type("#directory-search", "tidings")
	p.Click(fmt.Sprintf(`[data-follow="%d"]`, ch.ID))
	p.WaitText(fmt.Sprintf(`[data-follow="%d"]`, ch.ID), "Following")

	// A business Gaby writes to through a click-to-chat link; it answers
	// with a list.
	var link struct {
		Code string `json:"code"`
	}
	e.call("PATCH", fmt.Sprintf("/admin/v1/businesses/%d", e.bizID), consoleAdminToken, map[string]any{"verified": true}, nil)
	e.call("POST", fmt.Sprintf("/v23.0/%d/ctwa_links", e.bizID), e.token, map[string]any{"phone_number_id": fmt.Sprint(e.numID),
		"prefilled_message": "Do you have trail shoes in size 43?"}, &link)
	p.Navigate(srv.URL + "/#/c/" + link.Code)
	p.WaitText(".chat-title", "Acme")
	p.WaitJS(`document.querySelector('#composer').value !== ''`, "prefilled text")
	p.Click("#send")
	bizChat := webtest.Eval[int](p, `Number(document.querySelector('.chat').dataset.chat)`)
	list := map[string]any{"messaging_product": "whatsapp", "to": "+14155550701",
		"type": "interactive", "interactive": map[string]any{"type": "list", "body": map[string]any{"text": "We do! Which store should hold a pair for you?"},
			"action": map[string]any{"button": "Stores", "sections": []any{map[string]any{"title": "Berlin", "rows": []any{
				map[string]any{"id": "ber-1", "title": "Mitte", "description": "Open till 8 pm"},
				map[string]any{"id": "ber-2", "title": "Kreuzberg", "description": "Open till 6 pm"}}}}}}}
	// The person's first message opens the service window; until it has
	// reached the business, a free-form send would be accepted and then
	// fail (131047), as on Meta: the dry run says when it would not.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var quote struct {
			Failure any `json:"failure"`
		}
		e.call("POST", fmt.Sprintf("/v23.0/%d/message_quotes", e.numID), e.token, list, &quote)
		if quote.Failure == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service window did not open: %v", quote.Failure)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.call("POST", fmt.Sprintf("/v23.0/%d/messages", e.numID), e.token, list, nil)
	p.WaitText(".interactive .text", "Which store")

	shots := []struct {
		name, hash string
		wait       string // a selector that shows the screen is there
		after      func()
	}{
		{"chats", "#/", ".chat-list .chat-item", nil},
		{"chat", fmt.Sprintf("#/chat/%d", hugoChat), ".msg.theirs .text", nil},
		{"updates", fmt.Sprintf("#/channel/%d", ch.ID), ".post .text", nil},
		{"business", fmt.Sprintf("#/chat/%d", bizChat), ".interactive .list-open", func() {
			webtest.Eval[bool](p, `(b => { if (b.getAttribute('aria-expanded') !== 'true') b.click(); return true })(document.querySelector('.interactive .list-open'))`)
			p.WaitVisible(`.interactive [data-choice="ber-1"]`)
		}},
		{"settings", "#/settings", "#lang", nil},
	}
	for _, size := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		p.Viewport(size.w, size.h, size.mobile)
		for _, s := range shots {
			webtest.Eval[bool](p, fmt.Sprintf(`(location.hash = %q, true)`, s.hash))
			p.WaitVisible(s.wait)
			if s.after != nil {
				s.after()
			}
			p.WaitJS(`document.fonts.status === 'loaded' && !document.querySelector('.toast')`, "fonts and no toast")
			time.Sleep(200 * time.Millisecond)
			p.Screenshot(filepath.Join(dir, fmt.Sprintf("app-%s-%s.png", s.name, size.name)))
		}
	}
	t.Logf("screenshots in %s: app-*-desktop.png, app-*-phone.png", dir)
}
