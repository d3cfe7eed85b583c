package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/wire"
)

// axeSource returns axe-core's browser build from internal/web/a11y
// (npm ci there installs it). Without it the test skips, unless
// PARLEY_TEST_NODE is set (CI sets it after npm ci): then it fails.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("a11y", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if os.Getenv("PARLEY_TEST_NODE") != "" {
			t.Fatalf("PARLEY_TEST_NODE is set but axe-core is missing (%v): run npm ci in internal/web/a11y", err)
		}
		t.Skipf("axe-core missing (npm ci in internal/web/a11y; PARLEY_TEST_NODE=1 makes this a failure): %v", err)
	}
	return string(b)
}

// axeViolation is one rule that failed, with the elements that fail it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// audit runs axe-core on the page as it is (WCAG 2.1 A and AA rules and
// axe's best practices) and reports every serious or critical violation
// as an error of screen.
func audit(t *testing.T, p *webtest.Page, axe, screen string) {
	t.Helper()
	// Injected through DevTools, so the page's CSP (script-src 'self')
	// does not apply to it; the app itself is unchanged.
	if !webtest.Eval[bool](p, `typeof window.axe === 'object'`) {
		if _, err := chromedp.Run(p.Context(), chromedp.Evaluate[chromedp.Void](axe+"\n;true")); err != nil {
			t.Fatalf("%s: inject axe-core: %v", screen, err)
		}
	}
	vs := webtest.Eval[[]axeViolation](p, `axe.run(document, {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
		resultTypes: ['violations'],
	}).then(r => r.violations
		.filter(v => v.impact === 'serious' || v.impact === 'critical')
		.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + (n.failureSummary ? ' — ' + n.failureSummary.replace(/\s+/g, ' ') : ''))})))`)
	for _, v := range vs {
		t.Errorf("%s: %s (%s): %s\n  %s", screen, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// colours switches the page between light and dark (prefers-color-scheme).
func colours(t *testing.T, p *webtest.Page, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(p.Context(), emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		t.Fatalf("emulate %s colours: %v", scheme, err)
	}
}

// TestAccessibility runs axe-core on every screen of the three web
// clients: the people's app (log in, code, profile, chat list, a chat and
// its menu, a new group, a group and its info, the channel directory, a
// channel, Updates, settings), the business console (sign-in and each
// section) and the operator console (sign-in and each section), and again
// on a few of them in dark colours and on a phone's screen. No serious or
// critical violation may remain.
func TestAccessibility(t *testing.T) {
	webtest.ChromiumPath(t)
	axe := axeSource(t)
	t.Parallel()
	e := newConsoleEnv(t)
	srv := e.srv
	b := webtest.Start(t)

	// The people's app.
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/")
	p.WaitVisible("#phone")
	audit(t, p, axe, "app: log in")
	p.Type("#phone", "+14155550801")
	p.Click("form button[type=submit]")
	p.WaitVisible("#code")
	audit(t, p, axe, "app: code")
	p.Type("#code", srv.Code("+14155550801"))
	p.Click("form button[type=submit]")
	p.WaitVisible("#display-name")
	audit(t, p, axe, "app: profile")
	p.Type("#display-name", "Rosa")
	p.Click("form button[type=submit]")
	p.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "app ready")
	waitE2EE(t, p) // Sam encrypts to the page's device once it has keys
	me := int64(webtest.Eval[int](p, `JSON.parse(localStorage.getItem('parley.session')).account_id`))
	ctx := context.Background()
	sam, _ := goClient(t, srv, "+14155550802", "Sam")
	dm, err := sam.OpenDirect(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sam.SendText(ctx, dm.ID, "Are you coming tonight?"); err != nil {
		t.Fatal(err)
	}
	ch, err := sam.CreateChannel(ctx, wire.ChannelInput{Handle: "gardening", Name: "Gardening", Description: "Tips every week",
		Category: "lifestyle", Country: "FR", Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	p.WaitText(".chat-item .chat-preview", "Are you coming tonight?")
	audit(t, p, axe, "app: chat list")
	p.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
	p.WaitText(".msg.theirs .text", "Are you coming tonight?")
	send(p, "Yes!")
	waitStatus(p, "Yes!", "sent")
	audit(t, p, axe, "app: chat")
	p.Click("#chat-menu")
	p.WaitVisible("dialog[open]")
	audit(t, p, axe, "app: chat menu")
	p.Do(chromedp.KeyEvent("\x1b"))
	p.WaitGone("dialog[open]")

	p.Navigate(srv.URL + "/#/")
	p.Click("#new-group")
	p.WaitVisible("dialog[open] #group-subject")
	audit(t, p, axe, "app: new group")
	p.Type("dialog[open] #group-subject", "Book club")
	p.Type("dialog[open] #group-phones", "+14155550802")
	p.Click("dialog[open] button[type=submit]")
	p.WaitText(".chat-title", "Book club")
	audit(t, p, axe, "app: group")
	p.Click("#chat-info")
	p.WaitText("#group-subject-title", "Book club")
	audit(t, p, axe, "app: group info")

	p.Navigate(srv.URL + "/#/directory")
	p.WaitText("body", "Gardening")
	audit(t, p, axe, "app: channel directory")
	p.Navigate(fmt.Sprintf("%s/#/channel/%d", srv.URL, ch.ID))
	p.WaitText(".chat-head", "@gardening")
	audit(t, p, axe, "app: channel")
	p.Navigate(srv.URL + "/#/updates")
	p.WaitVisible("#tab-updates")
	p.WaitVisible("#channel-list")
	audit(t, p, axe, "app: updates")
	p.Navigate(srv.URL + "/#/settings")
	p.WaitVisible("#lang")
	audit(t, p, axe, "app: settings")
	colours(t, p, "dark")
	audit(t, p, axe, "app: settings, dark")
	p.Navigate(fmt.Sprintf("%s/#/chat/%d", srv.URL, dm.ID))
	p.WaitText(".msg.mine .text", "Yes!")
	audit(t, p, axe, "app: chat, dark")
	// A phone: one pane at a time.
	colours(t, p, "light")
	p.Viewport(390, 844, true)
	p.Navigate(srv.URL + "/#/")
	p.WaitText(".chat-item .chat-preview", "Yes!")
	audit(t, p, axe, "app: chat list, phone")
	p.Navigate(fmt.Sprintf("%s/#/chat/%d", srv.URL, dm.ID))
	p.WaitText(".msg.mine .text", "Yes!")
	audit(t, p, axe, "app: chat, phone")

	// The business console: sign-in, then every section.
	bz := b.NewPage(t)
	bz.Navigate(srv.URL + "/business/")
	bz.WaitVisible("#token")
	audit(t, bz, axe, "business: sign in")
	signIn(bz, srv.URL+"/business/", e.token)
	for _, s := range []string{"overview", "templates", "webhooks", "links", "channels", "spend", "billing", "ads"} {
		goTo(bz, s)
		audit(t, bz, axe, "business: "+s)
	}
	colours(t, bz, "dark")
	goTo(bz, "overview")
	audit(t, bz, axe, "business: overview, dark")

	// The operator console.
	op := b.NewPage(t)
	op.Navigate(srv.Endpoint("/admin/"))
	op.WaitVisible("#token")
	audit(t, op, axe, "admin: sign in")
	signIn(op, srv.Endpoint("/admin/"), consoleAdminToken)
	for _, s := range []string{"businesses", "review", "moderation", "money", "revenue", "adreview", "license"} {
		goTo(op, s)
		audit(t, op, axe, "admin: "+s)
	}
	colours(t, op, "dark")
	goTo(op, "businesses")
	audit(t, op, axe, "admin: businesses, dark")
}

// press sends one key to the page, as a keyboard would.
func press(p *webtest.Page, key string) {
	p.Do(chromedp.KeyEvent(key))
}

// focused describes the element that has the focus.
func focused(p *webtest.Page) string {
	return webtest.Eval[string](p, `(e => e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') : '')(document.activeElement)`)
}

// tabTo presses Tab until the element matching sel has the focus, and
// fails after max presses.
func tabTo(t *testing.T, p *webtest.Page, sel string, max int) {
	t.Helper()
	var seen []string
	for range max {
		press(p, kb.Tab)
		if webtest.Eval[bool](p, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
			return
		}
		seen = append(seen, focused(p))
	}
	t.Fatalf("%s not reached with %d Tabs; the focus went through %s", sel, max, strings.Join(seen, " → "))
}

// tabThrough presses Tab round the whole page and fails for every visible
// control the focus never reached.
func tabThrough(t *testing.T, p *webtest.Page, screen string) {
	t.Helper()
	const controls = `[...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
		.filter(e => !e.disabled && e.getAttribute('tabindex') !== '-1' && e.getClientRects().length > 0 &&
			!e.closest('[inert], [aria-hidden=true], dialog:not([open])'))`
	n := webtest.Eval[int](p, `(() => {
		window.webtestFocused = new Set();
		document.addEventListener('focusin', (ev) => window.webtestFocused.add(ev.target), true);
		return `+controls+`.length;
	})()`)
	if n == 0 {
		t.Fatalf("%s: no controls", screen)
	}
	for i := 0; i < n+10; i++ {
		press(p, kb.Tab)
		if webtest.Eval[bool](p, controls+`.every(e => window.webtestFocused.has(e))`) {
			return
		}
	}
	missed := webtest.Eval[[]string](p, controls+`.filter(e => !window.webtestFocused.has(e)).map(e => e.outerHTML.slice(0, 120))`)
	t.Errorf("%s: %d of %d controls never took the focus from the keyboard:\n  %s", screen, len(missed), n, strings.Join(missed, "\n  "))
}

// TestKeyboard: a person who uses only the keyboard logs in, opens the
// chat someone started, answers, reacts to a message from its action
// sheet and closes it with Escape; on the chat screen and in the business
// console every visible control takes the focus with Tab.
func TestKeyboard(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	e := newConsoleEnv(t)
	srv := e.srv
	b := webtest.Start(t)
	p := b.NewPage(t)
	p.Navigate(srv.URL + "/")
	p.WaitVisible("#phone")

	// Log in: Tab to each field, type, Enter.
	tabTo(t, p, "#phone", 10)
	p.Do(chromedp.KeyEvent("+14155550901"))
	press(p, kb.Enter)
	p.WaitVisible("#code")
	if f := focused(p); !strings.HasPrefix(f, "input#code") {
		tabTo(t, p, "#code", 10)
	}
	p.Do(chromedp.KeyEvent(srv.Code("+14155550901")))
	press(p, kb.Enter)
	p.WaitVisible("#display-name")
	if f := focused(p); !strings.HasPrefix(f, "input#display-name") {
		tabTo(t, p, "#display-name", 10)
	}
	p.Do(chromedp.KeyEvent("Tess"))
	press(p, kb.Enter)
	p.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "app ready")
	waitE2EE(t, p)

	// Someone writes; Tess opens the chat from the list with Enter.
	me := int64(webtest.Eval[int](p, `JSON.parse(localStorage.getItem('parley.session')).account_id`))
	uma, _ := goClient(t, srv, "+14155550902", "Uma")
	ctx := context.Background()
	dm, err := uma.OpenDirect(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uma.SendText(ctx, dm.ID, "Lunch tomorrow?"); err != nil {
		t.Fatal(err)
	}
	p.WaitText(".chat-item .chat-preview", "Lunch tomorrow?")
	tabTo(t, p, "a.chat-item", 20)
	press(p, kb.Enter)
	p.WaitText(".msg.theirs .text", "Lunch tomorrow?")
	tabTo(t, p, "#composer", 30)
	p.Do(chromedp.KeyEvent("Sure, noon"))
	press(p, kb.Enter)
	waitStatus(p, "Sure, noon", "sent")

	// A reaction from the message's action sheet, then Escape.
	p.Do(chromedp.Focus(chromedp.CSS("#composer")))
	for range 40 {
		press(p, kb.Shift+kb.Tab)
		if webtest.Eval[bool](p, `document.activeElement.matches('.msg.theirs .msg-more')`) {
			break
		}
	}
	if !webtest.Eval[bool](p, `document.activeElement.matches('.msg.theirs .msg-more')`) {
		t.Fatalf("Shift+Tab never reached the message's actions button; focus on %s", focused(p))
	}
	press(p, kb.Enter)
	p.WaitVisible("dialog[open]")
	tabTo(t, p, "dialog[open] .react-pick", 10)
	press(p, kb.Enter)
	p.WaitJS(`document.querySelectorAll('.msg.theirs .reaction').length === 1`, "the reaction")
	p.WaitGone("dialog[open]")
	p.Click("#chat-menu")
	p.WaitVisible("dialog[open]")
	press(p, kb.Escape)
	p.WaitGone("dialog[open]")

	tabThrough(t, p, "app: chat")

	bz := b.NewPage(t)
	signIn(bz, srv.URL+"/business/", e.token)
	goTo(bz, "templates")
	tabThrough(t, bz, "business: templates")
}
