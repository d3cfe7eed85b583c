package wire

import "time"

// PremiumPlan is a plan on offer.
type PremiumPlan struct {
	Plan  string `json:"plan"` // "month" or "year"
	Price Money  `json:"price"`
}

// Perks are the limits that apply to an account.
type Perks struct {
	MaxMediaBytes int64 `json:"max_media_bytes"`
	MaxDevices    int   `json:"max_devices"`
	MaxPins       int   `json:"max_pins"`
	Badge         bool  `json:"badge"`
}

// PremiumView is the caller's premium membership, the plans on offer and
// the limits that apply to the caller now.
type PremiumView struct {
	Active      bool               `json:"active"` // the perks apply
	Plan        string             `json:"plan,omitempty"`
	Price       *Money             `json:"price,omitempty"`
	Status      SubscriptionStatus `json:"status,omitempty"`
	PeriodEnd   *time.Time         `json:"period_end,omitempty"`
	CancelAtEnd bool               `json:"cancel_at_period_end"`
	Perks       Perks              `json:"perks"`
	Plans       []PremiumPlan      `json:"plans"`
}

// Pins are an account's pinned chats and its pin limit.
type Pins struct {
	ChatIDs []int64 `json:"chat_ids"`
	Limit   int     `json:"limit"`
}

// DonationView is a donation just made, or the caller's recurring
// donation.
type DonationView struct {
	Amount      Money              `json:"amount"`
	Monthly     bool               `json:"monthly"`
	Status      SubscriptionStatus `json:"status,omitempty"`     // of a monthly donation
	PeriodEnd   *time.Time         `json:"period_end,omitempty"` // of a monthly donation: the next charge
	CancelAtEnd bool               `json:"cancel_at_period_end,omitempty"`
	At          time.Time          `json:"at"`
}

// Transparency is the public account of a nonprofit server: donations
// in and operating costs out, by month.
type Transparency struct {
	Currency  string              `json:"currency"`
	From      string              `json:"from"`
	To        string              `json:"to"`
	Months    []TransparencyMonth `json:"months"`
	Donations int64               `json:"donations_minor"`
	Costs     int64               `json:"costs_minor"`
	Balance   int64               `json:"balance_minor"` // donations - costs
}

// TransparencyMonth is one month of the transparency page.
type TransparencyMonth struct {
	Month     string         `json:"month"` // "YYYY-MM"
	Donations int64          `json:"donations_minor"`
	Donors    int64          `json:"donations"` // how many donations (not who)
	Costs     int64          `json:"costs_minor"`
	Balance   int64          `json:"balance_minor"`
	CostItems []CostItemView `json:"cost_items"`
}

// CostItemView is one operating cost as the public sees it.
type CostItemView struct {
	Category    string `json:"category"`
	Description string `json:"description"`
	Minor       int64  `json:"amount_minor"`
}

// Statement is a channel owner's monthly statement: for each channel
// they own, the subscription revenue of the month, the operator's share
// and the net payout, with one line per charge.
type Statement struct {
	Month         string             `json:"month"`  // "YYYY-MM"
	Closed        bool               `json:"closed"` // the month has ended
	Gross         Money              `json:"gross"`
	OperatorShare Money              `json:"operator_share"`
	Net           Money              `json:"net"`
	Channels      []ChannelStatement `json:"channels"`
}

// ChannelStatement is one channel's part of a statement. Gross is
// always OperatorShare + Net, and each is the sum of its lines.
type ChannelStatement struct {
	ChannelID     int64           `json:"channel_id"`
	Handle        string          `json:"handle"`
	Gross         Money           `json:"gross"`
	OperatorShare Money           `json:"operator_share"`
	Net           Money           `json:"net"`
	Payout        *PayoutView     `json:"payout,omitempty"` // once the month's payout is recorded
	Lines         []StatementLine `json:"lines"`
}

// StatementLine is one subscription charge and its split.
type StatementLine struct {
	At            time.Time `json:"at"`
	Ref           string    `json:"ref"` // the subscription; never the subscriber
	Gross         int64     `json:"gross_minor"`
	OperatorShare int64     `json:"operator_share_minor"`
	Net           int64     `json:"net_minor"`
}

// PayoutView is a recorded payout of one channel's net revenue of a month.
type PayoutView struct {
	ChannelID int64     `json:"channel_id"`
	Month     string    `json:"month"`
	Amount    Money     `json:"amount"`
	Key       string    `json:"key"`
	At        time.Time `json:"at"`
}

// LicenseStatus is what the operator sees of the licence and the seats.
type LicenseStatus struct {
	Licensed  bool       `json:"licensed"`
	ID        string     `json:"id,omitempty"`
	Customer  string     `json:"customer,omitempty"`
	Seats     int64      `json:"seats,omitempty"`
	SeatsUsed int64      `json:"seats_used"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Expired   bool       `json:"expired"`
	OverLimit bool       `json:"over_limit"` // seats used >= seats: no new accounts
	Features  []string   `json:"features,omitempty"`
}

// OperatingCost is one cost the operator enters for the transparency page.
type OperatingCost struct {
	ID          int64     `json:"id"`
	Month       string    `json:"month"`    // "YYYY-MM"
	Category    string    `json:"category"` // e.g. "infrastructure", "staff"
	Description string    `json:"description"`
	Minor       int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	CreatedAt   time.Time `json:"created_at"`
}
