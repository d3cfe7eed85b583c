package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/wire"
)

const consoleAdminToken = "console-admin-token"

// consoleEnv is a server with the admin API on and manual template
// review, one business with a number and a system token.
type consoleEnv struct {
	t     *testing.T
	srv   *servertest.Server
	bizID int64
	numID int64
	token string // the business's system token
}

func newConsoleEnv(t *testing.T, opts ...servertest.Option) *consoleEnv {
	t.Helper()
	srv := servertest.Start(t, append([]servertest.Option{servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = consoleAdminToken
		o.Business.TemplatePolicy = "manual"
	})}, opts...)...)
	e := &consoleEnv{t: t, srv: srv}
	var biz struct{ ID int64 }
	e.call("POST", "/admin/v1/businesses", consoleAdminToken, map[string]any{"name": "Acme Shoes", "category": "RETAIL"}, &biz)
	e.bizID = biz.ID
	var num struct{ ID int64 }
	e.call("POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", biz.ID), consoleAdminToken, map[string]any{"phone": "+14155550100", "display_name": "Acme"}, &num)
	e.numID = num.ID
	var tok struct {
		Token string `json:"token"`
	}
	e.call("POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz.ID), consoleAdminToken, map[string]any{"name": "console"}, &tok)
	e.token = tok.Token
	return e
}

// call sends a JSON request with a bearer token and decodes a 2xx answer.
func (e *consoleEnv) call(method, path, token string, body, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.Endpoint(path), rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// person signs a person up and returns their client.
func (e *consoleEnv) person(phone string) *client.Client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := client.New(e.srv.URL)
	if err := c.RequestCode(ctx, phone); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.Verify(ctx, phone, e.srv.Code(phone), "phone", nil); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// signIn opens a console and signs in with token.
func signIn(p *webtest.Page, url, token string) {
	p.Navigate(url)
	p.WaitVisible("#token")
	typeInto(p, "#token", token)
	p.Click("form.signin button[type=submit]")
	p.WaitJS(`document.getElementById('root').dataset.screen === 'console'`, "the console after sign-in")
}

// typeInto replaces the value of the input sel with text, typed key by
// key so that input events fire. (chromedp's SetValue refuses an empty
// value, so the field is cleared in the page first.)
func typeInto(p *webtest.Page, sel, text string) {
	p.WaitVisible(sel)
	webtest.Eval[bool](p, fmt.Sprintf(`(e => { e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true})); return true })(document.querySelector(%q))`, sel))
	p.Do(chromedp.Focus(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// goTo opens a section and waits until it has rendered.
func goTo(p *webtest.Page, section string) {
	webtest.Eval[bool](p, fmt.Sprintf(`(location.hash = %q, true)`, "#"+section))
	p.WaitJS(fmt.Sprintf(`(v => v && v.dataset.section === %q && v.dataset.ready === 'true')(document.getElementById('view'))`, section), "section "+section)
}

func invalid(p *webtest.Page, sel string) bool {
	return webtest.Eval[bool](p, fmt.Sprintf(`document.querySelector(%q).getAttribute('aria-invalid') === 'true'`, sel))
}

// TestConsoleTemplateReview: a business creates a template in its
// console, seeing the live validation errors and fixing them; the operator
// approves it in the review queue; the business sees it APPROVED.
func TestConsoleTemplateReview(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	e := newConsoleEnv(t)
	b := webtest.Start(t)
	biz := b.NewPage(t)
	signIn(biz, e.srv.URL+"/business/", e.token)
	biz.WaitText(".console-top", "Acme Shoes")
	goTo(biz, "templates")

	// A name with capitals and spaces is refused as it is typed.
	typeInto(biz, "#tpl-name", "Order Update")
	biz.WaitText("#tpl-name-err", "lower-case")
	if !invalid(biz, "#tpl-name") {
		t.Error("the bad name is not marked aria-invalid")
	}
	typeInto(biz, "#tpl-name", "order_update")
	biz.WaitJS(`document.getElementById('tpl-name-err').textContent === ''`, "the name error to clear")

	// A named parameter in a positional template.
	typeInto(biz, "#tpl-body", "Hi {{first_name}}, your order shipped")
	biz.WaitText("#tpl-body-err", "does not match")
	// Promotional wording in a UTILITY template: the category check.
	typeInto(biz, "#tpl-body", "Your order {{1}} shipped. Big sale: 20% off!")
	biz.WaitText("#tpl-review", "INCORRECT_CATEGORY")
	if !webtest.Eval[bool](biz, `document.getElementById('tpl-submit').disabled`) {
		t.Error("submit is enabled while the category check fails")
	}
	// Fixed: the notice goes and the template is submitted.
	typeInto(biz, "#tpl-body", "Your order {{1}} has shipped.")
	biz.WaitJS(`document.getElementById('tpl-review').textContent === '' && !document.getElementById('tpl-submit').disabled`, "a valid form")
	biz.WaitText("#tpl-preview", "Your order {{1}} has shipped.")
	biz.Click("#tpl-submit")
	biz.WaitText("tr.tpl-order_update", "Pending")

	// The operator approves it in the review queue.
	op := b.NewPage(t)
	signIn(op, e.srv.AdminURL+"/admin/", consoleAdminToken)
	goTo(op, "review")
	op.WaitVisible(`article[data-template="order_update"]`)
	op.Click(`article[data-template="order_update"] button.approve`)
	op.WaitVisible("#queue-empty")

	// The business sees it approved.
	goTo(biz, "overview")
	goTo(biz, "templates")
	biz.WaitText("tr.tpl-order_update", "Approved")

	// In French, the console and the live validation speak French.
	webtest.Eval[bool](biz, `(s => { s.value = 'fr'; s.dispatchEvent(new Event('change')); return true })(document.querySelector('.console-top select'))`)
	biz.WaitText("#console-nav", "Modèles")
	goTo(biz, "templates")
	biz.WaitText("tr.tpl-order_update", "Approuvé")
	typeInto(biz, "#tpl-name", "Bad Name")
	biz.WaitText("#tpl-name-err", "minuscules")
}

// TestConsoleSuspendChannel: a person reports a channel; the operator
// reviews the report and suspends the channel; the business console shows
// it suspended.
func TestConsoleSuspendChannel(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	e := newConsoleEnv(t)
	var ch wire.ChannelView
	e.call("POST", fmt.Sprintf("/v23.0/%d/channels", e.numID), e.token, map[string]any{"handle": "acme_news", "name": "Acme news", "category": "business"}, &ch)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	person := e.person("+14155550111")
	if err := person.ReportChannel(ctx, ch.ID, 0, "spam links"); err != nil {
		t.Fatal(err)
	}

	b := webtest.Start(t)
	// The operator signs in and works with the keyboard: Enter submits.
	op := b.NewPage(t)
	op.Navigate(e.srv.AdminURL + "/admin/")
	typeInto(op, "#token", consoleAdminToken+"\r")
	op.WaitJS(`document.getElementById('root').dataset.screen === 'console'`, "the console after Enter")
	goTo(op, "moderation")
	op.WaitText("#view table", "spam links")
	op.Click(fmt.Sprintf(`button[aria-label="Review channel %d"]`, ch.ID))
	op.WaitVisible("#suspend-reason")
	typeInto(op, "#suspend-reason", "Spam links\r")
	op.WaitVisible(`#channel-card[data-suspended="true"]`)

	var got struct {
		Suspended     bool   `json:"suspended"`
		SuspendReason string `json:"suspend_reason"`
	}
	e.call("GET", fmt.Sprintf("/admin/v1/channels/%d", ch.ID), consoleAdminToken, nil, &got)
	if !got.Suspended || got.SuspendReason != "Spam links" {
		t.Errorf("channel after suspension: %+v", got)
	}

	biz := b.NewPage(t)
	signIn(biz, e.srv.URL+"/business/", e.token)
	goTo(biz, "channels")
	biz.Click(`button[aria-label="Open Acme news"]`)
	biz.WaitText("#channel-detail", "Spam links")
}

// TestConsoleScreenshots saves the consoles at desktop and phone sizes
// into $PARLEY_SCREENSHOTS (docs/screenshots when refreshing the docs).
func TestConsoleScreenshots(t *testing.T) {
	dir := os.Getenv("PARLEY_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir() // in CI the screens are still driven and shot, just not kept
	}
	webtest.ChromiumPath(t)
	e := newConsoleEnv(t)
	e.call("POST", fmt.Sprintf("/v23.0/%d/message_templates", e.bizID), e.token, map[string]any{"name": "order_update", "language": "en_US",
		"category": "UTILITY", "components": []map[string]any{{"type": "BODY", "text": "Your order {{1}} has shipped."}}}, nil)
	e.call("POST", fmt.Sprintf("/v23.0/%d/message_templates", e.bizID), e.token, map[string]any{"name": "spring_sale", "language": "en_US",
		"category": "MARKETING", "components": []map[string]any{{"type": "HEADER", "format": "TEXT", "text": "Spring sale"},
			{"type": "BODY", "text": "Hi {{1}}, 20% off all shoes this week."}, {"type": "FOOTER", "text": "Reply STOP to opt out"}}}, nil)
	var ch wire.ChannelView
	e.call("POST", fmt.Sprintf("/v23.0/%d/channels", e.numID), e.token, map[string]any{"handle": "acme_news", "name": "Acme news", "category": "business"}, &ch)
	e.call("POST", fmt.Sprintf("/v23.0/%d/channels/%d/posts", e.numID, ch.ID), e.token, map[string]any{"kind": "text", "text": "New spring collection"}, nil)
	e.call("POST", fmt.Sprintf("/v23.0/%d/ctwa_links", e.bizID), e.token, map[string]any{"phone_number_id": e.numID, "prefilled_message": "Hi Acme!"}, nil)
	person := e.person("+14155550111")
	if _, err := person.Follow(context.Background(), ch.ID); err != nil {
		t.Fatal(err)
	}
	if err := person.ReportChannel(context.Background(), ch.ID, 1, "misleading offer"); err != nil {
		t.Fatal(err)
	}

	b := webtest.Start(t)
	shots := []struct {
		console, token, section, name, click string
	}{
		{"business", e.token, "overview", "business-overview", ""},
		{"business", e.token, "templates", "business-templates", ""},
		{"business", e.token, "channels", "business-channels", `button[aria-label="Open Acme news"]`},
		{"admin", consoleAdminToken, "review", "admin-review", ""},
		{"admin", consoleAdminToken, "businesses", "admin-businesses", `button[aria-label="Manage Acme Shoes"]`},
		{"admin", consoleAdminToken, "moderation", "admin-moderation", ""},
	}
	for _, size := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		for _, s := range shots {
			p := b.NewPage(t)
			p.Viewport(size.w, size.h, size.mobile)
			signIn(p, e.srv.Endpoint("/"+s.console+"/"), s.token)
			goTo(p, s.section)
			if s.click != "" {
				p.Click(s.click)
				p.WaitJS(`document.getElementById('view').dataset.ready === 'true' && !!document.querySelector('#channel-detail, #business-detail')`, "the detail")
			}
			p.Screenshot(filepath.Join(dir, fmt.Sprintf("console-%s-%s.png", s.name, size.name)))
		}
	}
	t.Logf("screenshots in %s: %s", dir, strings.Join([]string{"console-*-desktop.png", "console-*-phone.png"}, ", "))
}
