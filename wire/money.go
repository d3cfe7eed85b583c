package wire

import "time"

// Money is an amount on the wire: minor units (cents) of Currency. It is
// the JSON shape of money.Money, which owns amounts and their one rounding
// rule on the server; the two convert into each other (wire.Money(m)).
type Money struct {
	Minor    int64  `json:"amount_minor"`
	Currency string `json:"currency"`
}

// LedgerEntry is one money entry about a channel as the owner (in
// ChannelRevenue) and the operator see it: a charge, the operator's share
// of it, a promotion purchase or its settlement. It is the JSON shape of
// money.LedgerEntry, the server's record, and converts from it
// (wire.LedgerEntry(e)). Key is the idempotency key.
type LedgerEntry struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key"`
	ChannelID int64     `json:"channel_id"`
	Kind      string    `json:"kind"` // subscription_charge | operator_share | promotion_charge | promotion_settled
	Minor     int64     `json:"amount_minor"`
	Currency  string    `json:"currency"`
	Quantity  int64     `json:"quantity,omitempty"` // impressions, for promotion_settled
	Ref       string    `json:"ref"`                // subscription or promotion id
	At        time.Time `json:"at"`
}
