package ads

import (
	"context"
	"time"
)

// EventRecord is one event to store: the event, what it costs the
// advertiser (0 for none) and, inside a channel, the channel whose owner
// shares the spend.
type EventRecord struct {
	Event
	Cost      int64
	ChannelID int64 // in_channel placements: the channel shown in
	// MaxBilled is how many events of this kind one person may be billed
	// for per campaign and day; later ones are counted, not billed.
	MaxBilled int
	// ClickID, for a click, is stored for conversions and chats started.
	ClickID string
}

// Click is a stored click: its cell and its person's pseudonym, so that
// a conversion or a chat it leads to counts in the same cell.
type Click struct {
	ID         string
	CampaignID int64
	Day        int64
	Cell       CellKey
	Person     uint64
}

// DaySpend is a campaign's billed spend of one day.
type DaySpend struct {
	CampaignID  int64
	Day         int64
	Spent       int64
	Impressions int64 // billed
	Clicks      int64 // billed
}

// ChannelSpend is the spend of ads shown inside one channel on one day.
type ChannelSpend struct {
	ChannelID int64
	Day       int64
	Spent     int64
}

// Released is a campaign-day's report as released once: later reads
// return the same noisy rows, so the day's privacy budget is spent once.
type Released struct {
	CampaignID int64
	Day        int64
	Rows       string // JSON of []wire.AdReportRow
	Suppressed bool
	Epsilon    string
	At         time.Time
}

// OptIn is a channel owner's opt-in to ads inside the channel.
type OptIn struct {
	ChannelID int64
	ShareBP   int
	At        time.Time
}

// Store is what the ads context keeps. Errors: ENotFound for a missing
// row, EConflict for a duplicate key, as documented per method.
type Store interface {
	// CreateAdCampaign inserts c and sets its ID.
	CreateAdCampaign(ctx context.Context, c *Campaign) error
	// GetAdCampaign returns a campaign; ENotFound.
	GetAdCampaign(ctx context.Context, id int64) (Campaign, error)
	// UpdateAdCampaignStatus sets a campaign's status, reasons and review
	// time; ENotFound.
	UpdateAdCampaignStatus(ctx context.Context, id int64, status string, reasons []string, reviewed time.Time) error
	// AdCampaigns returns the advertiser's campaigns, newest first.
	AdCampaigns(ctx context.Context, adv Advertiser) ([]Campaign, error)
	// AdCampaignsByStatus returns campaigns in one of the statuses,
	// oldest first, with id > after, at most limit.
	AdCampaignsByStatus(ctx context.Context, statuses []string, after int64, limit int) ([]Campaign, error)

	// RecordAdEvent stores one event in one transaction: the event row
	// (one per cell, kind and person, counting repeats), the click if
	// any, and, when the event costs something, the person has not
	// reached MaxBilled for the day, and the spend stays within the
	// campaign's daily and lifetime budgets, the spend (campaign, day and
	// channel). It returns the amount billed (0 when not billed). A click
	// id already stored is EConflict.
	RecordAdEvent(ctx context.Context, r EventRecord) (billed int64, err error)
	// AdClick returns a stored click; ENotFound.
	AdClick(ctx context.Context, id string) (Click, error)
	// MarkAdClick sets a click's flag (kind KindChat or KindConversion)
	// once: it reports false when the flag was already set. ENotFound.
	MarkAdClick(ctx context.Context, id string, kind Kind) (bool, error)
	// AdDaySpend returns the spend of every campaign on day.
	AdDaySpend(ctx context.Context, day int64) ([]DaySpend, error)
	// AdCampaignSpend returns one campaign's spend per day, ascending.
	AdCampaignSpend(ctx context.Context, campaignID int64) ([]DaySpend, error)
	// AdEvents calls fn with the campaign-day's events in the order they
	// were first stored.
	AdEvents(ctx context.Context, campaignID, day int64, fn func(Event)) error
	// PutAdRelease stores a release unless the campaign-day has one, and
	// returns the one stored; it deletes the campaign-day's events, which
	// the release replaces (data minimisation).
	PutAdRelease(ctx context.Context, r Released) (Released, error)
	// AdReleases returns a campaign's releases, by day.
	AdReleases(ctx context.Context, campaignID int64) ([]Released, error)

	// UnsettledAdSpend returns campaign-days before day whose spend is
	// not settled, at most limit; the same for channel spend.
	UnsettledAdSpend(ctx context.Context, before int64, limit int) ([]DaySpend, []ChannelSpend, error)
	// MarkAdSpendSettled marks a campaign-day, or a channel-day when
	// channel is set, settled.
	MarkAdSpendSettled(ctx context.Context, campaignID, channelID, day int64) error

	// PutAdOptIn records a channel's opt-in; DeleteAdOptIn removes it
	// (ENotFound when there was none); AdOptIn returns it (ENotFound).
	PutAdOptIn(ctx context.Context, o OptIn) error
	DeleteAdOptIn(ctx context.Context, channelID int64) error
	AdOptIn(ctx context.Context, channelID int64) (OptIn, error)
}
