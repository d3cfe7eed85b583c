// Package adminapi is the operator's admin HTTP API, all of /admin/v1:
// business accounts, numbers, tokens, webhooks and the template review
// queue (admin.go), billing (billing.go), channel moderation and the
// channels' ledger (channels.go), and the people-side licence, costs and
// payouts (people.go). Its one route table is below. Every request needs
// "Authorization: Bearer <admin token>"; with no token configured every
// request is refused. Bodies are decoded strictly and errors have
// Parley's shape (internal/httpjson). `parley admin` is its client.
package adminapi

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/internal/httpjson"
	"github.com/parleyhq/parley/revenue"
)

// Options are what the admin API needs besides the business layer.
type Options struct {
	Logger *slog.Logger
	// Token is the operator's admin token; with none, every request is
	// refused.
	Token string
	// Verify performs the webhook verification handshake.
	Verify func(ctx context.Context, url, verifyToken, challenge string) error

	Channels *channel.Service // channel moderation and ledger
	People   *revenue.Service // licence, costs and payouts
	Ads      *ads.Service     // the ads review queue
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// NewHandler returns the admin API. Every endpoint is listed here and
// documented in docs/BUSINESS.md, docs/BILLING.md, docs/CHANNELS.md and
// docs/API.md.
func NewHandler(b *business.Service, o Options) http.Handler {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ch, people := o.Channels, o.People
	mux := http.NewServeMux()
	// A route reads the body it is given or refuses it: every GET and
	// DELETE takes none, and n registers the POST routes whose path says
	// everything (docs/SECURITY.md, "Request bodies").
	serve := func(pattern string, fn handlerFunc, noBody bool) {
		var hd http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := authorize(o.Token, r); err != nil {
				httpjson.WriteError(log, w, r, err)
				return
			}
			if err := fn(w, r); err != nil {
				httpjson.WriteError(log, w, r, err)
			}
		})
		if noBody || httpjson.TakesNoBody(pattern) {
			hd = httpjson.NoBody(hd, func(w http.ResponseWriter, r *http.Request, err error) { httpjson.WriteError(log, w, r, err) })
		}
		mux.Handle(pattern, hd)
	}
	h := func(pattern string, fn handlerFunc) { serve(pattern, fn, false) }
	n := func(pattern string, fn handlerFunc) { serve(pattern, fn, true) }

	// Business messaging (admin.go).
	h("POST /admin/v1/businesses", createBusiness(b))
	h("GET /admin/v1/businesses", listBusinesses(b))
	h("GET /admin/v1/businesses/{id}", getBusiness(b))
	h("PATCH /admin/v1/businesses/{id}", updateBusiness(b))
	n("POST /admin/v1/businesses/{id}/app_secret", rotateSecret(b))
	h("PUT /admin/v1/businesses/{id}/webhook", setWebhook(b, o.Verify))
	h("POST /admin/v1/businesses/{id}/numbers", addNumber(b))
	h("GET /admin/v1/businesses/{id}/numbers", listNumbers(b))
	h("PATCH /admin/v1/numbers/{id}", updateNumber(b))
	h("POST /admin/v1/businesses/{id}/tokens", newToken(b))
	h("GET /admin/v1/businesses/{id}/tokens", listTokens(b))
	h("DELETE /admin/v1/businesses/{id}/tokens/{token}", revokeToken(b))
	h("GET /admin/v1/templates", reviewQueue(b.Templates()))
	h("POST /admin/v1/templates/{id}/review", review(b.Templates()))
	h("GET /admin/v1/businesses/{id}/usage", usage(b))
	h("GET /admin/v1/usage", usage(b))
	h("GET /admin/v1/businesses/{id}/webhooks", webhooks(b))
	n("POST /admin/v1/businesses/{id}/webhooks/{webhook}/replay", replay(b))

	// Billing (billing.go; docs/BILLING.md).
	h("GET /admin/v1/billing/cards", listCards(b.Billing()))
	h("GET /admin/v1/billing/cards/{name}/{version}", getCard(b.Billing()))
	h("POST /admin/v1/billing/cards", addCard(b.Billing()))
	h("GET /admin/v1/billing/businesses/{id}", getWallet(b.Billing()))
	h("PATCH /admin/v1/billing/businesses/{id}", patchWallet(b.Billing()))
	h("POST /admin/v1/billing/businesses/{id}/adjustments", adjust(b.Billing()))
	h("GET /admin/v1/billing/businesses/{id}/charges", businessCharges(b.Billing()))
	h("POST /admin/v1/billing/invoice_runs", invoiceRun(b.Billing()))
	h("GET /admin/v1/billing/invoices", adminInvoices(b.Billing()))
	h("GET /admin/v1/billing/invoices/{id}", adminInvoice(b))
	h("POST /admin/v1/billing/invoices/{id}/credit_notes", creditNote(b.Billing()))
	h("GET /admin/v1/billing/dashboard", dashboard(b.Billing()))
	h("POST /admin/v1/billing/simulate", simulate(b.Billing()))
	h("GET /admin/v1/billing/audit", audit(b.Billing()))

	// Channels (channels.go; docs/CHANNELS.md).
	h("GET /admin/v1/channels/{id}", operatorGetChannel(ch))
	h("PUT /admin/v1/channels/{id}/verified", operatorSetVerified(ch))
	h("PUT /admin/v1/channels/{id}/suspension", operatorSuspend(ch))
	h("DELETE /admin/v1/channels/{id}/suspension", operatorUnsuspend(ch))
	h("GET /admin/v1/channel-reports", operatorReports(ch))
	h("GET /admin/v1/channels/ledger", operatorLedger(ch.Monetization()))

	// The people-side revenue models (people.go; docs/REVENUE-MODELS.md).
	h("GET /admin/v1/people/license", operatorLicense(people))
	h("POST /admin/v1/people/costs", addCost(people))
	h("GET /admin/v1/people/costs", listCosts(people))
	h("POST /admin/v1/people/payouts", recordPayouts(people))

	// Ads: the review queue (ads.go; docs/ADS.md).
	h("GET /admin/v1/ads/review", adReviewQueue(o.Ads))
	h("POST /admin/v1/ads/campaigns/{id}/review", adReview(o.Ads))

	h("/admin/", func(w http.ResponseWriter, r *http.Request) error {
		return parley.Errorf(parley.ENotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	})
	return mux
}

func authorize(token string, r *http.Request) error {
	got := httpjson.BearerToken(r)
	if token == "" {
		// The operator console shows this, so that the operator knows
		// no token can pass and how to set one.
		return &parley.Error{Code: parley.EUnauthenticated, Message: "the admin API is disabled: start the server with --admin-token TOKEN (env PARLEY_ADMIN_TOKEN)",
			Details: map[string]any{"admin_api": "disabled"}}
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		return parley.Errorf(parley.EUnauthenticated, "missing or wrong admin token")
	}
	return nil
}

// The handlers' short names for internal/httpjson. Every body is at most
// 64 KiB.

const maxJSON = 64 << 10

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.WriteJSON(w, status, v) }

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpjson.Decode(w, r, maxJSON, v)
}

func pathID(r *http.Request, name string) (int64, error) { return httpjson.PathID(r, name) }

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	return httpjson.QueryInt(r, name, def)
}
