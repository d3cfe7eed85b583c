package wire

// The JSON shapes of the ads product (docs/ADS.md): the advertiser's
// campaign, the ads a client receives for a placement, the events it
// reports, the advertiser's aggregate report and the public ad library.

// AdCreative is what an ad shows: a headline, a text, an image and a call
// to action.
type AdCreative struct {
	Headline string `json:"headline"`
	Text     string `json:"text"`
	ImageURL string `json:"image_url,omitempty"`
	CTA      string `json:"cta"` // chat | follow | open | learn_more | shop
}

// AdTargeting is everything a campaign may target: where the ad shows,
// the language of the client and the country of the viewer's phone
// prefix. Empty lists mean any.
type AdTargeting struct {
	Placements []string `json:"placements"`         // updates_feed | updates_list | directory | in_channel
	Channels   []int64  `json:"channels,omitempty"` // in_channel: only these opted-in channels
	Languages  []string `json:"languages,omitempty"`
	Countries  []string `json:"countries,omitempty"`
}

// AdCampaign is a campaign as its advertiser creates it (the request) and
// sees it (the response). Money is in micro-units (millionths) of
// Currency; a CPM bid is per thousand impressions.
type AdCampaign struct {
	ID        int64        `json:"id,omitempty"`
	Name      string       `json:"name"`
	Objective string       `json:"objective"`           // chat | follow | link
	LinkCode  string       `json:"link_code,omitempty"` // chat: the business's click-to-chat link
	ChannelID int64        `json:"channel_id,omitempty"`
	URL       string       `json:"url,omitempty"` // link: https only
	Creatives []AdCreative `json:"creatives"`
	Targeting AdTargeting  `json:"targeting"`
	BidKind   string       `json:"bid_kind"` // cpm | cpc
	Bid       int64        `json:"bid_micros"`
	Daily     int64        `json:"daily_budget_micros"`
	Lifetime  int64        `json:"lifetime_budget_micros"`
	Currency  string       `json:"currency,omitempty"`
	Start     string       `json:"start"`         // RFC 3339
	End       string       `json:"end,omitempty"` // RFC 3339; none: until the lifetime budget is spent
	Status    string       `json:"status,omitempty"`
	Reasons   []string     `json:"reasons,omitempty"` // why review rejected it
	Spent     int64        `json:"spent_micros,omitempty"`
	Advertise string       `json:"advertiser,omitempty"`
	// PaymentMethod pays a channel owner's prepaid lifetime budget
	// (/v1 only; a business pays from its wallet).
	PaymentMethod string `json:"payment_method,omitempty"`
}

// AdReview is the operator's decision on a campaign in the review queue.
type AdReview struct {
	Approve bool     `json:"approve"`
	Reasons []string `json:"reasons,omitempty"` // required to reject
}

// Ad is one ad of a placement's candidate set: what to show, the
// "Sponsored" label, why it was chosen and the token the client reports
// its events with. The client ranks the set on the device.
type Ad struct {
	Token        string     `json:"token"`
	CampaignID   int64      `json:"campaign_id"`
	AdvertiserID string     `json:"advertiser_id"` // to hide an advertiser on the device
	Advertiser   string     `json:"advertiser"`
	Label        string     `json:"label"` // "Sponsored"
	Objective    string     `json:"objective"`
	Creative     AdCreative `json:"creative"`
	ChannelID    int64      `json:"channel_id,omitempty"` // follow
	URL          string     `json:"url,omitempty"`        // link
	Why          AdWhy      `json:"why"`
	Rank         int        `json:"rank"` // the auction's order, 1 first
}

// AdWhy says exactly which signals chose an ad: the placement, and the
// language and country when the campaign targets them. Text is the
// sentence shown to the person.
type AdWhy struct {
	Placement string `json:"placement"`
	ChannelID int64  `json:"channel_id,omitempty"`
	Language  string `json:"language,omitempty"`
	Country   string `json:"country,omitempty"`
	Text      string `json:"text"`
}

// AdCandidates is the candidate set of a placement. Empty when the
// viewer is premium or ads are off.
type AdCandidates struct {
	Ads []Ad `json:"ads"`
	// FrequencyCap is how often the device may show one campaign a day;
	// the device keeps the count.
	FrequencyCap int `json:"frequency_cap"`
}

// AdEvent is an event the client reports for an ad it showed.
type AdEvent struct {
	Token string `json:"token"`
	Kind  string `json:"kind"` // impression | click
}

// AdClick is the answer to a click: where it leads.
type AdClick struct {
	ClickID   string `json:"click_id,omitempty"`   // the click id the referral carries (chat)
	ChatURL   string `json:"chat_url,omitempty"`   // chat: the click-to-chat deep link
	Prefill   string `json:"prefill,omitempty"`    // chat: the draft
	NumberID  int64  `json:"number_id,omitempty"`  // chat: the business number
	AccountID int64  `json:"account_id,omitempty"` // chat: the number's account to open a chat with
	ChannelID int64  `json:"channel_id,omitempty"` // follow
	URL       string `json:"url,omitempty"`        // link
}

// AdConversion is a conversion the advertiser reports for a click.
type AdConversion struct {
	ClickID string `json:"click_id"`
	Event   string `json:"event,omitempty"` // purchase | lead | signup | other
}

// AdReportRow is one released cell of a campaign's report: counts of
// distinct people, with noise, for one day, creative, placement and
// country. A cell of fewer than k people is folded into "other".
type AdReportRow struct {
	Day         string `json:"day"` // YYYY-MM-DD
	Creative    string `json:"creative"`
	Placement   string `json:"placement"`
	Country     string `json:"country"`
	Impressions int64  `json:"impressions"`
	Clicks      int64  `json:"clicks"`
	Chats       int64  `json:"chats_started"`
	Conversions int64  `json:"conversions"`
}

// AdReportDay is a released day: its exact spend (the advertiser's own
// money, for the whole campaign), the privacy budget it used, and how
// many cells were too small even for "other".
type AdReportDay struct {
	Day        string `json:"day"`
	Spent      int64  `json:"spent_micros"`
	Epsilon    string `json:"epsilon"`
	Suppressed bool   `json:"suppressed_other,omitempty"`
}

// AdReport is a campaign's aggregate report: closed days only.
type AdReport struct {
	CampaignID int64         `json:"campaign_id"`
	K          int           `json:"k"`
	Days       []AdReportDay `json:"days"`
	Rows       []AdReportRow `json:"rows"`
	Currency   string        `json:"currency"`
}

// AdLibraryEntry is an ad of the public ad library.
type AdLibraryEntry struct {
	CampaignID int64        `json:"campaign_id"`
	Advertiser string       `json:"advertiser"`
	Objective  string       `json:"objective"`
	Creatives  []AdCreative `json:"creatives"`
	Targeting  AdTargeting  `json:"targeting"`
	Start      string       `json:"start"`
	End        string       `json:"end,omitempty"`
	Status     string       `json:"status"`
	SpendRange string       `json:"spend_range"`
}

// AdChannelOptIn is a channel owner's opt-in to ads inside the channel.
type AdChannelOptIn struct {
	ChannelID int64 `json:"channel_id"`
	OptIn     bool  `json:"opt_in"`
	ShareBP   int   `json:"owner_share_bp"` // the owner's share of the ads' spend, basis points
}
