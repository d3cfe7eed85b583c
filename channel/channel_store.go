package channel

import (
	"context"
	"time"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/money"
)

// ChannelStore holds channels, their admins, followers (as rows that only
// the Service reads), posts, reactions, votes, views and aggregates.
// Counts (followers, views, reactions, votes) are kept so that concurrent
// writers neither lose nor double them.
type Store interface {
	// CreateChannel inserts c and its owner as admin, and sets c.ID. It
	// returns EConflict if the handle or invite code is taken.
	CreateChannel(ctx context.Context, c *Channel) error
	// GetChannel returns the channel, or ErrNotFound.
	GetChannel(ctx context.Context, id int64) (Channel, error)
	// GetChannelByInvite returns the channel with that invite code, or ErrNotFound.
	GetChannelByInvite(ctx context.Context, code string) (Channel, error)
	// UpdateChannel writes the profile and settings of c (Name,
	// Description, PictureMediaID, Category, Country, Language, Listed,
	// FollowPolicy, AllowForwards, AllowReactions, InviteCode). ErrNotFound
	// for an unknown channel, EConflict for a taken invite code.
	UpdateChannel(ctx context.Context, c Channel) error
	// SetChannelVerified sets the verified badge, or returns ErrNotFound.
	SetChannelVerified(ctx context.Context, id int64, verified bool) error
	// SetChannelSuspension suspends the channel with reason at t, or lifts
	// the suspension when t is zero. ErrNotFound for an unknown channel.
	SetChannelSuspension(ctx context.Context, id int64, reason string, t time.Time) error

	// ChannelAdmins returns the channel's admins, owner first, then by account id.
	ChannelAdmins(ctx context.Context, channelID int64) ([]ChannelAdminRow, error)
	// GetChannelAdmin returns one admin row, or ErrNotFound.
	GetChannelAdmin(ctx context.Context, channelID, accountID int64) (ChannelAdminRow, error)
	// AddChannelAdmin adds an admin; adding one twice is not an error. It
	// returns ELimit, atomically, if the channel would have more than limit
	// admins, and ErrNotFound for an unknown channel or account.
	AddChannelAdmin(ctx context.Context, a ChannelAdminRow, limit int) error
	// RemoveChannelAdmin removes an admin, or returns ErrNotFound.
	RemoveChannelAdmin(ctx context.Context, channelID, accountID int64) error
	// AdminChannels returns the channels accountID administers, by id.
	AdminChannels(ctx context.Context, accountID int64) ([]Channel, error)

	// InviteChannelAdmin stores inv, returns it and reports true. If the
	// account is already invited it returns that invitation, stores
	// nothing and reports false. It
	// returns EConflict if the account is already an admin, ELimit,
	// atomically, if the channel's admins and pending invitations would
	// be more than limit, and ErrNotFound for an unknown channel or account.
	InviteChannelAdmin(ctx context.Context, inv AdminInvite, limit int) (AdminInvite, bool, error)
	// ChannelAdminInvites returns the channel's pending invitations, by account id.
	ChannelAdminInvites(ctx context.Context, channelID int64) ([]AdminInvite, error)
	// AdminInvitesOf returns the invitations pending for accountID, oldest first.
	AdminInvitesOf(ctx context.Context, accountID int64) ([]AdminInvite, error)
	// AcceptChannelAdminInvite deletes the invitation and makes the
	// account an admin (role ChannelAdmin, added at at) in one
	// transaction, or returns ErrNotFound if there is no invitation.
	AcceptChannelAdminInvite(ctx context.Context, channelID, accountID int64, at time.Time) error
	// DeleteChannelAdminInvite deletes an invitation (declined or
	// withdrawn), or returns ErrNotFound.
	DeleteChannelAdminInvite(ctx context.Context, channelID, accountID int64) error

	// AddChannelMedia records media as the channel's: only that channel's
	// media route serves it. Recording it again for the same channel is
	// not an error; EConflict if it is another channel's, ErrNotFound for
	// an unknown media or channel.
	AddChannelMedia(ctx context.Context, channelID int64, mediaID string) error
	// IsChannelMedia reports whether the media was recorded for the channel.
	IsChannelMedia(ctx context.Context, channelID int64, mediaID string) (bool, error)

	// AddFollow records f, adds one to the channel's follower count and to
	// the follows of f.FollowedAt's day, and reports true. If the account
	// already follows, nothing changes and it reports false. ErrNotFound
	// for an unknown channel or account.
	AddFollow(ctx context.Context, f Follow) (bool, error)
	// RemoveFollow deletes the follow, takes one from the follower count,
	// adds one to the unfollows of at's day, and reports true; false if
	// the account did not follow.
	RemoveFollow(ctx context.Context, channelID, accountID int64, at time.Time) (bool, error)
	// GetFollow returns the follow, or ErrNotFound.
	GetFollow(ctx context.Context, channelID, accountID int64) (Follow, error)
	// SetFollowMuted sets Muted, or returns ErrNotFound.
	SetFollowMuted(ctx context.Context, channelID, accountID int64, muted bool) error
	// RaiseReadSeq sets ReadSeq to seq if that is higher, or returns ErrNotFound.
	RaiseReadSeq(ctx context.Context, channelID, accountID, seq int64) error
	// FollowedChannels returns the accounts's follows and their channels, by channel id.
	FollowedChannels(ctx context.Context, accountID int64) ([]Follow, []Channel, error)

	// PutFollowRequest stores r. If the account already has a request for
	// the channel, it returns that one instead and stores nothing.
	PutFollowRequest(ctx context.Context, r FollowRequest) (FollowRequest, error)
	// FollowRequests returns up to limit of the channel's requests, oldest first.
	FollowRequests(ctx context.Context, channelID int64, limit int) ([]FollowRequest, error)
	// CountFollowRequests returns how many requests the channel has pending.
	CountFollowRequests(ctx context.Context, channelID int64) (int64, error)
	// GetFollowRequest returns a request of the channel, or ErrNotFound.
	GetFollowRequest(ctx context.Context, channelID int64, id string) (FollowRequest, error)
	// FollowRequestOf returns the account's request for the channel, or ErrNotFound.
	FollowRequestOf(ctx context.Context, channelID, accountID int64) (FollowRequest, error)
	// DeleteFollowRequest deletes a request, or returns ErrNotFound.
	DeleteFollowRequest(ctx context.Context, channelID int64, id string) error

	// CreatePost sets p.Seq to the channel's next sequence number and
	// inserts p, in one transaction. ErrNotFound for an unknown channel.
	CreatePost(ctx context.Context, p *Post) error
	// GetPost returns the post, or ErrNotFound.
	GetPost(ctx context.Context, channelID, seq int64) (Post, error)
	// UpdatePost writes Text, Link, MediaID and EditedAt, or returns ErrNotFound.
	UpdatePost(ctx context.Context, p Post) error
	// DeletePost deletes the post with its reactions, votes and views, or
	// returns ErrNotFound.
	DeletePost(ctx context.Context, channelID, seq int64) error
	// Posts returns up to limit posts with Seq < before (any, for before
	// <= 0), newest first. Subscriber-only posts are left out unless
	// withSubscriberOnly.
	Posts(ctx context.Context, channelID, before int64, limit int, withSubscriberOnly bool) ([]Post, error)
	// PurgePosts deletes up to limit posts created before t, with their
	// reactions, votes and views, and returns how many.
	PurgePosts(ctx context.Context, before time.Time, limit int) (int, error)

	// SetReaction sets accountID's reaction on a post ("" removes it).
	// ErrNotFound for an unknown post.
	SetReaction(ctx context.Context, channelID, seq, accountID int64, emoji string) error
	// SetVotes replaces accountID's votes on a poll post with options (none
	// removes them). ErrNotFound for an unknown post.
	SetVotes(ctx context.Context, channelID, seq, accountID int64, options []int) error
	// PostStats returns the reactions and votes of the given posts; posts
	// with neither have no key. Votes has one entry per voted option up to
	// the highest voted option index.
	PostStats(ctx context.Context, channelID int64, seqs []int64) (map[int64]PostStats, error)
	// PostMine returns accountID's reactions and votes on the given posts.
	PostMine(ctx context.Context, channelID, accountID int64, seqs []int64) (map[int64]PostMine, error)
	// AddView counts viewer (an opaque hash) once per post and reports
	// whether this view was new. ErrNotFound for an unknown post.
	AddView(ctx context.Context, channelID, seq int64, viewer []byte) (bool, error)

	// Directory returns the channels that match q (Listed and not
	// suspended only), in q.Sort order, then by id.
	Directory(ctx context.Context, q DirectoryQuery) ([]Channel, error)
	// ChannelDays returns the channel's daily aggregates with from <= Day
	// <= to, ascending.
	ChannelDays(ctx context.Context, channelID, from, to int64) ([]ChannelDay, error)

	// AddChannelReport stores r and sets r.ID. A second report of the same
	// channel and post by the same reporter is not stored and not an error.
	AddChannelReport(ctx context.Context, r *ChannelReport) error
	// ChannelReports returns up to limit reports, newest first.
	ChannelReports(ctx context.Context, limit int) ([]ChannelReport, error)

	ChannelMoneyStore

	// From the chat core's tables: an owner's account, a post's media.
	// GetAccount returns the account, or ErrNotFound.
	GetAccount(ctx context.Context, id int64) (chat.Account, error)
	// GetMedia returns the media, or ErrNotFound.
	GetMedia(ctx context.Context, id string) (chat.Media, error)
}

// ChannelMoneyStore holds channel subscription tiers, subscriptions,
// promotions and the channel ledger. It is part of ChannelStore.
type ChannelMoneyStore interface {
	// CreateTier inserts t and sets t.ID. ErrNotFound for an unknown channel.
	CreateTier(ctx context.Context, t *Tier) error
	// GetTier returns a tier of the channel, or ErrNotFound.
	GetTier(ctx context.Context, channelID, id int64) (Tier, error)
	// Tiers returns the channel's tiers, by price then id.
	Tiers(ctx context.Context, channelID int64) ([]Tier, error)
	// SetTierActive opens or closes a tier to new subscribers, or returns ErrNotFound.
	SetTierActive(ctx context.Context, channelID, id int64, active bool) error

	// PutSubscription inserts s, or replaces the account's subscription to
	// the channel, and sets s.ID.
	PutSubscription(ctx context.Context, s *Subscription) error
	// GetSubscription returns the account's subscription, or ErrNotFound.
	GetSubscription(ctx context.Context, channelID, accountID int64) (Subscription, error)
	// DueSubscriptions returns up to limit active subscriptions whose
	// period ended at or before now, by period end.
	DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]Subscription, error)
	// CountSubscribers returns the channel's active subscriptions.
	CountSubscribers(ctx context.Context, channelID int64) (int64, error)

	// CreatePromotion inserts p and sets p.ID.
	CreatePromotion(ctx context.Context, p *Promotion) error
	// GetPromotion returns a promotion, or ErrNotFound.
	GetPromotion(ctx context.Context, id int64) (Promotion, error)
	// Promotions returns the channel's promotions, newest first.
	Promotions(ctx context.Context, channelID int64) ([]Promotion, error)
	// LivePromotions returns up to limit promotions running at now whose
	// spend is under budget, least spent first.
	LivePromotions(ctx context.Context, now time.Time, limit int) ([]Promotion, error)
	// AddPromotionImpression counts one impression costing cost, atomically.
	AddPromotionImpression(ctx context.Context, id, cost int64) error
	// AddPromotionFollow counts one follow from the promotion.
	AddPromotionFollow(ctx context.Context, id int64) error
	// EndedPromotions returns up to limit promotions that ended before now
	// and are not settled.
	EndedPromotions(ctx context.Context, now time.Time, limit int) ([]Promotion, error)
	// SettlePromotion marks a promotion settled.
	SettlePromotion(ctx context.Context, id int64) error

	money.LedgerWriter
	// ChannelLedger returns the channel's ledger entries (all for 0) with
	// id > after, ascending, at most limit.
	ChannelLedger(ctx context.Context, channelID, after int64, limit int) ([]money.LedgerEntry, error)
}
