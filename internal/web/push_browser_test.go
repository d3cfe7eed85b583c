package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/wire"
)

// TestPushNotification: Bob turns notifications on in the settings (the
// browser grants the permission), the app registers its service worker
// and tries to subscribe; a message from Alice arrives while Bob's tab is
// in the background, and a push for that chat (delivered through DevTools:
// Chromium refuses pushManager.subscribe in a non-default browser context,
// which is what every test page is, crbug.com/41124656) makes
// the service worker show one "New message" notification named after the
// chat from the app's IndexedDB, never from the push, collapsed per chat.
func TestPushNotification(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t, servertest.WithOptions(func(o *server.Options) { o.Push.Insecure = true }))
	b := webtest.Start(t)
	bob := b.NewPage(t)
	signUp(t, bob, srv, "+14155550171", "Bob")
	ctx := bob.Context()

	// The browser grants notifications to the app's origin, as a person
	// clicking "Allow" would.
	c := chromedp.FromContext(ctx)
	for _, name := range []string{"notifications", "push"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, UserVisibleOnly: true}, Setting: browser.PermissionSettingGranted,
			Origin: srv.URL, BrowserContextID: c.BrowserContextID}); err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	// The service worker's registration, as DevTools sees it.
	var mu sync.Mutex
	var reg serviceworker.RegistrationID
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			mu.Lock()
			for _, r := range e.Registrations {
				if strings.HasPrefix(r.ScopeURL, srv.URL) && !r.IsDeleted {
					reg = r.RegistrationID
				}
			}
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	bob.Navigate(srv.URL + "/#/settings")
	bob.WaitVisible("#push-toggle")
	bob.Click("#push-toggle")
	bob.WaitVisible(".toast")
	subscribed := webtest.Eval[bool](bob, `document.getElementById('push-toggle').checked`)
	if subscribed {
		t.Log("Chromium subscribed to its push service")
	} else {
		t.Log("Chromium refused to subscribe (no Push API in an incognito-like browser context): the push is delivered through DevTools")
	}
	bob.WaitJS(`navigator.serviceWorker.getRegistration('/').then(r => !!(r && r.active))`, "the service worker to be active")
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		id := reg
		mu.Unlock()
		if id != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("DevTools reported no service worker registration")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Alice writes; Bob's app learns the chat (its name is Alice's).
	bg := context.Background()
	alice := client.New(srv.URL)
	if err := alice.RequestCode(bg, "+14155550172"); err != nil {
		t.Fatal(err)
	}
	as, err := alice.Verify(bg, "+14155550172", srv.Code("+14155550172"), "phone", nil)
	if err != nil {
		t.Fatal(err)
	}
	alice.SetToken(as.Token)
	if _, err := alice.UpdateProfile(bg, client.ProfileUpdate{DisplayName: ptr("Alice")}); err != nil {
		t.Fatal(err)
	}
	ch, err := alice.OpenDirect(bg, webtest.Eval[int64](bob, `JSON.parse(localStorage.getItem('parley.session')).account_id`))
	if err != nil {
		t.Fatal(err)
	}
	devs, err := alice.RecipientDevices(bg, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	var envs []wire.Envelope
	for _, d := range devs {
		envs = append(envs, wire.Envelope{DeviceID: d.DeviceID, Body: []byte(`{"text":"hello"}`)})
	}
	if _, err := alice.Send(bg, ch.ID, client.SendRequest{MessageID: "p1", Envelopes: envs}); err != nil {
		t.Fatal(err)
	}
	bob.Navigate(srv.URL + "/#/")
	bob.WaitText(".chat-item .chat-name", "Alice")

	// The push, twice for the same chat: one notification.
	payload := fmt.Sprintf(`{"chat_id":%d,"kind":"message"}`, ch.ID)
	for range 2 {
		if _, err := chromedp.Call(ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
			Origin: srv.URL, RegistrationID: reg, Data: payload}); err != nil {
			t.Fatalf("deliver push: %v", err)
		}
	}
	notes := `navigator.serviceWorker.getRegistration('/').then(r => r.getNotifications()).then(ns => ns.map(n => [n.title, n.body, n.tag]))`
	bob.WaitJS(notes+`.then(ns => ns.length > 0)`, "a notification")
	time.Sleep(300 * time.Millisecond)
	got := webtest.Eval[[][]string](bob, notes)
	want := fmt.Sprint([][]string{{"New message", "Alice", fmt.Sprintf("chat-%d", ch.ID)}})
	if fmt.Sprint(got) != want {
		t.Errorf("got notifications %v, want %v", got, want)
	}

	// Bob mutes the chat for a week from its menu: the server has the mute.
	bob.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	bob.Click("#chat-menu")
	bob.Click("dialog[open] [data-action=mute]")
	bob.Select("#mute-select", "week")
	bob.Click("dialog[open] button[type=submit]")
	bob.WaitGone("dialog[open]")
	token := webtest.Eval[string](bob, `JSON.parse(localStorage.getItem('parley.session')).token`)
	deadline = time.Now().Add(5 * time.Second)
	for {
		req, _ := http.NewRequest("DELETE", srv.Endpoint(fmt.Sprintf("/v1/chats/%d/mute", ch.ID)), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNoContent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unmute after muting from the menu: got %d, want 204", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }
