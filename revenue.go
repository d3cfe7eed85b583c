package parley

import (
	"sync"
	"time"
)

// RevenueConfig turns on the people-side revenue models
// (docs/REVENUE-MODELS.md). Every model is off in the zero value.
// Payments go through ChannelConfig.Payments, the server's one provider.
type RevenueConfig struct {
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
	MaxDevices   int   // linked devices of members; default Config.MaxDevices + 5
	FreePins     int   // pinned chats without premium; default 3
	MaxPins      int   // pinned chats of members; default 10
}

func (c *Config) revenueDefaults() {
	r := &c.Revenue
	if r.Currency == "" {
		r.Currency = c.Channels.withDefaults().Currency
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
		p.MaxMedia = 4 * c.MaxMedia
	}
	if p.MaxDevices == 0 {
		p.MaxDevices = c.MaxDevices + 5
	}
	if p.FreePins == 0 {
		p.FreePins = 3
	}
	if p.MaxPins == 0 {
		p.MaxPins = 10
	}
}

// peopleState is the Service's mutable state for the revenue models.
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
