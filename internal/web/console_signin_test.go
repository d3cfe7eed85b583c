package web_test

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// TestConsoleWrongToken: a wrong token on either console leaves the form
// with the error shown (the 401 used to redraw the form and write the
// error into the old one), and the right token still signs in.
func TestConsoleWrongToken(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	e := newConsoleEnv(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	for _, c := range []struct{ url, token string }{
		{e.srv.URL + "/business/", e.token},
		{e.srv.AdminURL + "/admin/", consoleAdminToken},
	} {
		p.Navigate(c.url)
		p.WaitVisible("#token")
		typeInto(p, "#token", "not-the-token")
		p.Click("form.signin button[type=submit]")
		p.WaitText("#signin-error", "This token was not accepted.")
		if got := webtest.Eval[string](p, `document.getElementById('root').dataset.screen`); got != "signin" {
			t.Errorf("%s: screen %q after a wrong token, want signin", c.url, got)
		}
		typeInto(p, "#token", c.token)
		p.Click("form.signin button[type=submit]")
		p.WaitJS(`document.getElementById('root').dataset.screen === 'console'`, "the console after the right token")
		p.Click("#signout")
		p.WaitVisible("#token")
	}
}

// TestAdminConsoleDisabled: without --admin-token the operator console
// says it is disabled and how to enable it, instead of a sign-in that no
// token can pass.
func TestAdminConsoleDisabled(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := servertest.Start(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	p.Navigate(srv.AdminURL + "/admin/")
	p.WaitVisible("#console-disabled")
	if txt := p.Text("#console-disabled"); !strings.Contains(txt, "--admin-token") || !strings.Contains(txt, "PARLEY_ADMIN_TOKEN") {
		t.Errorf("disabled notice: %q", txt)
	}
	if !webtest.Eval[bool](p, `document.querySelector('form.signin button[type=submit]').disabled`) {
		t.Error("the sign-in button is enabled on a disabled console")
	}
	// The business console is not the operator's: no such notice.
	p.Navigate(srv.URL + "/business/")
	p.WaitVisible("#token")
	if n := webtest.Eval[int](p, `document.querySelectorAll('#console-disabled').length`); n != 0 {
		t.Error("the business console says it is disabled")
	}
}
