// Package webtest drives real headless Chromium against a real Parley
// server for browser tests. Start launches one browser per test (a fresh
// profile directory); NewPage opens a page in a fresh browser context, so
// two pages are two people with separate storage. Every helper fails the
// test with the page's console on error, and a page that throws an
// uncaught exception or violates the Content-Security-Policy fails its
// test.
//
// Tests that use it skip unless PARLEY_TEST_CHROMIUM names the Chromium
// binary (CI sets it to /usr/bin/chromium).
package webtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds each helper call (one navigation, one wait, one click).
const Timeout = 15 * time.Second

// Browser is a running headless Chromium.
type Browser struct {
	ctx context.Context // the browser's first context
}

// ChromiumPath returns $PARLEY_TEST_CHROMIUM or skips the test.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	p := os.Getenv("PARLEY_TEST_CHROMIUM")
	if p == "" {
		t.Skip("PARLEY_TEST_CHROMIUM is not set")
	}
	return p
}

// Start launches Chromium with a fresh profile; it is closed when the test
// ends. extra adds options (FakeMedia, or a flag of one test's own).
func Start(t testing.TB, extra ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	exe := ChromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium")),
		chromedp.WindowSize(1280, 800),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// Start the browser now, so that a missing or broken binary fails here.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	return &Browser{ctx: bctx}
}

// FakeMedia are the options of a browser whose microphone and camera are
// Chromium's fake devices (a beeping tone), granted without asking: for
// voice notes.
var FakeMedia = []chromedp.ExecAllocatorOption{
	chromedp.Flag("use-fake-device-for-media-stream", true),
	chromedp.Flag("use-fake-ui-for-media-stream", true),
	chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
}

// Page is one tab in its own browser context.
type Page struct {
	t   testing.TB
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	// AllowErrors turns off failing the test on uncaught exceptions and
	// CSP violations (for tests that provoke them).
	AllowErrors bool

	close func() // closes the tab; safe to call twice
}

// NewPage opens a blank page in a new browser context (its own cookies,
// local storage and IndexedDB), closed when the test ends.
func (b *Browser) NewPage(t testing.TB) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	return open(t, ctx, cancel)
}

// NewTab opens a blank tab in the browser's default context, whose
// storage every such tab shares: unlike a NewPage's context, which
// Chromium treats like an incognito window, it is where Chromium would
// offer to install a web app. It is closed by Close or when the test
// ends.
func (b *Browser) NewTab(t testing.TB) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	return open(t, ctx, cancel)
}

// NewTab opens a blank tab in p's browser context: it shares p's storage
// (local storage, IndexedDB, service workers, caches) as a second tab of
// the same person would. It is closed by Close or when the test ends.
// Closing p itself ends the browser context, its tabs and its storage.
func (p *Page) NewTab(t testing.TB) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(p.ctx)
	return open(t, ctx, cancel)
}

func open(t testing.TB, ctx context.Context, cancel context.CancelFunc) *Page {
	t.Helper()
	p := &Page{t: t, ctx: ctx}
	// Subscribe before the first navigation so that nothing is lost.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open page: %v", err)
	}
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	p.close = func() {
		cancel()
		<-done
	}
	t.Cleanup(func() {
		p.close()
		if bad := p.Errors(); len(bad) > 0 && !p.AllowErrors && !t.Failed() {
			t.Errorf("page errors:\n%s", strings.Join(bad, "\n"))
		}
	})
	return p
}

// Close closes the page's tab now, as a person closing it would.
func (p *Page) Close() { p.close() }

// Context is the page's chromedp context, for actions the helpers lack.
func (p *Page) Context() context.Context { return p.ctx }

// Console returns what the page wrote to its console so far.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, len(p.console))
	for i, m := range p.console {
		out[i] = string(m.Type) + ": " + m.String()
	}
	return out
}

// Errors returns the uncaught exceptions and Content-Security-Policy
// violations the page reported.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.console {
		s := m.String()
		if m.IsException() || strings.Contains(s, "Content Security Policy") {
			out = append(out, string(m.Type)+": "+s)
		}
	}
	return out
}

// Do runs steps with the helper timeout, failing the test on error.
func (p *Page) Do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.do("actions", steps...)
}

func (p *Page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

func (p *Page) fail(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	// A screenshot of the failure, for whoever reads the log.
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	if b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := strings.NewReplacer("/", "_", " ", "_").Replace(p.t.Name())
		path := filepath.Join(os.TempDir(), "webtest-"+name+".png")
		if os.WriteFile(path, b, 0o644) == nil {
			msg += "\nscreenshot: " + path
		}
	}
	cancel()
	ctx, cancel = context.WithTimeout(p.ctx, 3*time.Second)
	if u, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		msg += "\nurl: " + u
	}
	cancel()
	if c := p.Console(); len(c) > 0 {
		if len(c) > 40 {
			c = c[len(c)-40:]
		}
		msg += "\nconsole:\n  " + strings.Join(c, "\n  ")
	}
	p.t.Fatal(msg)
}

// Navigate loads url and waits for the load event.
func (p *Page) Navigate(url string) {
	p.t.Helper()
	p.do("navigate "+url, chromedp.Navigate(url))
}

// WaitVisible waits until sel (a CSS selector) is visible.
func (p *Page) WaitVisible(sel string) {
	p.t.Helper()
	p.do("wait visible "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitGone waits until nothing matches sel.
func (p *Page) WaitGone(sel string) {
	p.t.Helper()
	p.do("wait gone "+sel, chromedp.WaitNotPresent(chromedp.CSS(sel)))
}

// Click clicks the first visible element matching sel. A page that
// re-renders may replace the element between finding and clicking it; the
// click is then tried again on the new one.
func (p *Page) Click(sel string) {
	p.t.Helper()
	var err error
	for range 5 {
		ctx, cancel := context.WithTimeout(p.ctx, Timeout)
		err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "Could not find node") {
			break
		}
	}
	if err != nil {
		p.fail("click %s: %v", sel, err)
	}
}

// ClickUntil clicks sel until the JavaScript expression done is truthy:
// for a click the page may lose while it re-renders under it (the press
// lands on one element and the release on its replacement, so no click
// event fires), as a person would click again.
func (p *Page) ClickUntil(sel, done, what string) {
	p.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		p.Click(sel)
		ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](done, chromedp.WithPollingInterval(20*time.Millisecond)))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || p.ctx.Err() != nil {
			p.fail("click %s until %s: %v", sel, what, err)
		}
	}
}

// Type sets the value of the input or textarea sel to text, as a person
// typing would (input events fire).
func (p *Page) Type(sel, text string) {
	p.t.Helper()
	p.do("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel)))
	Eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = ''; return true })()`, sel))
	p.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// Text returns the visible text of the first element matching sel.
func (p *Page) Text(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.fail("text of %s: %v", sel, err)
	}
	return s
}

// WaitText waits until the text of some element matching sel contains
// want, and fails with what it saw otherwise.
func (p *Page) WaitText(sel, want string) {
	p.t.Helper()
	p.WaitJS(fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.textContent.includes(%q))`, sel, want),
		fmt.Sprintf("text %q in %s", want, sel))
}

// WaitJS polls the JavaScript expression until it is truthy.
func (p *Page) WaitJS(expr, what string) {
	p.t.Helper()
	p.WaitJSWithin(Timeout, expr, what)
}

// WaitJSWithin is WaitJS with its own timeout, for a step that does heavy
// work in the page (sealing, key generation) and is slow on a loaded
// machine.
func (p *Page) WaitJSWithin(d time.Duration, expr, what string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		p.fail("wait for %s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its value into T.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("eval %s: %v", expr, err)
	}
	return v
}

// Viewport sets the page size in CSS pixels; mobile also emulates a touch
// phone screen.
func (p *Page) Viewport(width, height int64, mobile bool) {
	p.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.Do(chromedp.EmulateViewport(width, height, opts...))
}

// Screenshot writes a PNG of the viewport to path.
func (p *Page) Screenshot(path string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.fail("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// Select chooses value in the <select> sel, firing change as a person
// would.
func (p *Page) Select(sel, value string) {
	p.t.Helper()
	p.WaitVisible(sel)
	Eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, value))
}
