package channel

import (
	"crypto/rand"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// Channels are one-to-many broadcasts: admins post, followers read. Unlike
// chats, channel posts are not end-to-end encrypted (as with WhatsApp
// Channels): the server stores each post once and followers read the
// timeline from it (fan-out on read). Follower identities are never shown
// to admins or other followers; everything about followers is a count.

// Config is the channels' behaviour. Zero fields take the defaults
// documented beside them.
type Config struct {
	EditWindow     time.Duration // admins may edit or delete a post this long; default 30 days
	Retention      time.Duration // posts are purged after this; default 30 days
	MaxPostText    int           // characters of a post's text; default 4096
	MaxPollOptions int           // default 12
	MaxAdmins      int           // admins per channel, the owner included; default 16
	SweepInterval  time.Duration // how often old posts are purged and subscriptions renewed; default 1m

	// Paid subscriptions and promotions. Prices are integer minor units
	// of Currency.
	TierMinPrice       int64         // lowest monthly tier price the operator allows; default 99
	TierMaxPrice       int64         // highest; default 99999
	Currency           string        // default "USD"
	RevenueShareBP     int           // the operator's share of each charge in basis points; default 3000 (30%)
	SubscriptionPeriod time.Duration // default 30 days
	ImpressionCost     int64         // cost of one promoted directory impression; default 1
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def := func(p *time.Duration, d time.Duration) {
		if *p == 0 {
			*p = d
		}
	}
	def(&c.EditWindow, 30*24*time.Hour)
	def(&c.Retention, 30*24*time.Hour)
	def(&c.SweepInterval, time.Minute)
	if c.MaxPostText == 0 {
		c.MaxPostText = 4096
	}
	if c.MaxPollOptions == 0 {
		c.MaxPollOptions = 12
	}
	if c.MaxAdmins == 0 {
		c.MaxAdmins = 16
	}
	if c.TierMinPrice == 0 {
		c.TierMinPrice = 99
	}
	if c.TierMaxPrice == 0 {
		c.TierMaxPrice = 99_999
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	if c.RevenueShareBP == 0 {
		c.RevenueShareBP = 3000
	}
	def(&c.SubscriptionPeriod, 30*24*time.Hour)
	if c.ImpressionCost == 0 {
		c.ImpressionCost = 1
	}
	return c
}

// ChannelCategories are the directory's categories.
var ChannelCategories = []string{"news", "sports", "entertainment", "business", "lifestyle",
	"people", "organizations", "technology", "education", "other"}

// Channel is a broadcast channel.
type Channel struct {
	ID             int64
	Handle         string // unique, lower case
	Name           string
	Description    string
	PictureMediaID string
	Category       string
	Country        string // ISO 3166-1 alpha-2, upper case, or ""
	Language       string // ISO 639-1, lower case, or ""
	OwnerID        int64
	Verified       bool // granted by the operator
	Listed         bool // shown in the directory
	FollowPolicy   FollowPolicy
	AllowForwards  bool
	AllowReactions bool
	InviteCode     string // opaque; opens the channel directly
	SuspendReason  string // "" unless suspended by the operator
	SuspendedAt    time.Time
	CreatedAt      time.Time
	LastSeq        int64 // sequence number of the newest post
	Followers      int64 // current follower count
}

// Suspended reports whether the operator suspended the channel.
func (c Channel) Suspended() bool { return !c.SuspendedAt.IsZero() }

// ChannelAdminRow is one admin of a channel.
type ChannelAdminRow struct {
	ChannelID int64
	AccountID int64
	Role      ChannelRole
	AddedAt   time.Time
}

// AdminInvite is the owner's pending invitation to an account to become
// an admin of a channel. Nobody becomes an admin without accepting one.
type AdminInvite struct {
	ChannelID int64
	AccountID int64 // the invitee
	InvitedBy int64
	CreatedAt time.Time
}

// Follow is an account's follow of a channel. It is never shown to anyone
// but the follower.
type Follow struct {
	ChannelID  int64
	AccountID  int64
	Muted      bool
	ReadSeq    int64 // the highest post sequence the follower has read
	FollowedAt time.Time
}

// FollowRequest is a pending request to follow a channel whose policy is
// "approved". Admins see only its opaque ID and time, never who asked.
type FollowRequest struct {
	ID        string
	ChannelID int64
	AccountID int64
	CreatedAt time.Time
}

// The channel's names for the enumerations it shares with clients: the
// types and their values are wire's (package wire), so that a client reads
// them without compiling the domain.
type (
	// PostKind is what a post carries.
	PostKind = wire.PostKind
	// FollowPolicy says who may follow a channel.
	FollowPolicy = wire.FollowPolicy
	// ChannelRole is an admin's role in a channel.
	ChannelRole = wire.ChannelRole
	// SubscriptionStatus is where a subscription stands.
	SubscriptionStatus = wire.SubscriptionStatus
)

// The post kinds, follow policies, channel roles and subscription states.
const (
	PostText  = wire.PostText
	PostMedia = wire.PostMedia
	PostLink  = wire.PostLink
	PostPoll  = wire.PostPoll

	FollowAnyone   = wire.FollowAnyone
	FollowApproved = wire.FollowApproved

	ChannelOwner = wire.ChannelOwner
	ChannelAdmin = wire.ChannelAdmin

	SubActive    = wire.SubActive
	SubLapsed    = wire.SubLapsed
	SubCancelled = wire.SubCancelled
)

// Post is one channel post, stored once for all followers.
type Post struct {
	ChannelID      int64
	Seq            int64
	Kind           PostKind
	Text           string
	MediaID        string
	Link           string
	Poll           *wire.Poll
	SubscriberOnly bool
	AuthorID       int64
	CreatedAt      time.Time
	EditedAt       time.Time // zero if never edited
	Views          int64     // unique views
}

// PostStats are a post's aggregate reactions and votes.
type PostStats struct {
	Reactions map[string]int64 // emoji → count
	Votes     []int64          // per poll option
	Voters    int64            // distinct voters
}

// PostMine is the caller's own reaction and votes on a post.
type PostMine struct {
	Reaction string
	Votes    []int
}

// ChannelDay is one day's follow aggregate for insights. Day is the UTC
// day as days since 1970-01-01.
type ChannelDay struct {
	ChannelID int64
	Day       int64
	Follows   int64
	Unfollows int64
	Followers int64 // follower count at the end of the day (last change)
}

// ChannelReport is a report of a channel or one of its posts.
type ChannelReport struct {
	ID         int64
	ChannelID  int64
	PostSeq    int64 // 0 for the channel itself
	ReporterID int64 // kept to count each reporter once; never shown
	Reason     string
	CreatedAt  time.Time
}

// DirectorySort orders directory results.
type DirectorySort string

// The directory orders.
const (
	SortPopular DirectorySort = "popular" // most followers
	SortGrowth  DirectorySort = "growth"  // most new follows in the last 7 days
	SortNew     DirectorySort = "new"     // newest channels
)

// DirectoryQuery selects listed, unsuspended channels.
type DirectoryQuery struct {
	Category string
	Country  string
	Language string
	Search   string // matches name or handle, case-insensitive
	Sort     DirectorySort
	Since    int64 // for SortGrowth: the first day (days since epoch) counted
	Offset   int
	Limit    int
}

// DayOf returns t's UTC day as days since 1970-01-01.
func DayOf(t time.Time) int64 { return t.UTC().Unix() / 86400 }

// ChannelSubject is the bus subject on which a channel's new posts are
// published, once per post, for every gateway to fan out to its local
// followers.
func ChannelSubject(channelID int64) string {
	return "parley.channel." + strconv.FormatInt(channelID, 10)
}

var handleRE = regexp.MustCompile(`^[a-z][a-z0-9_]{2,31}$`)

// NormalizeHandle lower-cases a handle (an optional leading @ is dropped)
// and checks it: 3 to 32 of a-z, 0-9 and _, starting with a letter.
func NormalizeHandle(h string) (string, error) {
	h = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
	if !handleRE.MatchString(h) {
		return "", parley.InvalidField("handle", "a handle is 3 to 32 letters, digits or _, starting with a letter")
	}
	return h, nil
}

// ValidRunes checks a human-readable field of min to max characters that
// may run over lines (parley.CheckText, Lines); a one-line field checks
// parley.Line first.
func ValidRunes(field, s string, min, max int) error {
	if err := parley.CheckText(field, s, parley.Lines); err != nil {
		return err
	}
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < min || n > max {
		if min == 0 {
			return parley.InvalidField(field, field+" must be at most "+strconv.Itoa(max)+" characters")
		}
		return parley.InvalidField(field, field+" must be "+strconv.Itoa(min)+" to "+strconv.Itoa(max)+" characters")
	}
	return nil
}

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
var languageRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// validateChannel checks the profile fields of c (after normalising
// country and language case).
func validateChannel(c *Channel) error {
	c.Country = strings.ToUpper(strings.TrimSpace(c.Country))
	c.Language = strings.ToLower(strings.TrimSpace(c.Language))
	if err := parley.CheckText("name", c.Name, parley.Line); err != nil {
		return err
	}
	if err := ValidRunes("name", c.Name, 1, 100); err != nil {
		return err
	}
	if err := ValidRunes("description", c.Description, 0, 2000); err != nil {
		return err
	}
	if c.Category == "" {
		c.Category = "other"
	}
	if !containsString(ChannelCategories, c.Category) {
		return &parley.Error{Code: parley.EInvalid, Message: "unknown category", Details: map[string]any{"field": "category", "allowed": ChannelCategories}}
	}
	if c.Country != "" && !countryRE.MatchString(c.Country) {
		return parley.InvalidField("country", "country must be a two-letter ISO 3166 code such as BR")
	}
	if c.Language != "" && !languageRE.MatchString(c.Language) {
		return parley.InvalidField("language", "language must be an ISO 639 code such as pt")
	}
	if c.FollowPolicy != FollowAnyone && c.FollowPolicy != FollowApproved {
		return parley.InvalidField("follow_policy", "follow_policy must be anyone or approved")
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// newOpaqueID returns a random, unguessable identifier (26 base32 characters).
func newOpaqueID() string { return strings.ToLower(rand.Text()) }
