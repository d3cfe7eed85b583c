package web_test

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// browserLanguage makes the page's browser ask for langs (navigator.languages
// and Accept-Language), as a browser set to those languages does.
func browserLanguage(t *testing.T, p *webtest.Page, langs string) {
	t.Helper()
	ua := webtest.Eval[string](p, `navigator.userAgent`)
	if _, err := chromedp.Call(p.Context(), emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: langs}); err != nil {
		t.Fatalf("emulate %s: %v", langs, err)
	}
}

// TestRTLAndBrowserLanguage opens the people's client in browsers set to
// several languages: Arabic lays the page out right to left with Arabic
// text on the log-in screen, Spanish and Brazilian Portuguese get theirs,
// a regional variant falls back to its language, and an unknown language
// gets English. Picking another language on the log-in screen switches
// the text and the direction at once.
func TestRTLAndBrowserLanguage(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := servertest.Start(t)
	b := webtest.Start(t)
	for _, c := range []struct {
		browser, lang, dir, title string
	}{
		{"ar", "ar", "rtl", "سجّل الدخول أو أنشئ حسابًا"},
		{"es-ES,es", "es", "ltr", "Inicia sesión o crea una cuenta"},
		{"pt", "pt-BR", "ltr", "Entre ou crie uma conta"},
		{"hi-IN", "hi", "ltr", "साइन इन करें या खाता बनाएँ"},
		{"fr-CA,en", "fr", "ltr", "Connectez-vous ou créez un compte"},
		{"de-DE,ja", "en", "ltr", "Sign in or create an account"},
	} {
		t.Run(c.browser, func(t *testing.T) {
			p := b.NewPage(t)
			browserLanguage(t, p, c.browser)
			p.Navigate(srv.Endpoint("/"))
			p.WaitText(".login-card h2", c.title)
			if got := webtest.Eval[string](p, `document.documentElement.lang`); got != c.lang {
				t.Errorf("<html lang> = %q, want %q", got, c.lang)
			}
			if got := webtest.Eval[string](p, `document.documentElement.dir`); got != c.dir {
				t.Errorf("<html dir> = %q, want %q", got, c.dir)
			}
			if got := webtest.Eval[string](p, `getComputedStyle(document.body).direction`); got != c.dir {
				t.Errorf("body direction = %q, want %q", got, c.dir)
			}
			if got := webtest.Eval[string](p, `document.querySelector('#lang').value`); got != c.lang {
				t.Errorf("language picker shows %q, want %q", got, c.lang)
			}
		})
	}

	t.Run("switch", func(t *testing.T) {
		p := b.NewPage(t)
		browserLanguage(t, p, "ar")
		p.Navigate(srv.Endpoint("/"))
		p.WaitText(".login-card h2", "سجّل الدخول أو أنشئ حسابًا")
		// In Arabic the phone field's label text sits at the right edge.
		if !webtest.Eval[bool](p, `(() => { const r = document.querySelector('.login-card').getBoundingClientRect(); const g = document.createRange(); g.selectNodeContents(document.querySelector('label.field span')); const s = g.getBoundingClientRect(); return r.right - s.right < s.left - r.left; })()`) {
			t.Error("in Arabic the field label is not on the right")
		}
		p.Select("#lang", "es")
		p.WaitText(".login-card h2", "Inicia sesión o crea una cuenta")
		if got := webtest.Eval[string](p, `document.documentElement.dir + ' ' + document.documentElement.lang`); got != "ltr es" {
			t.Errorf("after choosing Spanish: dir and lang %q", got)
		}
		// The choice outlives a reload and beats the browser's language.
		p.Navigate(srv.Endpoint("/"))
		p.WaitText(".login-card h2", "Inicia sesión o crea una cuenta")
	})

	// The consoles follow the browser too, with their lazily loaded tables.
	for _, c := range []struct{ path, browser, dir, signin, hint string }{
		{"/business/", "es", "ltr", "Iniciar sesión", "El token de acceso del sistema"},
		{"/admin/", "ar", "rtl", "تسجيل الدخول", "رمز الإدارة الخاص بالخادم"},
	} {
		t.Run(c.path+c.browser, func(t *testing.T) {
			p := b.NewPage(t)
			browserLanguage(t, p, c.browser)
			p.Navigate(srv.Endpoint(c.path))
			p.WaitText("button[type=submit]", c.signin)
			p.WaitText("#token-hint", c.hint)
			if got := webtest.Eval[string](p, `document.documentElement.dir + ' ' + document.documentElement.lang`); got != c.dir+" "+c.browser {
				t.Errorf("dir and lang %q, want %q", got, c.dir+" "+c.browser)
			}
		})
	}

	// In an Arabic chat the layout mirrors: the chat list is on the right,
	// own messages on the left, the other person's on the right.
	t.Run("chat", func(t *testing.T) {
		alice, bob := b.NewPage(t), b.NewPage(t)
		browserLanguage(t, alice, "ar")
		signUp(t, alice, srv, "+14155550181", "Alice")
		signUp(t, bob, srv, "+14155550182", "Bob")
		alice.Click("#new-chat")
		submitDialog(alice, "#ask-phone", "+14155550182")
		send(alice, "مرحبا")
		bob.WaitText(".chat-item .chat-preview", "مرحبا")
		bob.ClickUntil(".chat-item", `location.hash.startsWith("#/chat/")`, "the chat opens")
		send(bob, "أهلا")
		alice.WaitText(".msg.theirs .text", "أهلا")
		layout := webtest.Eval[map[string]float64](alice, `(() => {
			const r = (s) => document.querySelector(s).getBoundingClientRect();
			const msgs = r('.msgs'), side = r('.side'), mine = r('.msg.mine .bubble'), theirs = r('.msg.theirs .bubble');
			return { sideLeft: side.left, msgsLeft: msgs.left, mineLeftGap: mine.left - msgs.left, mineRightGap: msgs.right - mine.right,
				theirsLeftGap: theirs.left - msgs.left, theirsRightGap: msgs.right - theirs.right };
		})()`)
		if layout["sideLeft"] <= layout["msgsLeft"] {
			t.Errorf("the chat list is not right of the messages: %v", layout)
		}
		if layout["mineLeftGap"] >= layout["mineRightGap"] {
			t.Errorf("own message is not on the left: %v", layout)
		}
		if layout["theirsRightGap"] >= layout["theirsLeftGap"] {
			t.Errorf("the other person's message is not on the right: %v", layout)
		}
	})
}
