package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// TestOfflineApp follows a person whose network goes away. The app
// installs (Chromium parses its manifest, its service worker controls the
// page and Chromium reports no installability error); with the server
// stopped a reload still opens it, from the service worker's cache, with
// the chat list and a chat's history from IndexedDB; a message written
// then waits in the outbox (IndexedDB), the tab is closed, the server
// comes back, and a new tab sends it: the other person gets it exactly
// once.
func TestOfflineApp(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := startServer(t)
	b := webtest.Start(t)
	// The browser's default context, where Chromium offers installs; the
	// first tab stays open, the app runs in tabs that can be closed.
	holder := b.NewTab(t)
	app := holder.NewTab(t)
	signUp(t, app, srv, "+14155550701", "Noor")
	me := int64(webtest.Eval[int](app, `JSON.parse(localStorage.getItem('parley.session')).account_id`))

	ctx := context.Background()
	omar, _ := goClient(t, srv, "+14155550702", "Omar")
	pia, _ := goClient(t, srv, "+14155550703", "Pia")
	withOmar, err := omar.OpenDirect(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	withPia, err := pia.OpenDirect(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := omar.SendText(ctx, withOmar.ID, "Dinner at eight?"); err != nil {
		t.Fatal(err)
	}
	if _, err := pia.SendText(ctx, withPia.ID, "Photos from Sunday"); err != nil {
		t.Fatal(err)
	}
	app.WaitJS(`document.querySelectorAll('.chat-list .chat-item').length === 2`, "two chats")
	app.WaitText(".chat-item .chat-preview", "Dinner at eight?")

	// Installable: the manifest parses, the worker controls the page.
	app.WaitJS(`!!navigator.serviceWorker.controller`, "the service worker to control the page")
	app.WaitJS(`caches.keys().then(ks => ks.some(k => k.startsWith('parley-shell-')))`, "the app shell cache")
	man, err := chromedp.Call(app.Context(), page.GetAppManifest, page.GetAppManifestParams{})
	if err != nil {
		t.Fatalf("get the app manifest: %v", err)
	}
	if len(man.Errors) > 0 {
		for _, e := range man.Errors {
			t.Errorf("manifest error: %s (line %d)", e.Message, e.Line)
		}
	}
	if man.Manifest == nil || man.Manifest.Name != "Parley" || !strings.EqualFold(strings.TrimPrefix(man.Manifest.Display, "k"), "standalone") ||
		!strings.HasSuffix(man.Manifest.StartURL, "/") || len(man.Manifest.Icons) < 3 {
		t.Errorf("manifest: got %+v, want Parley, standalone, start at /, with icons", man.Manifest)
	}
	inst, err := chromedp.Call(app.Context(), page.GetInstallabilityErrors, cdp.Empty{})
	if err != nil {
		t.Fatalf("installability: %v", err)
	}
	for _, e := range inst.InstallabilityErrors {
		var args []string
		for _, a := range e.ErrorArguments {
			args = append(args, a.Name+"="+a.Value)
		}
		t.Errorf("installability error: %s %v", e.ErrorID, args)
	}
	// The icons are real PNGs of the sizes the manifest says.
	for _, size := range []int{192, 512} {
		got := webtest.Eval[string](app, fmt.Sprintf(`(async () => {
			const img = new Image();
			img.src = document.querySelector('link[rel=manifest]').href.replace('manifest.json', 'icon-%d.png');
			await img.decode();
			return img.naturalWidth + 'x' + img.naturalHeight;
		})()`, size))
		if want := fmt.Sprintf("%dx%d", size, size); got != want {
			t.Errorf("icon-%d.png: got %s, want %s", size, got, want)
		}
	}

	// The server goes away; a reload still opens the app, with the chat
	// list and the history.
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	app.Navigate(srv.URL + "/")
	app.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "the app to open offline")
	if src := webtest.Eval[string](app, `performance.getEntriesByType('navigation')[0].workerStart > 0 ? 'worker' : 'network'`); src != "worker" {
		t.Errorf("the offline page came from the %s, want the service worker", src)
	}
	app.WaitJS(`document.querySelectorAll('.chat-list .chat-item').length === 2`, "two chats offline")
	app.WaitText(".chat-item .chat-name", "Omar")
	app.WaitText(".chat-item .chat-name", "Pia")
	app.Navigate(fmt.Sprintf("%s/#/chat/%d", srv.URL, withOmar.ID))
	app.WaitText(".msg.theirs .text", "Dinner at eight?")
	app.WaitText(".chat-title", "Omar")

	// Written offline: pending, and kept in the outbox.
	send(app, "Yes, see you there")
	waitStatus(app, "Yes, see you there", "pending")
	outbox := `new Promise((ok, fail) => {
		const r = indexedDB.open('parley-' + JSON.parse(localStorage.getItem('parley.session')).account_id);
		r.onerror = () => fail(r.error);
		r.onsuccess = () => { const q = r.result.transaction('outbox').objectStore('outbox').count(); q.onsuccess = () => { ok(q.result); r.result.close(); }; };
	})`
	if n := webtest.Eval[int](app, outbox); n != 1 {
		t.Fatalf("outbox holds %d items offline, want 1", n)
	}

	// The tab is closed; the server comes back; a new tab sends it.
	app.Close()
	back, err := server.Start(ctx, srv.Opts)
	if err != nil {
		t.Fatalf("start the server again: %v", err)
	}
	t.Cleanup(func() { _ = back.Shutdown(context.Background()) })
	again := holder.NewTab(t)
	again.Navigate(srv.URL + fmt.Sprintf("/#/chat/%d", withOmar.ID))
	again.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "the app to open")
	waitStatus(again, "Yes, see you there", "sent")
	again.WaitJS(outbox+`.then(n => n === 0)`, "an empty outbox")

	// Omar's phone gets it once. Each entry is decrypted once: a second
	// decryption of the same message is a replay, which e2ee refuses.
	texts := map[int64]string{}
	count := func() int {
		es, err := omar.Pending(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range es {
			if e.ChatID != withOmar.ID || e.Kind != "message" {
				continue
			}
			if _, seen := texts[e.ID]; !seen {
				b, err := omar.OpenBody(ctx, e)
				if err != nil {
					t.Fatalf("Omar reads entry %d: %v", e.ID, err)
				}
				texts[e.ID] = b.Text
			}
			if texts[e.ID] == "Yes, see you there" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for count() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Give a second delivery, were there one, time to arrive.
	time.Sleep(500 * time.Millisecond)
	if n := count(); n != 1 {
		t.Errorf("Omar got the offline message %d times, want 1", n)
	}
}
