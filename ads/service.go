package ads

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads/dpnoise"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// Config is the operator's settings of the ads product. Everything is
// off until Enabled (--ads).
type Config struct {
	Enabled bool
	// K is the fewest distinct people a report cell may count; smaller
	// cells fold into "other". Default 50.
	K int
	// Epsilon is the privacy budget of one campaign-day's report, a
	// decimal such as "1" or "0.5". Default "1".
	Epsilon string
	// Floor is the auction's reserve price, micros per thousand
	// impressions. Default 500000.
	Floor int64
	// Currency of bids and budgets. Default USD.
	Currency string
	// FrequencyCap is how often a device shows one campaign a day (the
	// device keeps count). Default 3.
	FrequencyCap int
	// Slots is how many ads a candidate set holds. Default 5.
	Slots int
	// MaxBilled is how many impressions (and clicks) of one person one
	// campaign is billed for per day. Default 3.
	MaxBilled int
	// ReportDelay is how many days after a day ends its report is
	// released (late conversions still count). Default 2.
	ReportDelay int
	// ClickRate is the expected clicks per million impressions that turns
	// a CPC bid into an effective CPM. Default 10000 (1 %).
	ClickRate int64
	// OwnerShareBP is a channel owner's share of the ads shown inside
	// their channel, in basis points. Default 5000.
	OwnerShareBP int
	// MinFollowers is the fewest followers a channel needs to opt in to
	// ads inside it. Default 1000.
	MinFollowers int64
	// MicrosPerMinor converts a prepaid budget to the payment provider's
	// minor units. Default 10000 (two decimals).
	MicrosPerMinor int64
	// Refresh is how often the live campaigns are read again and closed
	// days settled. Default 10 s.
	Refresh time.Duration
}

// WithDefaults fills in the defaults.
func (c Config) WithDefaults() Config {
	if c.K == 0 {
		c.K = 50
	}
	if c.Epsilon == "" {
		c.Epsilon = "1"
	}
	if c.Floor == 0 {
		c.Floor = 500_000
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	if c.FrequencyCap == 0 {
		c.FrequencyCap = 3
	}
	if c.Slots == 0 {
		c.Slots = 5
	}
	if c.MaxBilled == 0 {
		c.MaxBilled = 3
	}
	if c.ReportDelay == 0 {
		c.ReportDelay = 2
	}
	if c.ClickRate == 0 {
		c.ClickRate = 10_000
	}
	if c.OwnerShareBP == 0 {
		c.OwnerShareBP = 5000
	}
	if c.MinFollowers == 0 {
		c.MinFollowers = 1000
	}
	if c.MicrosPerMinor == 0 {
		c.MicrosPerMinor = 10_000
	}
	if c.Refresh == 0 {
		c.Refresh = 10 * time.Second
	}
	return c
}

// ParseEpsilon reads a positive decimal ε as a fraction num/den.
func ParseEpsilon(s string) (num, den int64, err error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 || !r.Num().IsInt64() || !r.Denom().IsInt64() || r.Num().Int64() > 1<<20 || r.Denom().Int64() > 1<<20 {
		return 0, 0, fmt.Errorf("ads epsilon %q: want a positive decimal such as 1 or 0.5", s)
	}
	return r.Num().Int64(), r.Denom().Int64(), nil
}

// Viewer is what the server may know of a person asking for ads: the
// country of their phone prefix (read now, never stored) and whether
// they see no ads (premium).
type Viewer struct {
	Country string
	AdFree  bool
}

// Viewers answers Viewer; the wiring reads the phone prefix and the
// premium membership. ads never reads an account itself.
type Viewers interface {
	Viewer(ctx context.Context, accountID int64) (Viewer, error)
}

// ChannelInfo is what ads needs of a channel: who owns it and whether it
// may carry ads.
type ChannelInfo struct {
	ID        int64
	Name      string
	OwnerID   int64 // the owner's account
	Public    bool
	Followers int64
}

// Channels looks channels up (ENotFound); the wiring answers from the
// channels context.
type Channels interface {
	ChannelInfo(ctx context.Context, id int64) (ChannelInfo, error)
}

// OpenedLink is a click-to-chat link opened for an ad click.
type OpenedLink struct {
	ClickID   string // the referral's ctwa_clid
	Prefill   string
	NumberID  int64
	AccountID int64
}

// Links is the click-to-chat side of chat campaigns, answered by the
// business context: whose link a code is, and opening it (which records
// the click and gives the click id the chat's referral carries).
type Links interface {
	LinkBusiness(ctx context.Context, code string) (businessID int64, err error)
	OpenLink(ctx context.Context, code string) (OpenedLink, error)
}

// Settlement is one campaign-day's spend, or the spend of the ads shown
// inside one channel on one day, to write down once: Key is its
// idempotency key.
type Settlement struct {
	Key        string
	Advertiser Advertiser
	CampaignID int64
	ChannelID  int64 // a channel owner's share
	Day        int64
	Spent      int64 // micros
	Share      int64 // the owner's share, micros
	Currency   string
	Quantity   int64 // billed impressions and clicks
}

// Billing is money outside ads: whether an advertiser may spend,
// writing settled spend down (the business's usage ledger and wallet, or
// the money ledger for a prepaid account; the owner's share on their
// statement), and the advertiser's public name.
type Billing interface {
	// Funds returns nil when the advertiser may spend, else
	// EPaymentDeclined (an empty prepaid wallet, a reached cap).
	Funds(ctx context.Context, a Advertiser) error
	// Settle writes s down, once per Key.
	Settle(ctx context.Context, s Settlement) error
	// Name is the advertiser's public name, for the ad and the library.
	Name(ctx context.Context, a Advertiser) string
}

// Deps are the Service's dependencies. Store, Viewers, Channels, Links and
// Billing are required; Policy defaults to ads allowed, Noise to
// dpnoise.Crypto, Payments to the sandbox.
type Deps struct {
	Store    Store
	Policy   parley.AdsPolicy
	Viewers  Viewers
	Channels Channels
	Links    Links
	Billing  Billing
	Payments money.PaymentProvider
	Secret   []byte
	Noise    dpnoise.Source
	Logger   *slog.Logger
	Now      func() time.Time
}

// Service is the ads product. It is safe for concurrent use.
type Service struct {
	cfg      Config
	num, den int64
	d        Deps
	now      func() time.Time
	log      *slog.Logger

	mu   sync.RWMutex
	live []*live // the active campaigns, by id
	// byPlace indexes live by placement and targeted country ("*" for a
	// campaign that targets no country): a selection scans only the
	// campaigns that can match its placement and country.
	byPlace map[string][]*live
	day     int64 // of the spend in live
	names   map[Advertiser]string
	noise   sync.Mutex // dpnoise sources need not be safe for concurrent use
}

// live is an active campaign in the selection index.
type live struct {
	c        Campaign
	daySpent int64
	funded   bool
	name     string
}

// New returns the service. It reads nothing until Refresh or Run.
func New(cfg Config, d Deps) (*Service, error) {
	cfg = cfg.WithDefaults()
	num, den, err := ParseEpsilon(cfg.Epsilon)
	if err != nil {
		return nil, err
	}
	if d.Policy == nil {
		d.Policy = parley.AdsAllowed{}
	}
	if d.Noise == nil {
		d.Noise = dpnoise.Crypto{}
	}
	if d.Payments == nil {
		d.Payments = money.NewSandboxPayments()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Service{cfg: cfg, num: num, den: den, d: d, now: now, log: d.Logger, names: map[Advertiser]string{}}, nil
}

// Config returns the configuration in effect.
func (s *Service) Config() Config { return s.cfg }

// off returns EAdsDisabled when the operator has not switched ads on or
// the server runs in nonprofit mode.
func (s *Service) off() error {
	if !s.cfg.Enabled {
		return &parley.Error{Code: parley.EAdsDisabled, Message: "ads are off on this server (start it with --ads)"}
	}
	return s.d.Policy.AdsOff()
}

// Create validates a campaign, checks that its advertiser owns what it
// promotes and may pay, runs the automatic review and stores it: pending
// a person's review, or rejected with the reasons. An account advertiser
// (a channel owner) prepays the lifetime budget through method. Errors:
// EAdsDisabled, EInvalid, EForbidden (not the advertiser's link or
// channel), EPaymentDeclined.
func (s *Service) Create(ctx context.Context, adv Advertiser, in wire.AdCampaign, method string) (wire.AdCampaign, error) {
	if err := s.off(); err != nil {
		return wire.AdCampaign{}, err
	}
	c, err := Validate(in, s.now())
	if err != nil {
		return wire.AdCampaign{}, err
	}
	c.Advertiser, c.Currency = adv, s.cfg.Currency
	if in.Currency != "" && !strings.EqualFold(in.Currency, s.cfg.Currency) {
		return wire.AdCampaign{}, parley.InvalidField("currency", "campaigns are in "+s.cfg.Currency)
	}
	switch c.Objective {
	case ObjectiveChat:
		if adv.Kind != AdvertiserBusiness {
			return wire.AdCampaign{}, parley.InvalidField("objective", "chat campaigns are a business's (the Cloud API)")
		}
		biz, err := s.d.Links.LinkBusiness(ctx, c.LinkCode)
		if parley.ErrorCode(err) == parley.ENotFound || (err == nil && biz != adv.ID) {
			return wire.AdCampaign{}, parley.Errorf(parley.EForbidden, "link %s is not one of this business's click-to-chat links", c.LinkCode)
		} else if err != nil {
			return wire.AdCampaign{}, err
		}
	case ObjectiveFollow:
		ch, err := s.d.Channels.ChannelInfo(ctx, c.ChannelID)
		if parley.ErrorCode(err) == parley.ENotFound || (err == nil && (adv.Kind != AdvertiserAccount || ch.OwnerID != adv.ID)) {
			return wire.AdCampaign{}, parley.Errorf(parley.EForbidden, "only the owner of channel %d may promote it", c.ChannelID)
		} else if err != nil {
			return wire.AdCampaign{}, err
		}
		if !ch.Public {
			return wire.AdCampaign{}, parley.InvalidField("channel_id", "only a public channel can be promoted")
		}
	}
	if adv.Kind == AdvertiserBusiness {
		if err := s.d.Billing.Funds(ctx, adv); err != nil {
			return wire.AdCampaign{}, err
		}
	} else {
		if c.Lifetime%s.cfg.MicrosPerMinor != 0 {
			return wire.AdCampaign{}, parley.InvalidField("lifetime_budget_micros", "a prepaid budget is a whole number of cents")
		}
		key := fmt.Sprintf("adcampaign:%d:%d", adv.ID, c.CreatedAt.UnixNano())
		if _, err := s.d.Payments.Charge(ctx, money.PaymentCharge{Key: key, AccountID: adv.ID, Method: method,
			Amount: money.Money{Minor: c.Lifetime / s.cfg.MicrosPerMinor, Currency: c.Currency}, Description: "ad campaign " + c.Name}); err != nil {
			if parley.ErrorCode(err) == parley.EPaymentDeclined {
				return wire.AdCampaign{}, err
			}
			return wire.AdCampaign{}, &parley.Error{Code: parley.EUnavailable, Message: "the payment provider failed; try again", Err: err}
		}
	}
	if reasons := AutoReview(&c); len(reasons) > 0 {
		c.Status, c.Reasons, c.ReviewedAt = StatusRejected, reasons, c.CreatedAt
	}
	if err := s.d.Store.CreateAdCampaign(ctx, &c); err != nil {
		return wire.AdCampaign{}, fmt.Errorf("create campaign: %w", err)
	}
	return c.View(), nil
}

// Campaigns lists the advertiser's campaigns.
func (s *Service) Campaigns(ctx context.Context, adv Advertiser) ([]wire.AdCampaign, error) {
	if err := s.off(); err != nil {
		return nil, err
	}
	cs, err := s.d.Store.AdCampaigns(ctx, adv)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	out := make([]wire.AdCampaign, len(cs))
	for i := range cs {
		out[i] = cs[i].View()
	}
	return out, nil
}

// own returns the advertiser's campaign; ENotFound for another's.
func (s *Service) own(ctx context.Context, adv Advertiser, id int64) (Campaign, error) {
	c, err := s.d.Store.GetAdCampaign(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && c.Advertiser != adv) {
		return Campaign{}, parley.Errorf(parley.ENotFound, "no campaign %d", id)
	}
	return c, err
}

// Campaign returns one of the advertiser's campaigns. ENotFound.
func (s *Service) Campaign(ctx context.Context, adv Advertiser, id int64) (wire.AdCampaign, error) {
	if err := s.off(); err != nil {
		return wire.AdCampaign{}, err
	}
	c, err := s.own(ctx, adv, id)
	if err != nil {
		return wire.AdCampaign{}, err
	}
	return c.View(), nil
}

// SetPaused pauses an active campaign or resumes a paused one (the
// advertiser's). Errors: ENotFound, EConflict for a campaign in another
// status.
func (s *Service) SetPaused(ctx context.Context, adv Advertiser, id int64, paused bool) (wire.AdCampaign, error) {
	if err := s.off(); err != nil {
		return wire.AdCampaign{}, err
	}
	c, err := s.own(ctx, adv, id)
	if err != nil {
		return wire.AdCampaign{}, err
	}
	from, to := StatusActive, StatusPaused
	if !paused {
		from, to = StatusPaused, StatusActive
	}
	if c.Status != from {
		return wire.AdCampaign{}, parley.Errorf(parley.EConflict, "campaign %d is %s", id, c.Status)
	}
	if err := s.d.Store.UpdateAdCampaignStatus(ctx, id, to, nil, c.ReviewedAt); err != nil {
		return wire.AdCampaign{}, err
	}
	c.Status = to
	s.Refresh(ctx)
	return c.View(), nil
}

// ReviewQueue lists the campaigns waiting for a person's review, oldest
// first, with id > after.
func (s *Service) ReviewQueue(ctx context.Context, after int64, limit int) ([]wire.AdCampaign, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	cs, err := s.d.Store.AdCampaignsByStatus(ctx, []string{StatusPending}, after, limit)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	out := make([]wire.AdCampaign, len(cs))
	for i := range cs {
		out[i] = cs[i].View()
	}
	return out, nil
}

// Review approves or rejects a campaign in the queue; a rejection needs
// reasons, which the advertiser sees. Errors: ENotFound, EConflict for a
// campaign not pending review, EInvalid.
func (s *Service) Review(ctx context.Context, id int64, r wire.AdReview) (wire.AdCampaign, error) {
	c, err := s.d.Store.GetAdCampaign(ctx, id)
	if err != nil {
		return wire.AdCampaign{}, err
	}
	if c.Status != StatusPending {
		return wire.AdCampaign{}, parley.Errorf(parley.EConflict, "campaign %d is %s, not pending review", id, c.Status)
	}
	var reasons []string
	for _, x := range r.Reasons {
		if x = strings.TrimSpace(x); x != "" {
			if len(x) > 500 {
				return wire.AdCampaign{}, parley.InvalidField("reasons", "a reason is at most 500 characters")
			}
			reasons = append(reasons, x)
		}
	}
	status := StatusActive
	if !r.Approve {
		if len(reasons) == 0 {
			return wire.AdCampaign{}, parley.InvalidField("reasons", "a rejection states its reasons")
		}
		status = StatusRejected
	}
	if len(reasons) > 20 {
		return wire.AdCampaign{}, parley.InvalidField("reasons", "at most 20 reasons")
	}
	now := s.now()
	if err := s.d.Store.UpdateAdCampaignStatus(ctx, id, status, reasons, now); err != nil {
		return wire.AdCampaign{}, err
	}
	c.Status, c.Reasons, c.ReviewedAt = status, reasons, now
	s.Refresh(ctx)
	return c.View(), nil
}

// Refresh reads the active campaigns and today's spend into the
// selection index. Run calls it every Config.Refresh; so do the changes
// this node makes. A failure keeps the index and is logged.
func (s *Service) Refresh(ctx context.Context) {
	if err := s.refresh(ctx); err != nil {
		s.log.Warn("ads refresh", "err", err)
	}
}

func (s *Service) refresh(ctx context.Context) error {
	if !s.cfg.Enabled {
		return nil
	}
	var cs []Campaign
	for after := int64(0); ; {
		page, err := s.d.Store.AdCampaignsByStatus(ctx, []string{StatusActive}, after, 1000)
		if err != nil {
			return err
		}
		cs = append(cs, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	day := DayOf(s.now())
	spend, err := s.d.Store.AdDaySpend(ctx, day)
	if err != nil {
		return err
	}
	spent := map[int64]int64{}
	for _, d := range spend {
		spent[d.CampaignID] = d.Spent
	}
	funded := map[Advertiser]bool{}
	ls := make([]*live, 0, len(cs))
	for _, c := range cs {
		f, ok := funded[c.Advertiser]
		if !ok {
			f = c.Advertiser.Kind == AdvertiserAccount || s.d.Billing.Funds(ctx, c.Advertiser) == nil
			funded[c.Advertiser] = f
		}
		ls = append(ls, &live{c: c, daySpent: spent[c.ID], funded: f, name: s.name(ctx, c.Advertiser)})
	}
	s.mu.Lock()
	s.setLive(ls, day)
	s.mu.Unlock()
	return nil
}

// setLive replaces the index. The caller holds s.mu.
func (s *Service) setLive(ls []*live, day int64) {
	s.live, s.day = ls, day
	s.byPlace = map[string][]*live{}
	for _, l := range ls {
		for _, p := range l.c.Targeting.Placements {
			if len(l.c.Targeting.Countries) == 0 {
				s.byPlace[p+"|*"] = append(s.byPlace[p+"|*"], l)
			}
			for _, c := range l.c.Targeting.Countries {
				s.byPlace[p+"|"+c] = append(s.byPlace[p+"|"+c], l)
			}
		}
	}
}

func (s *Service) name(ctx context.Context, a Advertiser) string {
	s.mu.RLock()
	n, ok := s.names[a]
	s.mu.RUnlock()
	if ok {
		return n
	}
	n = s.d.Billing.Name(ctx, a)
	s.mu.Lock()
	s.names[a] = n
	s.mu.Unlock()
	return n
}

// Run refreshes the index and settles closed days until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	if !s.cfg.Enabled {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(s.cfg.Refresh)
	defer t.Stop()
	for {
		s.Refresh(ctx)
		if err := s.Settle(ctx); err != nil {
			s.log.Warn("ads settle", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Candidates returns the candidate set of a placement for the caller's
// coarse context: the auction's winners, best first, each with its "why".
// The client ranks them on the device and shows at most one per slot.
// Premium members get none; ads off or nonprofit mode is EAdsDisabled.
// Errors also: EInvalid for the placement, the language or the channel.
func (s *Service) Candidates(ctx context.Context, p parley.Principal, placement string, channelID int64, language string) (wire.AdCandidates, error) {
	out := wire.AdCandidates{Ads: []wire.Ad{}, FrequencyCap: s.cfg.FrequencyCap}
	if err := s.off(); err != nil {
		return out, err
	}
	if !slices.Contains(Placements, placement) {
		return out, parley.InvalidField("placement", "placement must be updates_feed, updates_list, directory or in_channel")
	}
	language = strings.ToLower(language)
	if language != "" && !isLetters(language, 2, 3) {
		return out, parley.InvalidField("lang", "lang is an ISO 639 code such as en")
	}
	if (placement == PlacementInChannel) != (channelID > 0) {
		return out, parley.InvalidField("channel", "in_channel names its channel, and only it does")
	}
	v, err := s.d.Viewers.Viewer(ctx, p.AccountID)
	if err != nil {
		return out, err
	}
	if v.AdFree {
		return out, nil
	}
	if placement == PlacementInChannel {
		if ok, err := s.channelShowsAds(ctx, channelID); err != nil || !ok {
			return out, err
		}
	}
	cx := Context{Placement: placement, ChannelID: channelID, Language: language, Country: v.Country}
	now := s.now()
	for _, w := range s.selectAds(cx, now) {
		out.Ads = append(out.Ads, s.adView(w, cx, now, len(out.Ads)+1))
	}
	return out, nil
}

// channelShowsAds reports whether a channel's owner opted in and it is
// public and large enough.
func (s *Service) channelShowsAds(ctx context.Context, channelID int64) (bool, error) {
	if _, err := s.d.Store.AdOptIn(ctx, channelID); parley.ErrorCode(err) == parley.ENotFound {
		return false, nil
	} else if err != nil {
		return false, err
	}
	ch, err := s.d.Channels.ChannelInfo(ctx, channelID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return ch.Public && ch.Followers >= s.cfg.MinFollowers, nil
}

// selected is an auction winner with its campaign.
type selected struct {
	Win
	l *live
}

// placed yields the campaigns indexed under the context's placement and
// country, then those that target no country.
func (s *Service) placed(cx Context) func(yield func(*live) bool) {
	return func(yield func(*live) bool) {
		for _, key := range [2]string{cx.Placement + "|" + cx.Country, cx.Placement + "|*"} {
			for _, l := range s.byPlace[key] {
				if !yield(l) {
					return
				}
			}
		}
	}
}

// selectAds runs the placement's auction among the live campaigns that
// match the context, are funded and are within their pace. It keeps only
// the best Slots+1 bidders while it scans (the auction needs the one
// after the last slot for its price), so a selection among many
// campaigns allocates little (docs/PERFORMANCE.md, "Ads").
func (s *Service) selectAds(cx Context, now time.Time) []selected {
	s.mu.RLock()
	defer s.mu.RUnlock()
	day := DayOf(now)
	elapsed := now.Sub(time.Unix(day*86400, 0))
	type cand struct {
		b    Bidder
		ecpm int64
		l    *live
	}
	k := s.cfg.Slots + 1
	top := make([]cand, 0, k+1)
	for l := range s.placed(cx) {
		c := &l.c
		if !l.funded || !c.Live(now) || !Matches(&c.Targeting, cx) {
			continue
		}
		spent := l.daySpent
		if s.day != day {
			spent = 0
		}
		b := Bidder{CampaignID: c.ID, BidKind: c.BidKind, Bid: c.Bid, ClickRate: s.cfg.ClickRate}
		e := b.ECPM()
		if e < s.cfg.Floor || e <= 0 {
			continue
		}
		if len(top) == k && (e < top[k-1].ecpm || (e == top[k-1].ecpm && c.ID > top[k-1].b.CampaignID)) {
			continue
		}
		if !Pace(c.Daily, spent, elapsed) {
			continue
		}
		i := len(top)
		top = append(top, cand{})
		for i > 0 && (top[i-1].ecpm < e || (top[i-1].ecpm == e && top[i-1].b.CampaignID > c.ID)) {
			top[i] = top[i-1]
			i--
		}
		top[i] = cand{b, e, l}
		if len(top) > k {
			top = top[:k]
		}
	}
	bs := make([]Bidder, len(top))
	for i := range top {
		bs[i] = top[i].b
	}
	wins := Auction(bs, s.cfg.Floor, s.cfg.Slots)
	out := make([]selected, len(wins))
	for i, w := range wins {
		for _, t := range top {
			if t.b.CampaignID == w.CampaignID {
				out[i] = selected{w, t.l}
			}
		}
	}
	return out
}

func (s *Service) adView(w selected, cx Context, now time.Time, rank int) wire.Ad {
	c := &w.l.c
	creative := int(uint64(now.UnixNano()/1000) % uint64(len(c.Creatives))) // rotate the creatives
	tok := Served{Campaign: c.ID, Creative: creative, Placement: cx.Placement, ChannelID: cx.ChannelID, Country: cx.Country,
		Day: DayOf(now), Price: w.Price}.Token(s.d.Secret)
	if cx.Country == "" {
		tok = Served{Campaign: c.ID, Creative: creative, Placement: cx.Placement, ChannelID: cx.ChannelID, Country: "unknown",
			Day: DayOf(now), Price: w.Price}.Token(s.d.Secret)
	}
	return wire.Ad{Token: tok, CampaignID: c.ID, AdvertiserID: c.Advertiser.String(), Advertiser: w.l.name, Label: "Sponsored",
		Objective: c.Objective, Creative: c.Creatives[creative], ChannelID: c.ChannelID, URL: c.URL, Why: Explain(&c.Targeting, cx), Rank: rank}
}

// Event records an impression or a click the client reports with a
// served ad's token, and bills it (a CPM campaign per impression, a CPC
// campaign per click) within the budgets and at most MaxBilled times per
// person and day. A click answers where it leads; a chat campaign's
// click opens its click-to-chat link, whose click id the chat's referral
// carries. Errors: EAdsDisabled, EInvalid (a bad or stale token, an
// unknown kind), ENotFound (the campaign is gone).
func (s *Service) Event(ctx context.Context, p parley.Principal, ev wire.AdEvent) (wire.AdClick, error) {
	if err := s.off(); err != nil {
		return wire.AdClick{}, err
	}
	sv, err := ParseToken(s.d.Secret, ev.Token)
	if err != nil {
		return wire.AdClick{}, parley.InvalidField("token", "not a token this server served")
	}
	now := s.now()
	if sv.Day != DayOf(now) {
		return wire.AdClick{}, parley.InvalidField("token", "the token was served on another day; ask for ads again")
	}
	kind, ok := KindOf(ev.Kind)
	if !ok || (kind != KindImpression && kind != KindClick) {
		return wire.AdClick{}, parley.InvalidField("kind", "kind must be impression or click")
	}
	c, err := s.d.Store.GetAdCampaign(ctx, sv.Campaign)
	if err != nil {
		return wire.AdClick{}, err
	}
	rec := EventRecord{Event: Event{Campaign: c.ID, Day: sv.Day, Kind: kind,
		Cell:   CellKey{Creative: sv.Creative, Placement: sv.Placement, Country: sv.Country},
		Person: PersonKey(s.d.Secret, p.AccountID, c.ID, sv.Day)}, ChannelID: sv.ChannelID, MaxBilled: s.cfg.MaxBilled}
	switch {
	case kind == KindImpression && c.BidKind == BidCPM:
		rec.Cost = sv.Price / 1000
	case kind == KindClick && c.BidKind == BidCPC:
		rec.Cost = sv.Price
	}
	var out wire.AdClick
	if kind == KindClick {
		switch c.Objective {
		case ObjectiveChat:
			l, err := s.d.Links.OpenLink(ctx, c.LinkCode)
			if err != nil {
				return wire.AdClick{}, err
			}
			out = wire.AdClick{ClickID: l.ClickID, ChatURL: "/c/" + c.LinkCode, Prefill: l.Prefill, NumberID: l.NumberID, AccountID: l.AccountID}
		case ObjectiveFollow:
			out = wire.AdClick{ClickID: "adclk." + randomID(), ChannelID: c.ChannelID}
		default:
			out = wire.AdClick{ClickID: "adclk." + randomID(), URL: c.URL}
		}
		rec.ClickID = out.ClickID
	}
	billed, err := s.d.Store.RecordAdEvent(ctx, rec)
	if err != nil {
		return wire.AdClick{}, fmt.Errorf("record ad event: %w", err)
	}
	if billed > 0 {
		s.mu.Lock()
		for _, l := range s.live {
			if l.c.ID == c.ID {
				if s.day == sv.Day {
					l.daySpent += billed
				}
				l.c.Spent += billed
			}
		}
		s.mu.Unlock()
	}
	return out, nil
}

// counted records a chat started or a conversion for a click, once, in
// the click's cell.
func (s *Service) counted(ctx context.Context, cl Click, kind Kind) error {
	first, err := s.d.Store.MarkAdClick(ctx, cl.ID, kind)
	if err != nil || !first {
		return err
	}
	_, err = s.d.Store.RecordAdEvent(ctx, EventRecord{Event: Event{Campaign: cl.CampaignID, Day: cl.Day, Kind: kind, Cell: cl.Cell, Person: cl.Person}})
	return err
}

// Convert counts a conversion the advertiser reports for one of its
// campaigns' clicks, once per click (a repeat is no error). Errors:
// ENotFound for an unknown click or another advertiser's, EInvalid.
func (s *Service) Convert(ctx context.Context, adv Advertiser, cv wire.AdConversion) error {
	if err := s.off(); err != nil {
		return err
	}
	if cv.ClickID == "" || len(cv.ClickID) > 64 {
		return parley.InvalidField("click_id", "click_id is the click id of one of your ads")
	}
	if cv.Event != "" && !slices.Contains([]string{"purchase", "lead", "signup", "other"}, cv.Event) {
		return parley.InvalidField("event", "event must be purchase, lead, signup or other")
	}
	cl, err := s.d.Store.AdClick(ctx, cv.ClickID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Errorf(parley.ENotFound, "no click %s of your ads", cv.ClickID)
	} else if err != nil {
		return err
	}
	if _, err := s.own(ctx, adv, cl.CampaignID); err != nil {
		return parley.Errorf(parley.ENotFound, "no click %s of your ads", cv.ClickID)
	}
	return s.counted(ctx, cl, KindConversion)
}

// ChatStarted counts a chat started from an ad click: the business
// context calls it when a customer's first message carries the click id
// in its referral. A click id that is not an ad's is ignored.
func (s *Service) ChatStarted(ctx context.Context, clickID string) error {
	if !s.cfg.Enabled || clickID == "" {
		return nil
	}
	cl, err := s.d.Store.AdClick(ctx, clickID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	return s.counted(ctx, cl, KindChat)
}

// Report returns a campaign's aggregate report: for every day whose
// report is due (ReportDelay days after it ended), the cells of at least
// K people, smaller ones folded into "other", every count with discrete
// Laplace noise. A day is released once, spending the campaign's daily
// privacy budget ε; later reads return the same release. No row names a
// person, a device or a time finer than the day. Errors: ENotFound.
func (s *Service) Report(ctx context.Context, adv Advertiser, id int64) (wire.AdReport, error) {
	if err := s.off(); err != nil {
		return wire.AdReport{}, err
	}
	c, err := s.own(ctx, adv, id)
	if err != nil {
		return wire.AdReport{}, err
	}
	spend, err := s.d.Store.AdCampaignSpend(ctx, id)
	if err != nil {
		return wire.AdReport{}, fmt.Errorf("campaign spend: %w", err)
	}
	rels, err := s.d.Store.AdReleases(ctx, id)
	if err != nil {
		return wire.AdReport{}, fmt.Errorf("releases: %w", err)
	}
	released := map[int64]Released{}
	for _, r := range rels {
		released[r.Day] = r
	}
	due := DayOf(s.now()) - int64(s.cfg.ReportDelay)
	days := map[int64]int64{}
	for _, d := range spend {
		days[d.Day] = d.Spent
	}
	for d := DayOf(c.Start); d <= due; d++ {
		if _, ok := released[d]; ok {
			continue
		}
		if _, ok := days[d]; !ok && !s.hasEvents(ctx, id, d) {
			continue
		}
		r, err := s.release(ctx, id, d)
		if err != nil {
			return wire.AdReport{}, err
		}
		released[d] = r
	}
	out := wire.AdReport{CampaignID: id, K: s.cfg.K, Days: []wire.AdReportDay{}, Rows: []wire.AdReportRow{}, Currency: c.Currency}
	ds := make([]int64, 0, len(released))
	for d := range released {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	for _, d := range ds {
		r := released[d]
		var rows []wire.AdReportRow
		if err := json.Unmarshal([]byte(r.Rows), &rows); err != nil {
			return wire.AdReport{}, fmt.Errorf("release %d/%d: %w", id, d, err)
		}
		out.Days = append(out.Days, wire.AdReportDay{Day: DayString(d), Spent: days[d], Epsilon: r.Epsilon, Suppressed: r.Suppressed})
		out.Rows = append(out.Rows, rows...)
	}
	return out, nil
}

func (s *Service) hasEvents(ctx context.Context, id, day int64) bool {
	found := false
	_ = s.d.Store.AdEvents(ctx, id, day, func(Event) { found = true })
	return found
}

// release aggregates, folds and noises one campaign-day and stores it.
func (s *Service) release(ctx context.Context, id, day int64) (Released, error) {
	var evs []Event
	if err := s.d.Store.AdEvents(ctx, id, day, func(e Event) { evs = append(evs, e) }); err != nil {
		return Released{}, fmt.Errorf("ad events: %w", err)
	}
	cells := Aggregate(slices.Values(evs))[CampaignDay{id, day}]
	folded, suppressed := Fold(cells, int64(s.cfg.K))
	s.noise.Lock()
	rows, err := Release(day, folded, s.num, s.den, s.d.Noise)
	s.noise.Unlock()
	if err != nil {
		return Released{}, err
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return Released{}, err
	}
	return s.d.Store.PutAdRelease(ctx, Released{CampaignID: id, Day: day, Rows: string(b), Suppressed: suppressed,
		Epsilon: s.cfg.Epsilon, At: s.now()})
}

// Settle writes down the spend of closed days once: each campaign-day to
// its advertiser (Billing.Settle) and each channel-day's owner share.
func (s *Service) Settle(ctx context.Context) error {
	today := DayOf(s.now())
	for {
		ds, cs, err := s.d.Store.UnsettledAdSpend(ctx, today, 100)
		if err != nil {
			return err
		}
		if len(ds) == 0 && len(cs) == 0 {
			return nil
		}
		for _, d := range ds {
			c, err := s.d.Store.GetAdCampaign(ctx, d.CampaignID)
			if err != nil {
				return err
			}
			st := Settlement{Key: fmt.Sprintf("ads:%d:%d", d.CampaignID, d.Day), Advertiser: c.Advertiser, CampaignID: c.ID, Day: d.Day,
				Spent: d.Spent, Currency: c.Currency, Quantity: d.Impressions + d.Clicks}
			if err := s.d.Billing.Settle(ctx, st); err != nil {
				return fmt.Errorf("settle %s: %w", st.Key, err)
			}
			if err := s.d.Store.MarkAdSpendSettled(ctx, d.CampaignID, 0, d.Day); err != nil {
				return err
			}
		}
		for _, cs := range cs {
			share := OwnerShare(cs.Spent, s.shareOf(ctx, cs.ChannelID))
			st := Settlement{Key: fmt.Sprintf("ads-owner:%d:%d", cs.ChannelID, cs.Day), ChannelID: cs.ChannelID, Day: cs.Day,
				Spent: cs.Spent, Share: share, Currency: s.cfg.Currency}
			if err := s.d.Billing.Settle(ctx, st); err != nil {
				return fmt.Errorf("settle %s: %w", st.Key, err)
			}
			if err := s.d.Store.MarkAdSpendSettled(ctx, 0, cs.ChannelID, cs.Day); err != nil {
				return err
			}
		}
	}
}

func (s *Service) shareOf(ctx context.Context, channelID int64) int {
	o, err := s.d.Store.AdOptIn(ctx, channelID)
	if err != nil {
		return s.cfg.OwnerShareBP // opted out since: the share agreed when the ads showed
	}
	return o.ShareBP
}

// OwnerShare is a channel owner's share of spend at bp basis points,
// rounded down to the micro.
func OwnerShare(spent int64, bp int) int64 { return spent * int64(bp) / 10000 }

// SetOptIn opts a channel in to ads inside it, or out (its owner only).
// The owner's share is the operator's Config.OwnerShareBP. Errors:
// ENotFound, EForbidden (not the owner), EInvalid (not public, too few
// followers).
func (s *Service) SetOptIn(ctx context.Context, p parley.Principal, channelID int64, on bool) (wire.AdChannelOptIn, error) {
	if err := s.off(); err != nil {
		return wire.AdChannelOptIn{}, err
	}
	ch, err := s.d.Channels.ChannelInfo(ctx, channelID)
	if err != nil {
		return wire.AdChannelOptIn{}, err
	}
	if ch.OwnerID != p.AccountID {
		return wire.AdChannelOptIn{}, parley.Errorf(parley.EForbidden, "only the channel's owner may opt it in to ads")
	}
	out := wire.AdChannelOptIn{ChannelID: channelID, OptIn: on, ShareBP: s.cfg.OwnerShareBP}
	if !on {
		if err := s.d.Store.DeleteAdOptIn(ctx, channelID); err != nil && parley.ErrorCode(err) != parley.ENotFound {
			return wire.AdChannelOptIn{}, err
		}
		return out, nil
	}
	if !ch.Public || ch.Followers < s.cfg.MinFollowers {
		return wire.AdChannelOptIn{}, parley.InvalidField("channel", fmt.Sprintf("ads show only in public channels of at least %d followers", s.cfg.MinFollowers))
	}
	return out, s.d.Store.PutAdOptIn(ctx, OptIn{ChannelID: channelID, ShareBP: s.cfg.OwnerShareBP, At: s.now()})
}

// SpendRange is the ad library's coarse spend: a range, never the amount.
func SpendRange(spent int64, currency string) string {
	units := spent / 1_000_000
	bounds := []int64{100, 1000, 10_000, 100_000, 1_000_000}
	lo := int64(0)
	for _, b := range bounds {
		if units < b {
			return fmt.Sprintf("%s %d–%d", currency, lo, b)
		}
		lo = b
	}
	return fmt.Sprintf("%s over %d", currency, lo)
}

// Library lists every ad that has run or runs (approved at some time),
// newest first, with id < before (0: from the newest), at most limit: the
// advertiser, the dates, the placements and targeting, and the spend
// range. It is public, also when ads are off now (past ads stay listed).
func (s *Service) Library(ctx context.Context, before int64, limit int) ([]wire.AdLibraryEntry, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var all []Campaign
	for after := int64(0); ; {
		page, err := s.d.Store.AdCampaignsByStatus(ctx, []string{StatusActive, StatusPaused, StatusEnded}, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("library: %w", err)
		}
		all = append(all, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	slices.Reverse(all)
	out := []wire.AdLibraryEntry{}
	now := s.now()
	for _, c := range all {
		if before > 0 && c.ID >= before {
			continue
		}
		if len(out) == limit {
			break
		}
		status := c.Status
		if status == StatusActive && !c.Live(now) {
			status = StatusEnded
		}
		e := wire.AdLibraryEntry{CampaignID: c.ID, Advertiser: s.name(ctx, c.Advertiser), Objective: c.Objective, Creatives: c.Creatives,
			Targeting: c.Targeting, Start: c.Start.UTC().Format(time.DateOnly), Status: status, SpendRange: SpendRange(c.Spent, c.Currency)}
		if !c.End.IsZero() {
			e.End = c.End.UTC().Format(time.DateOnly)
		}
		out = append(out, e)
	}
	return out, nil
}

// randomID is 12 random hex digits.
func randomID() string {
	var b [6]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read does not fail
	return hex.EncodeToString(b[:])
}
