// Money is exact: integer minor units with a currency, one rounding rule,
// the payment provider every context charges through, and the money ledger.
package money

import (
	"context"
	"github.com/parleyhq/parley"
	"sync"
	"time"
)

// Money is an amount in minor units (cents) of Currency. Amounts are
// integers; the one rounding rule is in RevenueShare.
type Money struct {
	Minor    int64  `json:"amount_minor"`
	Currency string `json:"currency"`
}

// RevenueShare is the operator's share of amount at bp basis points,
// rounded half up to the minor unit. It is the only rounding in channel money.
func RevenueShare(amount int64, bp int) int64 {
	return (amount*int64(bp) + 5000) / 10000
}

// LedgerEntry is one immutable money entry about a channel: a charge, the
// operator's revenue share of it, a promotion purchase or its settlement.
// Key is the idempotency key.
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

// PaymentCharge is one charge to a payment provider.
type PaymentCharge struct {
	Key         string // idempotency key: a retried charge is charged once
	AccountID   int64
	Method      string
	Amount      Money
	Description string
}

// PaymentProvider takes payments. The built-in SandboxPayments is enough
// for development and tests; real providers come with billing.
type PaymentProvider interface {
	// Charge charges the payer and returns the provider's reference.
	// It returns EPaymentDeclined when the charge is refused.
	Charge(ctx context.Context, c PaymentCharge) (string, error)
}

// SandboxPayments is a PaymentProvider that charges nothing real. It
// accepts every charge except those of declined accounts and of the
// method "decline". It is safe for concurrent use.
type SandboxPayments struct {
	mu       sync.Mutex
	declined map[int64]bool
	charges  map[string]PaymentCharge
}

// NewSandboxPayments returns an empty sandbox.
func NewSandboxPayments() *SandboxPayments {
	return &SandboxPayments{declined: map[int64]bool{}, charges: map[string]PaymentCharge{}}
}

// Charge records c, or declines it.
func (p *SandboxPayments) Charge(ctx context.Context, c PaymentCharge) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.charges[c.Key]; ok {
		return "sandbox:" + c.Key, nil
	}
	if p.declined[c.AccountID] || c.Method == "decline" {
		return "", &parley.Error{Code: parley.EPaymentDeclined, Message: "the payment was declined"}
	}
	p.charges[c.Key] = c
	return "sandbox:" + c.Key, nil
}

// Decline makes every later charge of the account fail (true) or succeed.
func (p *SandboxPayments) Decline(accountID int64, decline bool) {
	p.mu.Lock()
	p.declined[accountID] = decline
	p.mu.Unlock()
}

// Charges returns how many distinct charges were taken.
func (p *SandboxPayments) Charges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.charges)
}

// NoPayments is the provider of a service configured without one.
type NoPayments struct{}

func (NoPayments) Charge(ctx context.Context, c PaymentCharge) (string, error) {
	return "", parley.Errorf(parley.EUnavailable, "payments are not configured on this server")
}

// LedgerWriter appends money entries to the ledger. Entries are
// immutable; an entry whose Key exists is skipped, so a retried charge
// never counts twice.
type LedgerWriter interface {
	// AppendLedger inserts the entries whose Key is new, sets their IDs,
	// and returns how many were inserted.
	AppendLedger(ctx context.Context, es []*LedgerEntry) (int, error)
}

// PaymentRefunder is a PaymentProvider that can also refund. Both the
// sandbox and the Stripe adapter are.
type PaymentRefunder interface {
	// Refund refunds amount of the payment ref (as returned by Charge),
	// once per key, and returns the provider's reference.
	Refund(ctx context.Context, key, ref string, amount Money) (string, error)
}

// Refund records a refund in the sandbox; it never fails.
func (p *SandboxPayments) Refund(ctx context.Context, key, ref string, amount Money) (string, error) {
	return "sandbox-refund:" + key, nil
}
