package ads

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// Objectives: what a click on the ad does.
const (
	ObjectiveChat   = "chat"   // open a chat with a business number (click-to-chat, referral, free entry window)
	ObjectiveFollow = "follow" // follow a channel
	ObjectiveLink   = "link"   // open a web page
)

// Placements: where an ad may show. Never in a 1:1 or group chat.
const (
	PlacementUpdatesFeed = "updates_feed" // the Updates tab, between channel posts
	PlacementUpdatesList = "updates_list" // the Updates tab, in the channel list
	PlacementDirectory   = "directory"    // the channel directory
	PlacementInChannel   = "in_channel"   // inside a public channel whose owner opted in
)

// Placements lists every placement.
var Placements = []string{PlacementUpdatesFeed, PlacementUpdatesList, PlacementDirectory, PlacementInChannel}

// Bid kinds.
const (
	BidCPM = "cpm" // per thousand impressions
	BidCPC = "cpc" // per click
)

// Campaign statuses.
const (
	StatusPending  = "pending_review"
	StatusActive   = "active"
	StatusRejected = "rejected"
	StatusPaused   = "paused"
	StatusEnded    = "ended"
)

// Advertiser kinds: a business (Cloud API, billed through its wallet) or
// an account (a channel owner on /v1, prepaid).
const (
	AdvertiserBusiness = "business"
	AdvertiserAccount  = "account"
)

// Advertiser is who pays for a campaign.
type Advertiser struct {
	Kind string
	ID   int64
}

// String is the advertiser's public id, e.g. "business:7".
func (a Advertiser) String() string { return fmt.Sprintf("%s:%d", a.Kind, a.ID) }

// Campaign is an advertiser's campaign as the store keeps it. Money is in
// micro-units of Currency.
type Campaign struct {
	ID         int64
	Advertiser Advertiser
	Name       string
	Objective  string
	LinkCode   string // chat
	ChannelID  int64  // follow
	URL        string // link
	Creatives  []wire.AdCreative
	Targeting  wire.AdTargeting
	BidKind    string
	Bid        int64 // micros per thousand impressions (cpm) or per click (cpc)
	Daily      int64
	Lifetime   int64
	Currency   string
	Start      time.Time
	End        time.Time // zero: none
	Status     string
	Reasons    []string
	Spent      int64 // lifetime spend
	CreatedAt  time.Time
	ReviewedAt time.Time
}

// Live reports whether the campaign may be shown at now (status, schedule
// and lifetime budget; the daily budget is pacing's).
func (c *Campaign) Live(now time.Time) bool {
	return c.Status == StatusActive && !now.Before(c.Start) && (c.End.IsZero() || now.Before(c.End)) && c.Spent < c.Lifetime
}

// View is the campaign as its advertiser sees it.
func (c *Campaign) View() wire.AdCampaign {
	v := wire.AdCampaign{ID: c.ID, Name: c.Name, Objective: c.Objective, LinkCode: c.LinkCode, ChannelID: c.ChannelID, URL: c.URL,
		Creatives: c.Creatives, Targeting: c.Targeting, BidKind: c.BidKind, Bid: c.Bid, Daily: c.Daily, Lifetime: c.Lifetime,
		Currency: c.Currency, Start: c.Start.UTC().Format(time.RFC3339), Status: c.Status, Reasons: c.Reasons, Spent: c.Spent,
		Advertise: c.Advertiser.String()}
	if !c.End.IsZero() {
		v.End = c.End.UTC().Format(time.RFC3339)
	}
	return v
}

// CTAs are the calls to action a creative may carry.
var CTAs = []string{"chat", "follow", "open", "learn_more", "shop"}

// Limits of a campaign.
const (
	MaxCreatives = 5
	MaxHeadline  = 60
	MaxText      = 160 // as Telegram's sponsored messages
	MaxBid       = 1_000_000_000
	MaxBudget    = 1_000_000_000_000
)

// Validate checks a campaign request and builds the campaign (status
// pending review). Errors: EInvalid naming the field. now is the time of
// the request; a start in the past starts now.
func Validate(in wire.AdCampaign, now time.Time) (Campaign, error) {
	c := Campaign{Name: strings.TrimSpace(in.Name), Objective: in.Objective, LinkCode: strings.ToLower(strings.TrimSpace(in.LinkCode)),
		ChannelID: in.ChannelID, URL: strings.TrimSpace(in.URL), BidKind: in.BidKind, Bid: in.Bid, Daily: in.Daily, Lifetime: in.Lifetime,
		Status: StatusPending, CreatedAt: now}
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 100 {
		return Campaign{}, parley.InvalidField("name", "name must be 1 to 100 characters")
	}
	switch c.Objective {
	case ObjectiveChat:
		if c.LinkCode == "" || len(c.LinkCode) > 32 {
			return Campaign{}, parley.InvalidField("link_code", "a chat campaign names one of the business's click-to-chat links")
		}
		c.ChannelID, c.URL = 0, ""
	case ObjectiveFollow:
		if c.ChannelID <= 0 {
			return Campaign{}, parley.InvalidField("channel_id", "a follow campaign names its channel")
		}
		c.LinkCode, c.URL = "", ""
	case ObjectiveLink:
		if !httpsURL(c.URL) {
			return Campaign{}, parley.InvalidField("url", "a link campaign names an https URL")
		}
		c.LinkCode, c.ChannelID = "", 0
	default:
		return Campaign{}, parley.InvalidField("objective", "objective must be chat, follow or link")
	}
	if len(in.Creatives) == 0 || len(in.Creatives) > MaxCreatives {
		return Campaign{}, parley.InvalidField("creatives", fmt.Sprintf("a campaign has 1 to %d creatives", MaxCreatives))
	}
	for i, cr := range in.Creatives {
		cr.Headline, cr.Text = strings.TrimSpace(cr.Headline), strings.TrimSpace(cr.Text)
		f := fmt.Sprintf("creatives[%d].", i)
		if cr.Headline == "" || utf8.RuneCountInString(cr.Headline) > MaxHeadline {
			return Campaign{}, parley.InvalidField(f+"headline", fmt.Sprintf("headline must be 1 to %d characters", MaxHeadline))
		}
		if utf8.RuneCountInString(cr.Text) > MaxText {
			return Campaign{}, parley.InvalidField(f+"text", fmt.Sprintf("text must be at most %d characters", MaxText))
		}
		if cr.ImageURL != "" && !httpsURL(cr.ImageURL) {
			return Campaign{}, parley.InvalidField(f+"image_url", "image_url must be an https URL")
		}
		if !slices.Contains(CTAs, cr.CTA) {
			return Campaign{}, parley.InvalidField(f+"cta", "cta must be one of chat, follow, open, learn_more, shop")
		}
		c.Creatives = append(c.Creatives, cr)
	}
	t, err := validTargeting(in.Targeting)
	if err != nil {
		return Campaign{}, err
	}
	c.Targeting = t
	switch c.BidKind {
	case BidCPM:
		// A CPM bid is a whole number of micros per impression, so every
		// impression's price is exact.
		if c.Bid%1000 != 0 {
			return Campaign{}, parley.InvalidField("bid_micros", "a CPM bid is a multiple of 1000 micros")
		}
	case BidCPC:
	default:
		return Campaign{}, parley.InvalidField("bid_kind", "bid_kind must be cpm or cpc")
	}
	if c.Bid <= 0 || c.Bid > MaxBid {
		return Campaign{}, parley.InvalidField("bid_micros", "the bid must be positive")
	}
	if c.Daily <= 0 || c.Daily > MaxBudget {
		return Campaign{}, parley.InvalidField("daily_budget_micros", "the daily budget must be positive")
	}
	if c.Lifetime < c.Daily || c.Lifetime > MaxBudget {
		return Campaign{}, parley.InvalidField("lifetime_budget_micros", "the lifetime budget must be at least the daily budget")
	}
	if c.Start, err = parseTime(in.Start, now); err != nil {
		return Campaign{}, parley.InvalidField("start", "start must be an RFC 3339 time")
	}
	if c.Start.Before(now) {
		c.Start = now
	}
	if in.End != "" {
		if c.End, err = parseTime(in.End, now); err != nil || !c.End.After(c.Start) {
			return Campaign{}, parley.InvalidField("end", "end must be an RFC 3339 time after start")
		}
	}
	return c, nil
}

func validTargeting(t wire.AdTargeting) (wire.AdTargeting, error) {
	out := wire.AdTargeting{}
	if len(t.Placements) == 0 {
		return out, parley.InvalidField("targeting.placements", "name at least one placement")
	}
	for _, p := range t.Placements {
		if !slices.Contains(Placements, p) {
			return out, parley.InvalidField("targeting.placements", "placements are updates_feed, updates_list, directory and in_channel")
		}
		if !slices.Contains(out.Placements, p) {
			out.Placements = append(out.Placements, p)
		}
	}
	if len(t.Channels) > 100 || len(t.Languages) > 50 || len(t.Countries) > 250 {
		return out, parley.InvalidField("targeting", "too many channels, languages or countries")
	}
	for _, id := range t.Channels {
		if id <= 0 {
			return out, parley.InvalidField("targeting.channels", "channel ids are positive")
		}
	}
	if len(t.Channels) > 0 && !slices.Contains(out.Placements, PlacementInChannel) {
		return out, parley.InvalidField("targeting.channels", "channels are targeted only with the in_channel placement")
	}
	for _, id := range t.Channels {
		if !slices.Contains(out.Channels, id) {
			out.Channels = append(out.Channels, id)
		}
	}
	for _, l := range t.Languages {
		l = strings.ToLower(l)
		if !isLetters(l, 2, 3) {
			return out, parley.InvalidField("targeting.languages", "languages are ISO 639 codes, such as en")
		}
		if !slices.Contains(out.Languages, l) {
			out.Languages = append(out.Languages, l)
		}
	}
	for _, c := range t.Countries {
		c = strings.ToUpper(c)
		if !isLetters(c, 2, 2) {
			return out, parley.InvalidField("targeting.countries", "countries are ISO 3166 codes, such as BR")
		}
		if !slices.Contains(out.Countries, c) {
			out.Countries = append(out.Countries, c)
		}
	}
	return out, nil
}

func isLetters(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && len(s) <= 2048
}

func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	return time.Parse(time.RFC3339, s)
}

// Banned lists the claims the automatic review rejects in any creative
// (a starting list; the operator's reviewer sees everything that passes).
var Banned = []string{"guaranteed cure", "miracle", "get rich", "risk-free", "crypto giveaway", "100% free money"}

// AutoReview runs the automatic review rules on a validated campaign and
// returns the reasons to reject it; none means it goes to a person. The
// rules: no banned claim, no shouting headline, no link shortener, and a
// call to action that fits the objective.
func AutoReview(c *Campaign) []string {
	var out []string
	for i, cr := range c.Creatives {
		text := strings.ToLower(cr.Headline + " " + cr.Text)
		for _, b := range Banned {
			if strings.Contains(text, b) {
				out = append(out, fmt.Sprintf("creative %d: the claim %q is not allowed", i+1, b))
			}
		}
		if letters, upper := caps(cr.Headline); letters >= 8 && upper*10 > letters*7 {
			out = append(out, fmt.Sprintf("creative %d: the headline is in capitals", i+1))
		}
		if want := ctaFor(c.Objective); !slices.Contains(want, cr.CTA) {
			out = append(out, fmt.Sprintf("creative %d: the call to action %q does not fit the objective %s", i+1, cr.CTA, c.Objective))
		}
	}
	if c.Objective == ObjectiveLink {
		if u, err := url.Parse(c.URL); err == nil && slices.Contains([]string{"bit.ly", "tinyurl.com", "t.co", "goo.gl"}, strings.ToLower(u.Hostname())) {
			out = append(out, "the link hides its destination behind a shortener")
		}
	}
	return out
}

func caps(s string) (letters, upper int) {
	for _, r := range s {
		if r >= 'a' && r <= 'z' {
			letters++
		} else if r >= 'A' && r <= 'Z' {
			letters++
			upper++
		}
	}
	return letters, upper
}

func ctaFor(objective string) []string {
	switch objective {
	case ObjectiveChat:
		return []string{"chat", "shop", "learn_more"}
	case ObjectiveFollow:
		return []string{"follow", "learn_more"}
	}
	return []string{"open", "learn_more", "shop"}
}
