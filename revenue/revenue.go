package revenue

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/parleyhq/parley/money"
)

// Config turns on the people-side revenue models
// (docs/REVENUE-MODELS.md). Every model is off in the zero value.
// Payments go through Deps.Payments, the server's one provider.
type Config struct {
	Currency string // of premium prices and donations; default ChannelConfig's currency

	// License, when set, is the verified licence of a self-hosted
	// enterprise deployment: at most Seats accounts, no new accounts once
	// it expires. Nil means unlimited.
	License *License

	Premium PremiumConfig

	// Donations takes one-off and recurring donations and publishes the
	// transparency page.
	Donations bool
	// Nonprofit refuses and hides every ad: channel promotions, promoted
	// directory results and click-to-chat ad links.
	Nonprofit bool
	// MinDonation is the smallest donation in minor units; default 100.
	MinDonation int64
}

// PremiumConfig is the freemium model: paid plans whose perks the
// server enforces. The free limits are Config.MaxMedia, Config.MaxDevices
// and FreePins.
type PremiumConfig struct {
	Enabled      bool
	MonthlyPrice int64 // minor units; default 499
	YearlyPrice  int64 // minor units; default 4999
	MaxMedia     int64 // upload limit of members; default 4 × Config.MaxMedia
	MediaQuota   int64 // bytes of kept uploads of members; default 4 × the free quota (negative: none)
	MaxDevices   int   // linked devices of members; default Config.MaxDevices + 5
	FreePins     int   // pinned chats without premium; default 3
	MaxPins      int   // pinned chats of members; default 10
}

// WithDefaults returns r with every zero field set to its default, given
// the chat core's free limits and the channels' currency.
func (r Config) WithDefaults(free FreeLimits, channelCurrency string) Config {
	r.setDefaults(free, channelCurrency)
	return r
}

// setDefaults fills in r's zero fields. The premium limits default to
// multiples of the free ones.
func (r *Config) setDefaults(free FreeLimits, channelCurrency string) {
	if r.Currency == "" {
		r.Currency = channelCurrency
	}
	if r.MinDonation == 0 {
		r.MinDonation = 100
	}
	p := &r.Premium
	if p.MonthlyPrice == 0 {
		p.MonthlyPrice = 499
	}
	if p.YearlyPrice == 0 {
		p.YearlyPrice = 4999
	}
	if p.MaxMedia == 0 {
		p.MaxMedia = 4 * free.MaxMedia
	}
	if p.MediaQuota == 0 {
		p.MediaQuota = 4 * free.MediaQuota // a negative free quota (none) stays none
	}
	if p.MaxDevices == 0 {
		p.MaxDevices = free.MaxDevices + 5
	}
	if p.FreePins == 0 {
		p.FreePins = 3
	}
	if p.MaxPins == 0 {
		p.MaxPins = 10
	}
}

// peopleState is the mutable state of the revenue models on this node.
type peopleState struct {
	seatMu sync.Mutex // admission of new accounts under a licence, on this node

	payoutMu    sync.Mutex
	payoutMonth string // the last month whose payouts the sweeper recorded
}

// monthOf returns the first instant of t's month (UTC) and of the next.
func monthOf(t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}

// FreeLimits are the chat core's limits for everyone; premium raises them.
type FreeLimits struct {
	MaxDevices int
	MaxMedia   int64
	MediaQuota int64
}

// Service is the people-side revenue models' service: premium, licence
// seats, donations and the transparency page, owners' statements and
// payouts, and the nonprofit switch. It is safe for concurrent use; Run
// runs its sweeper.
type Service struct {
	store           Store
	log             *slog.Logger
	now             func() time.Time
	cfg             Config
	free            FreeLimits
	channelCurrency string
	payments        money.PaymentProvider
	state           peopleState
}

// Deps are what the revenue models need.
type Deps struct {
	Store    Store
	Logger   *slog.Logger
	Now      func() time.Time
	Payments money.PaymentProvider // default: none, paying fails with EUnavailable
	// Free are the chat core's limits for everyone, which premium raises.
	Free FreeLimits
	// ChannelCurrency is the channels' currency, the default of Config.Currency.
	ChannelCurrency string
}

// New returns the revenue models' service. It starts nothing; call Run.
func New(cfg Config, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Payments == nil {
		d.Payments = money.NoPayments{}
	}
	cfg.setDefaults(d.Free, d.ChannelCurrency)
	return &Service{store: d.Store, log: d.Logger, now: d.Now,
		cfg: cfg, free: d.Free, channelCurrency: d.ChannelCurrency, payments: d.Payments}
}

// Config returns the effective configuration, with defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Run runs the sweeper every interval until ctx is done: premium
// renewals, monthly donations and owners' payouts.
func (s *Service) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.Sweep(ctx); err != nil {
				s.log.Error("revenue sweep", "err", err)
			}
		}
	}
}
