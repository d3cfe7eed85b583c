package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/parleyhq/parley/wire"
)

// Channels: one-to-many broadcasts. See docs/CHANNELS.md. New posts of
// followed channels arrive on the WebSocket as events of type
// wire.EventChannelPost with Post set; a follower who was offline reads
// them with Timeline.

// CreateChannel creates a channel owned by the caller.
func (c *Client) CreateChannel(ctx context.Context, in wire.ChannelInput) (wire.ChannelView, error) {
	var v wire.ChannelView
	err := c.do(ctx, http.MethodPost, "/v1/channels", in, &v)
	return v, err
}

// FollowedChannels returns the channels the caller follows, with unread counts.
func (c *Client) FollowedChannels(ctx context.Context) ([]wire.ChannelView, error) {
	var out struct {
		Channels []wire.ChannelView `json:"channels"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/channels", nil, &out)
	return out.Channels, err
}

// AdminChannels returns the channels the caller administers.
func (c *Client) AdminChannels(ctx context.Context) ([]wire.ChannelView, error) {
	var out struct {
		Channels []wire.ChannelView `json:"channels"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/channels/admin", nil, &out)
	return out.Channels, err
}

// Channel returns one channel.
func (c *Client) Channel(ctx context.Context, id int64) (wire.ChannelView, error) {
	var v wire.ChannelView
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d", id), nil, &v)
	return v, err
}

// UpdateChannel changes a channel's profile and settings (admins).
func (c *Client) UpdateChannel(ctx context.Context, id int64, u wire.ChannelUpdate) (wire.ChannelView, error) {
	var v wire.ChannelView
	err := c.do(ctx, http.MethodPatch, pathf("/v1/channels/%d", id), u, &v)
	return v, err
}

// ResetChannelInvite replaces the channel's invite code (admins).
func (c *Client) ResetChannelInvite(ctx context.Context, id int64) (wire.ChannelView, error) {
	var v wire.ChannelView
	err := c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/invite", id), nil, &v)
	return v, err
}

// ChannelByInvite opens the channel of an invite code.
func (c *Client) ChannelByInvite(ctx context.Context, code string) (wire.ChannelView, error) {
	var v wire.ChannelView
	err := c.do(ctx, http.MethodGet, pathf("/v1/channel-invites/%s", code), nil, &v)
	return v, err
}

// ChannelAdmins lists a channel's admins (admins only).
func (c *Client) ChannelAdmins(ctx context.Context, id int64) ([]wire.ChannelAdminView, error) {
	var out struct {
		Admins []wire.ChannelAdminView `json:"admins"`
	}
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/admins", id), nil, &out)
	return out.Admins, err
}

// ChannelAdminInvites lists a channel's pending admin invitations (admins only).
func (c *Client) ChannelAdminInvites(ctx context.Context, id int64) ([]wire.ChannelAdminInviteView, error) {
	var out struct {
		Invites []wire.ChannelAdminInviteView `json:"invites"`
	}
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/admins", id), nil, &out)
	return out.Invites, err
}

// InviteChannelAdmin invites an account to become an admin (owner only);
// it becomes one when it accepts. The invitation is zero if the account
// already is an admin.
func (c *Client) InviteChannelAdmin(ctx context.Context, id, account int64) (wire.ChannelAdminInviteView, error) {
	var v wire.ChannelAdminInviteView
	err := c.do(ctx, http.MethodPut, pathf("/v1/channels/%d/admins/%d", id, account), nil, &v)
	return v, err
}

// AdminInvites lists the caller's pending invitations to administer a channel.
func (c *Client) AdminInvites(ctx context.Context) ([]wire.ChannelAdminInviteView, error) {
	var out struct {
		Invites []wire.ChannelAdminInviteView `json:"invites"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/channel-admin-invites", nil, &out)
	return out.Invites, err
}

// AcceptAdminInvite accepts the caller's invitation to administer channel id.
func (c *Client) AcceptAdminInvite(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/channel-admin-invites/%d/accept", id), nil, nil)
}

// DeclineAdminInvite declines the caller's invitation to administer channel id.
func (c *Client) DeclineAdminInvite(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/channel-admin-invites/%d/decline", id), nil, nil)
}

// RemoveChannelAdmin removes an admin, or withdraws a pending invitation (owner only).
func (c *Client) RemoveChannelAdmin(ctx context.Context, id, account int64) error {
	return c.do(ctx, http.MethodDelete, pathf("/v1/channels/%d/admins/%d", id, account), nil, nil)
}

// Follow follows a channel; for an approval-only channel the result's
// Status is "requested".
func (c *Client) Follow(ctx context.Context, id int64) (wire.FollowResult, error) {
	var r wire.FollowResult
	err := c.do(ctx, http.MethodPut, pathf("/v1/channels/%d/follow", id), nil, &r)
	return r, err
}

// Unfollow stops following a channel.
func (c *Client) Unfollow(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, pathf("/v1/channels/%d/follow", id), nil, nil)
}

// MuteChannel mutes or unmutes a followed channel.
func (c *Client) MuteChannel(ctx context.Context, id int64, muted bool) error {
	return c.do(ctx, http.MethodPut, pathf("/v1/channels/%d/mute", id), map[string]bool{"muted": muted}, nil)
}

// MarkChannelRead moves the read cursor up to seq.
func (c *Client) MarkChannelRead(ctx context.Context, id, seq int64) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/read", id), map[string]int64{"seq": seq}, nil)
}

// FollowRequests lists pending follow requests by their opaque ids (admins).
func (c *Client) FollowRequests(ctx context.Context, id int64) ([]wire.FollowRequestView, error) {
	var out struct {
		Requests []wire.FollowRequestView `json:"requests"`
	}
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/requests", id), nil, &out)
	return out.Requests, err
}

// AnswerFollowRequest approves or rejects a follow request (admins).
func (c *Client) AnswerFollowRequest(ctx context.Context, id int64, request string, approve bool) error {
	verb := "reject"
	if approve {
		verb = "approve"
	}
	return c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/requests/%s/", id, request)+verb, nil, nil)
}

// UploadChannelMedia uploads a file for a channel's posts (admins).
func (c *Client) UploadChannelMedia(ctx context.Context, id int64, contentType string, r io.Reader) (Media, error) {
	resp, err := c.send(ctx, http.MethodPost, pathf("/v1/channels/%d/media", id), contentType, r)
	if err != nil {
		return Media{}, err
	}
	defer resp.Body.Close()
	var m Media
	if err := decodeJSON(resp, &m); err != nil {
		return Media{}, err
	}
	return m, nil
}

// ChannelMedia downloads a channel's media.
func (c *Client) ChannelMedia(ctx context.Context, id int64, media string) (*Download, error) {
	return c.download(ctx, pathf("/v1/channels/%d/media/%s", id, media))
}

// Post posts to a channel (admins).
func (c *Client) Post(ctx context.Context, id int64, in wire.PostInput) (wire.PostView, error) {
	var v wire.PostView
	err := c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/posts", id), in, &v)
	return v, err
}

// Timeline returns up to limit posts older than before (the newest for 0).
func (c *Client) Timeline(ctx context.Context, id, before int64, limit int) (wire.TimelinePage, error) {
	q := url.Values{}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := pathf("/v1/channels/%d/posts", id)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var page wire.TimelinePage
	err := c.do(ctx, http.MethodGet, path, nil, &page)
	return page, err
}

// ChannelPost returns one post with its counts.
func (c *Client) ChannelPost(ctx context.Context, id, seq int64) (wire.PostView, error) {
	var v wire.PostView
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/posts/%d", id, seq), nil, &v)
	return v, err
}

// EditPost changes a post's text or link (admins, within the edit window).
func (c *Client) EditPost(ctx context.Context, id, seq int64, e wire.PostEdit) (wire.PostView, error) {
	var v wire.PostView
	err := c.do(ctx, http.MethodPatch, pathf("/v1/channels/%d/posts/%d", id, seq), e, &v)
	return v, err
}

// DeletePost deletes a post (admins, within the edit window).
func (c *Client) DeletePost(ctx context.Context, id, seq int64) error {
	return c.do(ctx, http.MethodDelete, pathf("/v1/channels/%d/posts/%d", id, seq), nil, nil)
}

// ReactToPost sets the caller's reaction; "" removes it.
func (c *Client) ReactToPost(ctx context.Context, id, seq int64, emoji string) error {
	if emoji == "" {
		return c.do(ctx, http.MethodDelete, pathf("/v1/channels/%d/posts/%d/reaction", id, seq), nil, nil)
	}
	return c.do(ctx, http.MethodPut, pathf("/v1/channels/%d/posts/%d/reaction", id, seq), map[string]string{"emoji": emoji}, nil)
}

// Vote replaces the caller's votes on a poll and returns the post with
// live counts.
func (c *Client) Vote(ctx context.Context, id, seq int64, options ...int) (wire.PostView, error) {
	if options == nil {
		options = []int{}
	}
	var v wire.PostView
	err := c.do(ctx, http.MethodPut, pathf("/v1/channels/%d/posts/%d/vote", id, seq), map[string][]int{"options": options}, &v)
	return v, err
}

// ForwardPost returns a snapshot of a post to put in chat envelopes.
func (c *Client) ForwardPost(ctx context.Context, id, seq int64) (wire.ForwardSnapshot, error) {
	var s wire.ForwardSnapshot
	err := c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/posts/%d/forward", id, seq), nil, &s)
	return s, err
}

// RecordViews counts the caller's views of posts (once per post).
func (c *Client) RecordViews(ctx context.Context, id int64, seqs ...int64) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/views", id), map[string][]int64{"seqs": seqs}, nil)
}

// ReportChannel reports a channel (seq 0) or one of its posts.
func (c *Client) ReportChannel(ctx context.Context, id, seq int64, reason string) error {
	return c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/reports", id), map[string]any{"seq": seq, "reason": reason}, nil)
}

// ChannelInsights returns aggregate statistics over the last days (admins).
func (c *Client) ChannelInsights(ctx context.Context, id int64, days int) (wire.Insights, error) {
	var in wire.Insights
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/insights?days=%d", id, days), nil, &in)
	return in, err
}

// DirectoryQuery selects channels in the directory.
type DirectoryQuery struct {
	Category, Country, Language string
	Q                           string // name or handle
	Sort                        string // popular (default), growth or new
	Offset, Limit               int
}

// Directory browses and searches listed channels.
func (c *Client) Directory(ctx context.Context, dq DirectoryQuery) ([]wire.ChannelView, error) {
	q := url.Values{}
	for k, v := range map[string]string{"category": dq.Category, "country": dq.Country, "language": dq.Language, "q": dq.Q, "sort": dq.Sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if dq.Offset > 0 {
		q.Set("offset", strconv.Itoa(dq.Offset))
	}
	if dq.Limit > 0 {
		q.Set("limit", strconv.Itoa(dq.Limit))
	}
	var out struct {
		Channels []wire.ChannelView `json:"channels"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/channels/directory?"+q.Encode(), nil, &out)
	return out.Channels, err
}

// Operator is a client of the operator API (/admin/v1), authenticated by
// the server's admin token rather than a device.
type Operator struct{ c *Client }

// NewOperator returns an operator client for baseURL.
func NewOperator(baseURL, adminToken string, opts ...Option) *Operator {
	return &Operator{c: New(baseURL, append(opts, WithToken(adminToken))...)}
}

// Channel returns a channel as the operator sees it.
func (o *Operator) Channel(ctx context.Context, id int64) (wire.OperatorChannel, error) {
	var v wire.OperatorChannel
	err := o.c.do(ctx, http.MethodGet, pathf("/admin/v1/channels/%d", id), nil, &v)
	return v, err
}

// SetVerified grants or removes a channel's verified badge.
func (o *Operator) SetVerified(ctx context.Context, id int64, verified bool) (wire.OperatorChannel, error) {
	var v wire.OperatorChannel
	err := o.c.do(ctx, http.MethodPut, pathf("/admin/v1/channels/%d/verified", id), map[string]bool{"verified": verified}, &v)
	return v, err
}

// Suspend suspends a channel with a reason its followers see.
func (o *Operator) Suspend(ctx context.Context, id int64, reason string) (wire.OperatorChannel, error) {
	var v wire.OperatorChannel
	err := o.c.do(ctx, http.MethodPut, pathf("/admin/v1/channels/%d/suspension", id), map[string]string{"reason": reason}, &v)
	return v, err
}

// Unsuspend lifts a suspension.
func (o *Operator) Unsuspend(ctx context.Context, id int64) (wire.OperatorChannel, error) {
	var v wire.OperatorChannel
	err := o.c.do(ctx, http.MethodDelete, pathf("/admin/v1/channels/%d/suspension", id), nil, &v)
	return v, err
}

// Reports lists the newest channel reports.
func (o *Operator) Reports(ctx context.Context) ([]wire.ReportView, error) {
	var out struct {
		Reports []wire.ReportView `json:"reports"`
	}
	err := o.c.do(ctx, http.MethodGet, "/admin/v1/channel-reports", nil, &out)
	return out.Reports, err
}

// Tiers lists a channel's subscription tiers.
func (c *Client) Tiers(ctx context.Context, id int64) ([]wire.TierView, error) {
	var out struct {
		Tiers []wire.TierView `json:"tiers"`
	}
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/tiers", id), nil, &out)
	return out.Tiers, err
}

// CreateTier adds a monthly tier (owner only).
func (c *Client) CreateTier(ctx context.Context, id int64, name string, priceMinor int64) (wire.TierView, error) {
	var t wire.TierView
	err := c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/tiers", id), map[string]any{"name": name, "price_minor": priceMinor}, &t)
	return t, err
}

// CloseTier closes a tier to new subscribers (owner only).
func (c *Client) CloseTier(ctx context.Context, id, tier int64) error {
	return c.do(ctx, http.MethodDelete, pathf("/v1/channels/%d/tiers/%d", id, tier), nil, nil)
}

// Subscribe subscribes to a tier, paying with method.
func (c *Client) Subscribe(ctx context.Context, id, tier int64, method string) (wire.SubscriptionView, error) {
	var v wire.SubscriptionView
	err := c.do(ctx, http.MethodPut, pathf("/v1/channels/%d/subscription", id), map[string]any{"tier_id": tier, "payment_method": method}, &v)
	return v, err
}

// Subscription returns the caller's subscription to a channel.
func (c *Client) Subscription(ctx context.Context, id int64) (wire.SubscriptionView, error) {
	var v wire.SubscriptionView
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/subscription", id), nil, &v)
	return v, err
}

// CancelSubscription stops renewal at the end of the paid period.
func (c *Client) CancelSubscription(ctx context.Context, id int64) (wire.SubscriptionView, error) {
	var v wire.SubscriptionView
	err := c.do(ctx, http.MethodDelete, pathf("/v1/channels/%d/subscription", id), nil, &v)
	return v, err
}

// ChannelRevenue returns subscription counts and sums (owner only).
func (c *Client) ChannelRevenue(ctx context.Context, id int64) (wire.ChannelRevenue, error) {
	var r wire.ChannelRevenue
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/revenue", id), nil, &r)
	return r, err
}

// Promote buys promoted directory placement (owner only).
func (c *Client) Promote(ctx context.Context, id int64, days int, budgetMinor int64, method string) (wire.PromotionView, error) {
	var v wire.PromotionView
	err := c.do(ctx, http.MethodPost, pathf("/v1/channels/%d/promotions", id), map[string]any{"days": days, "budget_minor": budgetMinor, "payment_method": method}, &v)
	return v, err
}

// Promotions lists the channel's promotions (owner only).
func (c *Client) Promotions(ctx context.Context, id int64) ([]wire.PromotionView, error) {
	var out struct {
		Promotions []wire.PromotionView `json:"promotions"`
	}
	err := c.do(ctx, http.MethodGet, pathf("/v1/channels/%d/promotions", id), nil, &out)
	return out.Promotions, err
}

// Ledger returns the channel ledger's entries with id > after.
func (o *Operator) Ledger(ctx context.Context, after int64) ([]wire.LedgerEntry, error) {
	var out struct {
		Entries []wire.LedgerEntry `json:"entries"`
	}
	err := o.c.do(ctx, http.MethodGet, pathf("/admin/v1/channels/ledger?after=%d", after), nil, &out)
	return out.Entries, err
}
