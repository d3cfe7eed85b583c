package httpapi

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/chat/push"
	"github.com/parleyhq/parley/internal/httpjson"
	"github.com/parleyhq/parley/revenue"
)

// Options are what the API needs besides the chat core.
type Options struct {
	Logger  *slog.Logger
	Gateway http.Handler // the WebSocket endpoint, mounted at /v1/ws
	Ready   func(r *http.Request) error

	Channels   *channel.Service  // the channels routes
	People     *revenue.Service  // the revenue models' routes
	Businesses *business.Service // the customers' business routes
	Ads        *ads.Service      // the ads routes (docs/ADS.md)
	Push       *push.Service     // the notification routes (docs/NOTIFICATIONS.md)
	// AppScheme is the deep-link scheme of Parley's apps, for
	// click-to-chat links; default "parley".
	AppScheme string
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// address (docs/SECURITY.md); none by default.
	TrustedProxies []netip.Prefix
	// Now is the clock of the per-address limits; default time.Now.
	Now func() time.Time
	// StripeWebhookSecret is the signing secret (whsec_...) of Stripe's
	// callbacks to POST /v1/payments/stripe/events; empty: the route
	// answers 404.
	StripeWebhookSecret string
}

// NewHandler returns Parley's API as one http.Handler: every endpoint of
// /v1, the health endpoints, the public transparency page and
// click-to-chat links, and Parley's 404 for any other path. Every
// endpoint is listed here and documented in docs/API.md; the operator's
// /admin/v1 is internal/adminapi's, the Cloud API internal/cloudapi's.
func NewHandler(svc *chat.Service, o Options) http.Handler {
	log := o.Logger
	ch, people, biz := o.Channels, o.People, o.Businesses
	if o.AppScheme == "" {
		o.AppScheme = "parley"
	}
	mux := http.NewServeMux()
	// A route reads the body it is given or refuses it (ErrBodyNotRead):
	// every GET and DELETE takes none, and n registers the POST and PUT
	// routes whose path says everything. docs/SECURITY.md, "Request bodies".
	errw := ErrorWriter(log)
	route := func(pattern string, hd http.Handler, noBody bool) {
		if noBody || httpjson.TakesNoBody(pattern) {
			hd = httpjson.NoBody(hd, errw)
		}
		mux.Handle(pattern, hd)
	}
	h := func(pattern string, fn handlerFunc) { route(pattern, wrap(log, fn), false) }
	a := func(pattern string, fn authedFunc) { route(pattern, wrap(log, authed(svc, fn)), false) }
	n := func(pattern string, fn authedFunc) { route(pattern, wrap(log, authed(svc, fn)), true) }

	h("GET /healthz", healthz())
	h("GET /readyz", readyz(o.Ready))

	lim := newLoginLimits(svc.Config(), o.TrustedProxies, o.Now)
	h("POST /v1/auth/code", requestCode(svc, lim))
	h("POST /v1/auth/verify", verifyCode(svc, lim))

	prof := svc.Profiles()
	a("GET /v1/me", getMe(prof))
	a("PATCH /v1/me", updateMe(prof))
	a("PUT /v1/me/privacy", updatePrivacy(prof))
	a("PUT /v1/me/avatar", setAvatar(prof, svc))
	a("GET /v1/accounts/{id}", getProfile(prof))
	a("GET /v1/accounts/{id}/avatar", getAvatar(prof))
	a("POST /v1/contacts/lookup", lookupContacts(prof))
	a("GET /v1/blocks", listBlocked(prof))
	n("PUT /v1/blocks/{id}", block(prof))
	a("DELETE /v1/blocks/{id}", unblock(prof))

	a("GET /v1/devices", listDevices(svc))
	a("DELETE /v1/devices/{id}", revokeDevice(svc))
	a("POST /v1/devices/{id}/history", sendHistory(svc))

	// Notifications (push.go, docs/NOTIFICATIONS.md).
	if ps := o.Push; ps != nil {
		a("GET /v1/push/vapid", pushVAPID(ps))
		a("PUT /v1/push/subscription", putPushSubscription(ps))
		a("DELETE /v1/push/subscription", deletePushSubscription(ps))
		a("GET /v1/push/dnd", getMute(ps, false))
		a("PUT /v1/push/dnd", setDND(ps))
		a("DELETE /v1/push/dnd", clearDND(ps))
		a("GET /v1/chats/{id}/mute", getMute(ps, true))
		a("PUT /v1/chats/{id}/mute", muteChat(ps))
		a("DELETE /v1/chats/{id}/mute", unmuteChat(ps))
	}

	// The end-to-end key directory (keys.go, docs/E2EE.md).
	a("PUT /v1/keys", uploadKeys(svc))
	a("GET /v1/keys/count", keyCount(svc))
	a("POST /v1/keys/claim", claimKeys(svc))
	a("GET /v1/accounts/{id}/keys", accountKeys(svc))
	a("PUT /v1/me/device-list", putDeviceList(svc))
	a("PUT /v1/me/key-backup", putKeyBackup(svc))
	a("GET /v1/me/key-backup", getKeyBackup(svc))
	a("DELETE /v1/me/key-backup", deleteKeyBackup(svc))

	a("GET /v1/chats", listChats(svc))
	a("POST /v1/chats/direct", openDirect(svc))
	a("POST /v1/chats/groups", createGroup(svc))
	a("GET /v1/chats/{id}", getChat(svc))
	a("PATCH /v1/chats/{id}", updateGroup(svc))
	a("PUT /v1/chats/{id}/disappearing", setDisappearing(svc))
	a("POST /v1/chats/{id}/members", addMembers(svc))
	a("DELETE /v1/chats/{id}/members/{account}", removeMember(svc))
	a("PUT /v1/chats/{id}/members/{account}/role", setRole(svc))
	a("GET /v1/chats/{id}/devices", recipientDevices(svc))
	a("POST /v1/chats/{id}/messages", sendMessage(svc))
	a("POST /v1/chats/{id}/read", markRead(svc))
	a("POST /v1/chats/{id}/typing", typing(svc))
	a("POST /v1/chats/{id}/media", uploadMedia(svc))

	a("GET /v1/media/{id}", getMedia(svc))
	a("POST /v1/media/{id}/share", shareMedia(svc))

	a("GET /v1/inbox", pending(svc))
	a("POST /v1/inbox/ack", ack(svc))

	// Channels (docs/CHANNELS.md; handlers in channels.go).
	a("POST /v1/channels", createChannel(ch))
	a("GET /v1/channels", listFollowedChannels(ch))
	a("GET /v1/channels/admin", listAdminChannels(ch))
	a("GET /v1/channels/directory", channelDirectory(ch))
	a("GET /v1/channel-invites/{code}", channelByInvite(ch))
	a("GET /v1/channel-admin-invites", listAdminInvites(ch))
	n("POST /v1/channel-admin-invites/{id}/accept", answerAdminInvite(ch, true))
	n("POST /v1/channel-admin-invites/{id}/decline", answerAdminInvite(ch, false))
	a("GET /v1/channels/{id}", getChannel(ch))
	a("PATCH /v1/channels/{id}", updateChannel(ch))
	n("POST /v1/channels/{id}/invite", resetInvite(ch))
	a("GET /v1/channels/{id}/admins", listChannelAdmins(ch))
	n("PUT /v1/channels/{id}/admins/{account}", addChannelAdmin(ch))
	a("DELETE /v1/channels/{id}/admins/{account}", removeChannelAdmin(ch))
	n("PUT /v1/channels/{id}/follow", followChannel(ch))
	a("DELETE /v1/channels/{id}/follow", unfollowChannel(ch))
	a("PUT /v1/channels/{id}/mute", muteChannel(ch))
	a("POST /v1/channels/{id}/read", markChannelRead(ch))
	a("GET /v1/channels/{id}/requests", listFollowRequests(ch))
	n("POST /v1/channels/{id}/requests/{request}/approve", answerFollowRequest(ch, true))
	n("POST /v1/channels/{id}/requests/{request}/reject", answerFollowRequest(ch, false))
	a("POST /v1/channels/{id}/media", uploadChannelMedia(ch))
	a("GET /v1/channels/{id}/media/{media}", getChannelMedia(ch))
	a("POST /v1/channels/{id}/posts", createPost(ch))
	a("GET /v1/channels/{id}/posts", timeline(ch))
	a("GET /v1/channels/{id}/posts/{seq}", getPost(ch))
	a("PATCH /v1/channels/{id}/posts/{seq}", editPost(ch))
	a("DELETE /v1/channels/{id}/posts/{seq}", deletePost(ch))
	a("PUT /v1/channels/{id}/posts/{seq}/reaction", reactToPost(ch))
	a("DELETE /v1/channels/{id}/posts/{seq}/reaction", reactToPost(ch))
	a("PUT /v1/channels/{id}/posts/{seq}/vote", voteOnPost(ch))
	n("POST /v1/channels/{id}/posts/{seq}/forward", forwardPost(ch))
	a("POST /v1/channels/{id}/views", recordViews(ch))
	a("POST /v1/channels/{id}/reports", reportChannel(ch))
	a("GET /v1/channels/{id}/insights", channelInsights(ch))
	a("GET /v1/channels/{id}/tiers", listTiers(ch.Monetization()))
	a("POST /v1/channels/{id}/tiers", createTier(ch.Monetization()))
	a("DELETE /v1/channels/{id}/tiers/{tier}", closeTier(ch.Monetization()))
	a("GET /v1/channels/{id}/subscription", getSubscription(ch.Monetization()))
	a("PUT /v1/channels/{id}/subscription", subscribe(ch.Monetization()))
	a("DELETE /v1/channels/{id}/subscription", cancelSubscription(ch.Monetization()))
	a("GET /v1/channels/{id}/revenue", channelRevenue(ch.Monetization()))
	a("POST /v1/channels/{id}/promotions", promote(ch.Monetization()))
	a("GET /v1/channels/{id}/promotions", listPromotions(ch.Monetization()))

	// The people-side revenue models (docs/REVENUE-MODELS.md; handlers in revenue.go).
	a("GET /v1/premium", getPremium(people))
	a("PUT /v1/premium", subscribePremium(people))
	a("DELETE /v1/premium", cancelPremium(people))
	a("GET /v1/pins", listPins(people))
	n("PUT /v1/chats/{id}/pin", pinChat(people))
	a("DELETE /v1/chats/{id}/pin", unpinChat(people))
	a("POST /v1/donations", donate(people))
	a("GET /v1/donations/monthly", monthlyDonation(people))
	a("DELETE /v1/donations/monthly", cancelMonthlyDonation(people))
	a("GET /v1/statements/{month}", ownerStatement(people))
	h("GET /v1/transparency", transparencyJSON(people)) // public: no token
	h("GET /transparency", transparencyPage(people))    // public: no token

	// The customers' side of business messaging (docs/BUSINESS.md; handlers in business.go).
	a("GET /v1/business/{account}", businessProfile(biz))
	n("POST /v1/business/{account}/block", blockBusiness(biz))
	n("POST /v1/business/{account}/report", reportBusiness(biz))
	a("PUT /v1/business/{account}/marketing", marketingOptOut(biz))
	h("GET /c/{code}", openLink(biz, o.AppScheme)) // public: no token
	// A person's side of WhatsApp Flows (flows.go; docs/API.md, "Flows").
	a("GET /v1/chats/{chat}/flows/{message}", openFlow(biz.Flows()))
	a("POST /v1/flows/exchange", flowExchange(biz.Flows()))
	a("POST /v1/flows/complete", flowComplete(biz.Flows()))
	// Orders a business sent, and paying them in the chat (orders.go; docs/COMMERCE.md).
	a("GET /v1/chats/{chat}/orders/{reference}", getOrder(biz))
	h("POST /v1/payments/stripe/events", stripeEvents(biz, o.StripeWebhookSecret)) // public: signed by Stripe
	a("POST /v1/orders/pay", payOrder(biz))

	// Ads (docs/ADS.md; handlers in ads.go): the candidate set of a
	// placement and the client's events; a channel owner's campaigns,
	// reports and in-channel opt-in; the public ad library.
	adsvc := o.Ads
	a("GET /v1/ads", adCandidates(adsvc))
	a("POST /v1/ads/events", adEvent(adsvc))
	a("POST /v1/ads/campaigns", createAdCampaign(adsvc))
	a("GET /v1/ads/campaigns", listAdCampaigns(adsvc))
	a("GET /v1/ads/campaigns/{id}", getAdCampaign(adsvc))
	n("POST /v1/ads/campaigns/{id}/pause", pauseAdCampaign(adsvc, true))
	n("POST /v1/ads/campaigns/{id}/resume", pauseAdCampaign(adsvc, false))
	a("GET /v1/ads/campaigns/{id}/report", adReport(adsvc))
	n("PUT /v1/channels/{id}/ads", setAdOptIn(adsvc, true))
	a("DELETE /v1/channels/{id}/ads", setAdOptIn(adsvc, false))
	h("GET /v1/ads/library", adLibraryJSON(adsvc)) // public: no token
	h("GET /ads/library", adLibraryPage(adsvc))    // public: no token

	if o.Gateway != nil {
		route("GET /v1/ws", o.Gateway, true)
	}
	mux.Handle("/", wrap(log, notFound()))
	return mux
}
