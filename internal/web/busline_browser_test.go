package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/demo/busline"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/internal/webhook"
)

// TestBuslineInBrowser is the seed journey of issue 15 from the person's
// side, in Chromium, against the Busline demo business (which uses only
// the public Cloud API and the Flow endpoint protocol) and the sandbox
// payment provider, on both stores: open the bus company's link, search
// a route and a date, pick a departure and a seat on the seat map, pay in
// the chat, receive the PDF ticket, cancel with the button and see the
// refund. The SQLite run takes the README's screenshots at desktop and
// phone sizes.
func TestBuslineInBrowser(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Run("sqlite", func(t *testing.T) { testBuslineInBrowser(t, nil, true) })
	t.Run("postgres", func(t *testing.T) {
		dsn, nats := servertest.PostgresDSN(t), servertest.NATSURL(t)
		testBuslineInBrowser(t, []servertest.Option{servertest.WithPostgres(t, dsn), servertest.WithExternalNATS(nats)}, false)
	})
}

func testBuslineInBrowser(t *testing.T, extra []servertest.Option, shots bool) {
	const adminToken = "busline-admin"
	opts := append([]servertest.Option{servertest.WithOptions(func(o *server.Options) {
		o.AdminToken = adminToken
		o.Business.InboxPoll = 20 * time.Millisecond
		o.Webhooks = webhook.Options{Poll: 20 * time.Millisecond, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: 5 * time.Second}
	})}, extra...)
	srv := startServer(t, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := busline.Start(ctx, busline.Options{ServerURL: srv.URL, AdminURL: srv.AdminURL, AdminToken: adminToken,
		Addr: "127.0.0.1:0", RemindEvery: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+919900000101", "Asha")

	// The bus company's link opens its chat with the prefilled text.
	p.Navigate(srv.URL + "/#/c/" + d.LinkCode())
	p.WaitText(".chat-title", busline.BusinessName)
	p.WaitJS(`document.querySelector('#composer').value !== ''`, "the link's prefilled text")
	p.Click("#send")

	// The Flow: route, date, departure, seat, passenger.
	p.Click(".interactive .flow:not([disabled])")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'SEARCH'`, "the search screen")
	p.WaitJS(`document.querySelectorAll('#flow-in-date option').length > 2`, "the dates from the endpoint")
	p.Select("#flow-in-from", "blr")
	p.Select("#flow-in-to", "mys")
	date := webtest.Eval[string](p, `[...document.querySelectorAll('#flow-in-date option')].filter((o) => o.value)[1].value`)
	p.Select("#flow-in-date", date)
	p.Click(".flow-go")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'DEPARTURES'`, "the departures")
	p.Click(".flow-choice input")
	p.Click(".flow-go")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'SEATS'`, "the seat map")
	p.WaitText(".flow-sheet", "□")
	p.Select("#flow-in-seat", "3A")
	if shots {
		screenshot(t, p, "busline-seats-desktop")
	}
	p.Click(".flow-go")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'PASSENGER'`, "the passenger screen")
	p.Type("#flow-in-name", "Asha Rao")
	p.Click(".flow-go")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'CONFIRM'`, "the confirmation")
	p.WaitText(".flow-sheet", "3A")
	if shots {
		p.Viewport(390, 844, true)
		screenshot(t, p, "busline-confirm-phone")
		p.Viewport(1280, 800, false)
	}
	p.Click(".flow-go")
	p.WaitJS(`document.querySelector('.flow-sheet')?.dataset.screen === 'SUMMARY'`, "the summary")
	p.Click(".flow-send")
	p.WaitGone(".flow-sheet")

	// The order arrives; the person pays it in the chat.
	card := `.order-card[data-ref^="BL-"]`
	p.WaitVisible(card + " .order-pay")
	ref := webtest.Eval[string](p, fmt.Sprintf(`document.querySelector(%q).dataset.ref`, card))
	p.Click(card + " .order-pay")
	p.WaitVisible("#order-pay-now")
	p.Type("#order-method", "pm_card_visa")
	p.Click("#order-pay-now")
	p.WaitVisible(".order-done")
	p.Click(".order-sheet .order-done + button")
	p.WaitGone(".order-sheet")
	// Paid, or already completed: the demo issues the ticket at once.
	p.WaitJS(fmt.Sprintf(`['paid', 'completed'].includes(document.querySelector(%q).dataset.status)`, card), "the order shows paid")

	// The ticket: a PDF document in the thread.
	p.WaitJS(`[...document.querySelectorAll('.msg .media a[download]')].some((a) => a.getAttribute('download').endsWith('.pdf'))`, "the PDF ticket")
	if bk, ok := d.Booking(ref); !ok || bk.Status != busline.Paid || bk.Seat != "3A" {
		t.Fatalf("the demo's booking %s: %+v", ref, bk)
	}
	if shots {
		screenshot(t, p, "busline-ticket-desktop")
		p.Viewport(390, 844, true)
		screenshot(t, p, "busline-ticket-phone")
		p.Viewport(1280, 800, false)
	}

	// Cancel with the button: the booking is refunded in the thread.
	p.Click(fmt.Sprintf(`.interactive button[data-choice="cancel:%s"]`, ref))
	p.WaitText(".msg.theirs", ref+" is cancelled")
	p.WaitJS(fmt.Sprintf(`document.querySelector('.order-card[data-ref=%q] .order-refunded') !== null`, ref), "the refund on the order")
	if bk, _ := d.Booking(ref); bk.Status != busline.Cancelled {
		t.Fatalf("after the cancel, booking %s is %s", ref, bk.Status)
	}
}
