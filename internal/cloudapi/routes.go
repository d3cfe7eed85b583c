package cloudapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/internal/httpjson"
)

// Options are what the surface needs besides the business layer.
type Options struct {
	Logger *slog.Logger
	// Verify performs the webhook verification handshake.
	Verify func(ctx context.Context, url, verifyToken, challenge string) error
	// Ads serves a business's ad campaigns (docs/ADS.md).
	Ads *ads.Service
	// Channels serves the business console's channel routes.
	Channels *channel.Service
}

var (
	versionPath = regexp.MustCompile(`^/v[0-9]+\.[0-9]+/`)
	// unversionedPath is a Graph path without a version, which the Graph
	// API accepts: an object id (digits, as every Graph and media id is),
	// an upload session (upload:...), or the app's and the token's edges.
	unversionedPath = regexp.MustCompile(`^/([0-9]+|upload:[^/]+|app|debug_token)(/|$)`)
)

// DefaultVersion is the Graph API version a path without one is served
// as (docs/CLOUD-API-ENDPOINTS.md).
const DefaultVersion = "v23.0"

// IsCloudPath reports whether path belongs to this surface: it starts
// with a Graph API version such as /v23.0/, or it is a Graph path
// without a version (/{id}/block_users), whose first segment is an id no
// other surface's path has. No ServeMux pattern can say that (a wildcard
// is a whole segment), so the server asks this before its mux; see
// docs/ARCHITECTURE.md.
func IsCloudPath(path string) bool {
	return versionPath.MatchString(path) || unversionedPath.MatchString(path)
}

// NewHandler returns the Cloud API surface. Every endpoint is listed here
// and documented in docs/BUSINESS.md; every one needs a business's system
// token.
func NewHandler(b *business.Service, o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	chs := o.Channels
	mux := http.NewServeMux()
	// A route reads the body it is given or refuses it with code 100:
	// every GET and DELETE takes its parameters in the query string, and
	// n registers the POST routes that take none (docs/SECURITY.md,
	// "Request bodies").
	serve := func(pattern string, fn bizFunc, noBody bool) {
		if noBody || httpjson.TakesNoBody(pattern) {
			fn = refuseBody(fn)
		}
		mux.Handle(pattern, wrap(o.Logger, authed(b, fn)))
	}
	a := func(pattern string, fn bizFunc) { serve(pattern, fn, false) }
	n := func(pattern string, fn bizFunc) { serve(pattern, fn, true) }
	// d registers a DELETE that takes a body, as Meta's do.
	d := func(pattern string, fn bizFunc) { mux.Handle(pattern, wrap(o.Logger, authed(b, fn))) }

	a("POST /{version}/{id}/messages", sendMessage(b))
	a("POST /{version}/{id}/media", uploadMedia(b))
	a("GET /{version}/{id}", getObject(b))
	a("GET /{version}/{id}/content", downloadMedia(b))
	a("DELETE /{version}/{id}", deleteObject(b, b.Catalogs())) // a media id, a catalog, a product item or a draft Flow
	a("GET /{version}/{id}/phone_numbers", listNumbers(b))
	a("GET /{version}/{id}/whatsapp_business_profile", getProfile(b))
	a("POST /{version}/{id}/whatsapp_business_profile", updateProfile(b))
	a("GET /{version}/{id}/message_templates", listTemplates(b.Templates()))
	a("POST /{version}/{id}/message_templates", createTemplate(b.Templates()))
	a("DELETE /{version}/{id}/message_templates", deleteTemplate(b.Templates()))
	a("GET /{version}/{id}/subscribed_apps", getSubscription(b))
	a("POST /{version}/{id}/subscribed_apps", subscribe(b, o.Verify))
	a("GET /{version}/{id}/product_catalogs", listCatalogs(b.Catalogs()))
	a("POST /{version}/{id}/product_catalogs", connectCatalog(b.Catalogs()))
	a("POST /{version}/{id}/owned_product_catalogs", createCatalog(b.Catalogs()))
	a("GET /{version}/{id}/owned_product_catalogs", listOwnedCatalogs(b.Catalogs()))
	a("POST /{version}/{id}/products", createProduct(b.Catalogs()))
	a("GET /{version}/{id}/products", listProducts(b.Catalogs()))

	// Endpoints a migrating business needs beyond sending
	// (docs/CLOUD-API-ENDPOINTS.md), each in a file of its own.
	a("POST /{version}/{id}/block_users", blockUsers(b))
	a("GET /{version}/{id}/block_users", listBlockedUsers(b))
	d("DELETE /{version}/{id}/block_users", unblockUsers(b))
	a("POST /{version}/{id}", postObject(b)) // a template's edit, a number's PIN
	a("POST /{version}/{id}/register", registerNumber(b))
	a("POST /{version}/{id}/deregister", deregisterNumber(b))
	a("POST /{version}/{id}/request_code", requestCode(b))
	a("POST /{version}/{id}/verify_code", verifyCode(b))
	a("GET /{version}/{id}/settings", getNumberSettings(b))
	a("POST /{version}/{id}/settings", updateNumberSettings(b))
	a("GET /{version}/{id}/whatsapp_commerce_settings", getCommerceSettings(b))
	a("POST /{version}/{id}/message_qrdls", createQRDL(b))
	a("GET /{version}/{id}/message_qrdls", listQRDLs(b))
	a("GET /{version}/{id}/message_qrdls/{code}", listQRDLs(b))
	a("POST /{version}/{id}/message_qrdls/{code}", createQRDL(b))
	a("DELETE /{version}/{id}/message_qrdls/{code}", deleteQRDL(b))
	a("GET /{version}/{id}/message_qrdls/{code}/image", qrdlImage(b))
	a("POST /{version}/{id}/whatsapp_commerce_settings", updateCommerceSettings(b))
	n("DELETE /{version}/{id}/subscribed_apps", unsubscribe(b))
	a("POST /{version}/{id}/conversational_automation", updateAutomation(b))
	a("POST /{version}/{id}/uploads", startUpload(b)) // and GET/POST /{version}/upload:{id} (uploads.go)
	a("GET /{version}/{id}/template_analytics", templateAnalytics(b))

	// WhatsApp Flows: management, assets, lifecycle and the data
	// channel's public key (flows.go; docs/FLOWS.md). GET, POST and
	// DELETE /{flow-id} are the object routes above, by the id's kind.
	a("POST /{version}/{id}/flows", createFlow(b.Flows()))
	a("GET /{version}/{id}/flows", listFlows(b.Flows()))
	a("POST /{version}/{id}/assets", uploadFlowAsset(b.Flows()))
	a("GET /{version}/{id}/assets", listFlowAssets(b.Flows()))
	a("GET /{version}/{id}/assets/flow.json", downloadFlowAsset(b.Flows()))
	n("POST /{version}/{id}/publish", publishFlow(b.Flows()))
	n("POST /{version}/{id}/deprecate", deprecateFlow(b.Flows()))
	a("POST /{version}/{id}/whatsapp_business_encryption", setFlowKey(b))
	a("GET /{version}/{id}/whatsapp_business_encryption", getFlowKey(b))

	// Payments: lookup and refunds (payments.go; docs/COMMERCE.md).
	a("GET /{version}/{id}/payments/{config}/{reference}", lookupPayment(b))
	a("POST /{version}/{id}/payments_refund", refundPayment(b))

	// Parley additions, on paths Meta does not have.
	a("GET /{version}/{id}/webhook_deliveries", listDeliveries(b))
	a("GET /{version}/{id}/webhook_deliveries/{webhook}/attempts", listAttempts(b))
	n("POST /{version}/{id}/webhook_deliveries/{webhook}/replay", replay(b))
	a("GET /{version}/{id}/usage", listUsage(b))
	a("GET /{version}/{id}/payments_statement", paymentsStatement(b))
	a("POST /{version}/{id}/ctwa_links", createLink(b.Links()))
	a("GET /{version}/{id}/ctwa_links", listLinks(b.Links()))

	// What the business console (/business) needs beyond Meta's surface:
	// Meta's debug_token, which tells the console which business account
	// its token opens, and the channels a business number owns
	// (console.go; docs/CONSOLES.md).
	a("GET /{version}/debug_token", debugToken(b))
	a("GET /{version}/{id}/channels", numberChannels(b, chs))
	a("POST /{version}/{id}/channels", createNumberChannel(b, chs))
	a("GET /{version}/{id}/channels/{channel}/posts", numberChannelPosts(b, chs))
	a("POST /{version}/{id}/channels/{channel}/posts", numberChannelPost(b, chs))
	a("GET /{version}/{id}/channels/{channel}/insights", numberChannelInsights(b, chs))

	// Billing: the dry-run quote, the wallet, budget caps, top-ups,
	// invoices and the rated ledger (billing.go; docs/BILLING.md).
	a("POST /{version}/{id}/message_quotes", quoteMessage(b))
	a("GET /{version}/{id}/billing", getBilling(b.Billing()))
	a("PATCH /{version}/{id}/billing", patchBilling(b.Billing()))
	a("POST /{version}/{id}/billing/top_ups", topUp(b.Billing()))
	a("GET /{version}/{id}/billing/transactions", walletTransactions(b.Billing()))
	a("GET /{version}/{id}/invoices", listInvoices(b.Billing()))
	a("GET /{version}/{id}/invoices/{invoice}", getInvoice(b.Billing()))
	a("GET /{version}/{id}/charges", listCharges(b.Billing()))

	// Ads: a business's campaigns, their aggregate reports and its
	// conversions by click id (ads.go; docs/ADS.md).
	a("POST /{version}/{id}/ad_campaigns", createAdCampaign(o.Ads))
	a("GET /{version}/{id}/ad_campaigns", listAdCampaigns(o.Ads))
	a("GET /{version}/{id}/ad_campaigns/{campaign}", getAdCampaign(o.Ads))
	n("POST /{version}/{id}/ad_campaigns/{campaign}/pause", pauseAdCampaign(o.Ads, true))
	n("POST /{version}/{id}/ad_campaigns/{campaign}/resume", pauseAdCampaign(o.Ads, false))
	a("GET /{version}/{id}/ad_campaigns/{campaign}/report", adReport(o.Ads))
	a("POST /{version}/{id}/ad_conversions", adConversion(o.Ads))

	mux.Handle("/", wrap(o.Logger, func(w http.ResponseWriter, r *http.Request) error {
		return &business.CloudError{Code: 100, Subcode: 33, Message: fmt.Sprintf("Unsupported %s request.", strings.ToLower(r.Method))}
	}))
	return withVersion(mux)
}

// withVersion serves a path without a Graph API version as the same path
// at DefaultVersion.
func withVersion(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !versionPath.MatchString(r.URL.Path) {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/" + DefaultVersion + r.URL.Path
			r2.URL.RawPath = ""
			h.ServeHTTP(w, r2)
			return
		}
		h.ServeHTTP(w, r)
	})
}
