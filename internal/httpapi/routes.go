package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/parleyhq/parley"
)

// Options are what the API needs besides the Service.
type Options struct {
	Logger  *slog.Logger
	Gateway http.Handler // the WebSocket endpoint, mounted at /v1/ws
	Metrics http.Handler // mounted at /metrics
	Ready   func(r *http.Request) error
	// AdminToken guards the operator API under /admin/v1; without it
	// there is no operator API.
	AdminToken string
}

// NewHandler returns Parley's API as one http.Handler. Every endpoint is
// listed here and documented in docs/API.md.
func NewHandler(svc *parley.Service, o Options) http.Handler {
	log := o.Logger
	mux := http.NewServeMux()
	h := func(pattern string, fn handlerFunc) { mux.Handle(pattern, wrap(log, fn)) }
	a := func(pattern string, fn authedFunc) { mux.Handle(pattern, wrap(log, authed(svc, fn))) }

	h("GET /healthz", healthz())
	h("GET /readyz", readyz(o.Ready))
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}

	h("POST /v1/auth/code", requestCode(svc))
	h("POST /v1/auth/verify", verifyCode(svc))

	a("GET /v1/me", getMe(svc))
	a("PATCH /v1/me", updateMe(svc))
	a("PUT /v1/me/privacy", updatePrivacy(svc))
	a("PUT /v1/me/avatar", setAvatar(svc))
	a("GET /v1/accounts/{id}", getProfile(svc))
	a("GET /v1/accounts/{id}/avatar", getAvatar(svc))
	a("POST /v1/contacts/lookup", lookupContacts(svc))
	a("GET /v1/blocks", listBlocked(svc))
	a("PUT /v1/blocks/{id}", block(svc))
	a("DELETE /v1/blocks/{id}", unblock(svc))

	a("GET /v1/devices", listDevices(svc))
	a("DELETE /v1/devices/{id}", revokeDevice(svc))
	a("POST /v1/devices/{id}/history", sendHistory(svc))

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
	a("POST /v1/channels", createChannel(svc))
	a("GET /v1/channels", listFollowedChannels(svc))
	a("GET /v1/channels/admin", listAdminChannels(svc))
	a("GET /v1/channels/directory", channelDirectory(svc))
	a("GET /v1/channel-invites/{code}", channelByInvite(svc))
	a("GET /v1/channels/{id}", getChannel(svc))
	a("PATCH /v1/channels/{id}", updateChannel(svc))
	a("POST /v1/channels/{id}/invite", resetInvite(svc))
	a("GET /v1/channels/{id}/admins", listChannelAdmins(svc))
	a("PUT /v1/channels/{id}/admins/{account}", addChannelAdmin(svc))
	a("DELETE /v1/channels/{id}/admins/{account}", removeChannelAdmin(svc))
	a("PUT /v1/channels/{id}/follow", followChannel(svc))
	a("DELETE /v1/channels/{id}/follow", unfollowChannel(svc))
	a("PUT /v1/channels/{id}/mute", muteChannel(svc))
	a("POST /v1/channels/{id}/read", markChannelRead(svc))
	a("GET /v1/channels/{id}/requests", listFollowRequests(svc))
	a("POST /v1/channels/{id}/requests/{request}/approve", answerFollowRequest(svc, true))
	a("POST /v1/channels/{id}/requests/{request}/reject", answerFollowRequest(svc, false))
	a("POST /v1/channels/{id}/media", uploadChannelMedia(svc))
	a("GET /v1/channels/{id}/media/{media}", getChannelMedia(svc))
	a("POST /v1/channels/{id}/posts", createPost(svc))
	a("GET /v1/channels/{id}/posts", timeline(svc))
	a("GET /v1/channels/{id}/posts/{seq}", getPost(svc))
	a("PATCH /v1/channels/{id}/posts/{seq}", editPost(svc))
	a("DELETE /v1/channels/{id}/posts/{seq}", deletePost(svc))
	a("PUT /v1/channels/{id}/posts/{seq}/reaction", reactToPost(svc))
	a("DELETE /v1/channels/{id}/posts/{seq}/reaction", reactToPost(svc))
	a("PUT /v1/channels/{id}/posts/{seq}/vote", voteOnPost(svc))
	a("POST /v1/channels/{id}/posts/{seq}/forward", forwardPost(svc))
	a("POST /v1/channels/{id}/views", recordViews(svc))
	a("POST /v1/channels/{id}/reports", reportChannel(svc))
	a("GET /v1/channels/{id}/insights", channelInsights(svc))
	a("GET /v1/channels/{id}/tiers", listTiers(svc))
	a("POST /v1/channels/{id}/tiers", createTier(svc))
	a("DELETE /v1/channels/{id}/tiers/{tier}", closeTier(svc))
	a("GET /v1/channels/{id}/subscription", getSubscription(svc))
	a("PUT /v1/channels/{id}/subscription", subscribe(svc))
	a("DELETE /v1/channels/{id}/subscription", cancelSubscription(svc))
	a("GET /v1/channels/{id}/revenue", channelRevenue(svc))
	a("POST /v1/channels/{id}/promotions", promote(svc))
	a("GET /v1/channels/{id}/promotions", listPromotions(svc))
	operatorRoutes(mux, svc, log, o.AdminToken)
	// End of channels.
	revenueRoutes(mux, svc, log, o.AdminToken)

	if o.Gateway != nil {
		mux.Handle("GET /v1/ws", o.Gateway)
	}
	mux.Handle("/", wrap(log, notFound()))
	return mux
}
