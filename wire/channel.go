package wire

import "time"

// PostKind is what a post carries.
type PostKind string

// The post kinds.
const (
	PostText  PostKind = "text"
	PostMedia PostKind = "media" // a media id, with optional caption in Text
	PostLink  PostKind = "link"  // a URL, with optional text
	PostPoll  PostKind = "poll"  // Text is the question
)

// PostView is a post as a reader sees it: content and aggregate counts,
// and the reader's own reaction and votes. Nothing identifies a follower.
type PostView struct {
	ChannelID      int64            `json:"channel_id"`
	Seq            int64            `json:"seq"`
	Kind           PostKind         `json:"kind"`
	Text           string           `json:"text,omitempty"`
	MediaID        string           `json:"media_id,omitempty"`
	Link           string           `json:"link,omitempty"`
	Poll           *PollView        `json:"poll,omitempty"`
	SubscriberOnly bool             `json:"subscriber_only,omitempty"`
	Locked         bool             `json:"locked,omitempty"` // subscriber-only content withheld from this reader
	CreatedAt      time.Time        `json:"created_at"`
	EditedAt       *time.Time       `json:"edited_at,omitempty"`
	Views          int64            `json:"views"`
	Reactions      map[string]int64 `json:"reactions,omitempty"`
	MyReaction     string           `json:"my_reaction,omitempty"`
}

// PollView is a poll with live counts.
type PollView struct {
	Options  []string `json:"options"`
	Multiple bool     `json:"multiple"`
	Votes    []int64  `json:"votes"`  // one count per option
	Voters   int64    `json:"voters"` // distinct voters
	MyVotes  []int    `json:"my_votes,omitempty"`
}

// FollowPolicy says who may follow a channel.
type FollowPolicy string

// The follow policies.
const (
	FollowAnyone   FollowPolicy = "anyone"
	FollowApproved FollowPolicy = "approved" // an admin approves each follow request
)

// ChannelRole is an admin's role in a channel.
type ChannelRole string

// The channel roles. There is one owner; only the owner adds and removes
// admins.
const (
	ChannelOwner ChannelRole = "owner"
	ChannelAdmin ChannelRole = "admin"
)

// Poll is a post's poll.
type Poll struct {
	Options  []string `json:"options"`
	Multiple bool     `json:"multiple"` // several options may be chosen
}

// ChannelView is a channel as a caller sees it. Admin-only fields
// (InviteCode, PendingRequests) are empty for others. Nothing in it
// identifies a follower.
type ChannelView struct {
	ID             int64        `json:"id"`
	Handle         string       `json:"handle"`
	Name           string       `json:"name"`
	Description    string       `json:"description"`
	PictureMediaID string       `json:"picture_media_id,omitempty"`
	Category       string       `json:"category"`
	Country        string       `json:"country,omitempty"`
	Language       string       `json:"language,omitempty"`
	Verified       bool         `json:"verified"`
	Followers      int64        `json:"followers"`
	LastSeq        int64        `json:"last_seq"`
	CreatedAt      time.Time    `json:"created_at"`
	Listed         bool         `json:"listed"`
	FollowPolicy   FollowPolicy `json:"follow_policy"`
	AllowForwards  bool         `json:"allow_forwards"`
	AllowReactions bool         `json:"allow_reactions"`
	Suspended      bool         `json:"suspended"`
	SuspendReason  string       `json:"suspend_reason,omitempty"`
	Promoted       bool         `json:"promoted,omitempty"` // a paid directory placement

	// The caller's relation to the channel.
	Role      ChannelRole `json:"role,omitempty"` // owner or admin
	Following bool        `json:"following"`
	Requested bool        `json:"requested,omitempty"` // the caller's follow request is pending
	Muted     bool        `json:"muted,omitempty"`
	ReadSeq   int64       `json:"read_seq,omitempty"`
	Unread    int64       `json:"unread,omitempty"`

	// Admins only.
	InviteCode      string `json:"invite_code,omitempty"`
	PendingRequests int64  `json:"pending_requests,omitempty"`
}

// ChannelInput is a new channel's profile and settings. Nil settings take
// their defaults: listed, anyone may follow, forwards and reactions allowed.
type ChannelInput struct {
	Handle         string        `json:"handle"`
	Name           string        `json:"name"`
	Description    string        `json:"description"`
	PictureMediaID string        `json:"picture_media_id"`
	Category       string        `json:"category"`
	Country        string        `json:"country"`
	Language       string        `json:"language"`
	Listed         *bool         `json:"listed"`
	FollowPolicy   *FollowPolicy `json:"follow_policy"`
	AllowForwards  *bool         `json:"allow_forwards"`
	AllowReactions *bool         `json:"allow_reactions"`
}

// ChannelUpdate changes the fields that are not nil.
type ChannelUpdate struct {
	Name           *string       `json:"name"`
	Description    *string       `json:"description"`
	PictureMediaID *string       `json:"picture_media_id"`
	Category       *string       `json:"category"`
	Country        *string       `json:"country"`
	Language       *string       `json:"language"`
	Listed         *bool         `json:"listed"`
	FollowPolicy   *FollowPolicy `json:"follow_policy"`
	AllowForwards  *bool         `json:"allow_forwards"`
	AllowReactions *bool         `json:"allow_reactions"`
}

// ChannelAdminView is one admin as the channel's admins see it. Admins are
// the channel's public voice, not followers; only other admins see them.
type ChannelAdminView struct {
	AccountID int64       `json:"account_id"`
	Role      ChannelRole `json:"role"`
}

// ChannelAdminInviteView is a pending invitation to become a channel's
// admin. The owner sees it in the channel's admin list (without Channel)
// and in the answer to the invitation; the invitee in
// GET /v1/channel-admin-invites, with the channel.
type ChannelAdminInviteView struct {
	ChannelID int64        `json:"channel_id"`
	AccountID int64        `json:"account_id"`
	InvitedBy int64        `json:"invited_by"`
	CreatedAt time.Time    `json:"created_at"`
	Channel   *ChannelView `json:"channel,omitempty"`
}

// FollowResult says whether a follow took effect or awaits approval.
type FollowResult struct {
	Status    string `json:"status"`               // following | requested
	RequestID string `json:"request_id,omitempty"` // the caller's own pending request
}

// FollowRequestView is a pending follow request as admins see it: an
// opaque handle and a time, never who asked.
type FollowRequestView struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

// PostInput is a new post.
type PostInput struct {
	Kind           PostKind `json:"kind"`
	Text           string   `json:"text"`
	MediaID        string   `json:"media_id"`
	Link           string   `json:"link"`
	Poll           *Poll    `json:"poll"`
	SubscriberOnly bool     `json:"subscriber_only"`
}

// PostEdit changes the fields that are not nil.
type PostEdit struct {
	Text *string `json:"text"`
	Link *string `json:"link"`
}

// TimelinePage is one page of a channel's timeline, newest first. Next is
// the "before" cursor of the following page, 0 at the end.
type TimelinePage struct {
	Posts []PostView `json:"posts"`
	Next  int64      `json:"next,omitempty"`
}

// ForwardSnapshot is what a client puts inside the envelopes of a chat
// message that forwards a channel post: the server does not make the
// envelopes, it only checks that forwarding is allowed.
type ForwardSnapshot struct {
	ChannelID     int64     `json:"channel_id"`
	ChannelHandle string    `json:"channel_handle"`
	ChannelName   string    `json:"channel_name"`
	Verified      bool      `json:"verified"`
	Seq           int64     `json:"seq"`
	Kind          PostKind  `json:"kind"`
	Text          string    `json:"text,omitempty"`
	MediaID       string    `json:"media_id,omitempty"`
	Link          string    `json:"link,omitempty"`
	Poll          *Poll     `json:"poll,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// Insights are a channel's aggregate statistics for its admins. Nothing
// in them identifies a follower.
type Insights struct {
	ChannelID int64         `json:"channel_id"`
	Followers int64         `json:"followers"`
	Days      []InsightDay  `json:"days"`  // one per day with follow activity, ascending
	Posts     []PostInsight `json:"posts"` // the newest posts
}

// InsightDay is one day of follower activity.
type InsightDay struct {
	Date      string `json:"date"` // YYYY-MM-DD, UTC
	Follows   int64  `json:"follows"`
	Unfollows int64  `json:"unfollows"`
	Net       int64  `json:"net"`
	Followers int64  `json:"followers"` // at the end of the day
}

// PostInsight is one post's reach.
type PostInsight struct {
	Seq       int64            `json:"seq"`
	CreatedAt time.Time        `json:"created_at"`
	Views     int64            `json:"views"` // unique
	Reactions map[string]int64 `json:"reactions,omitempty"`
	Votes     []int64          `json:"votes,omitempty"`
	Voters    int64            `json:"voters,omitempty"`
}

// ReportView is a report as the operator sees it: what was reported and
// why, not by whom.
type ReportView struct {
	ID        int64     `json:"id"`
	ChannelID int64     `json:"channel_id"`
	PostSeq   int64     `json:"post_seq,omitempty"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// OperatorChannel is a channel as the operator sees it.
type OperatorChannel struct {
	ID            int64     `json:"id"`
	Handle        string    `json:"handle"`
	Name          string    `json:"name"`
	OwnerID       int64     `json:"owner_id"`
	Verified      bool      `json:"verified"`
	Followers     int64     `json:"followers"`
	Suspended     bool      `json:"suspended"`
	SuspendReason string    `json:"suspend_reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// SubscriptionStatus is where a subscription stands.
type SubscriptionStatus string

// The subscription states.
const (
	SubActive    SubscriptionStatus = "active"    // paid through PeriodEnd
	SubLapsed    SubscriptionStatus = "lapsed"    // a renewal charge failed
	SubCancelled SubscriptionStatus = "cancelled" // cancelled by the subscriber, after the paid period ran out
)

// TierView is a tier as anyone who may read the channel sees it.
type TierView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Price    Money  `json:"price"`
	Active   bool   `json:"active"`
	Interval string `json:"interval"` // "month"
}

// SubscriptionView is the subscriber's own subscription.
type SubscriptionView struct {
	ChannelID   int64              `json:"channel_id"`
	TierID      int64              `json:"tier_id"`
	Price       Money              `json:"price"`
	Status      SubscriptionStatus `json:"status"`
	PeriodEnd   time.Time          `json:"period_end"`
	CancelAtEnd bool               `json:"cancel_at_period_end"`
}

// PromotionView is a promotion as the channel's owner sees it: spend and
// aggregate results only.
type PromotionView struct {
	ID          int64     `json:"id"`
	Budget      Money     `json:"budget"`
	Spent       Money     `json:"spent"`
	Impressions int64     `json:"impressions"`
	Follows     int64     `json:"follows"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Settled     bool      `json:"settled"`
}

// ChannelRevenue is a channel's subscription figures for its owner:
// counts and sums, never subscribers.
type ChannelRevenue struct {
	Subscribers   int64         `json:"subscribers"`
	Gross         Money         `json:"gross"`
	OperatorShare Money         `json:"operator_share"`
	Net           Money         `json:"net"`
	Entries       []LedgerEntry `json:"entries"`
}
