package web_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// TestPagesLoadUnderCSP loads each client in Chromium and fails on any
// uncaught exception or Content-Security-Policy violation (webtest checks
// the console when the page closes).
func TestPagesLoadUnderCSP(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	srv := servertest.Start(t)
	b := webtest.Start(t)
	p := b.NewPage(t)
	for _, path := range []string{"/", "/business/", "/admin/"} {
		p.Navigate(srv.Endpoint(path))
		p.WaitJS(`document.readyState === 'complete'`, path+" loaded")
	}
}
