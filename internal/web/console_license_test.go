package web_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/revenue"
)

// TestConsoleLicense: the operator sees the licence and the seats in use,
// and a deployment without a licence says it has no seat limit.
func TestConsoleLicense(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	lic := &revenue.License{Format: revenue.LicenseFormat, ID: "lic_console", Customer: "Acme GmbH", Seats: 2,
		IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(90 * 24 * time.Hour), Features: []string{"sso", "audit"}}
	e := newConsoleEnv(t, servertest.WithOptions(func(o *server.Options) { o.Revenue.License = lic }))
	e.person("+14155550111")
	e.person("+14155550112")
	b := webtest.Start(t)
	op := b.NewPage(t)
	signIn(op, e.srv.AdminURL+"/admin/", consoleAdminToken)
	goTo(op, "license")
	op.WaitText("#view", "Acme GmbH")
	op.WaitText("#view", "2 of 2")
	op.WaitText("#license-state", "All seats used")
	op.WaitText("#view", "sso, audit")
	if v := webtest.Eval[string](op, `document.getElementById('license-seats').getAttribute('value')`); v != "2" {
		t.Errorf("seats progress: got %q, want 2", v)
	}

	plain := newConsoleEnv(t)
	p2 := b.NewPage(t)
	signIn(p2, plain.srv.AdminURL+"/admin/", consoleAdminToken)
	goTo(p2, "license")
	p2.WaitText("#license-state", "no seat limit")
}
