package billing

import (
	"context"
	"time"

	"github.com/parleyhq/parley/money"
)

// The wallet modes of a business.
const (
	// WalletInvoice: no limit; the business pays its monthly invoice.
	WalletInvoice = "invoice"
	// WalletPrepaid: paid sends need a balance that covers them.
	WalletPrepaid = "prepaid"
	// WalletCredit: the balance may fall to minus the credit limit.
	WalletCredit = "credit"
)

// Account is a business's wallet and billing settings. Amounts are
// micro-units of Currency.
type Account struct {
	BusinessID     int64
	Mode           string // WalletInvoice, WalletPrepaid or WalletCredit
	Currency       string
	Balance        int64 // top-ups and credits minus charges
	CreditLimit    int64 // how far below zero a WalletCredit balance may go
	LowBalance     int64 // a webhook warns when the balance falls below; 0: never
	LowNotified    bool  // the warning was sent and the balance has not recovered since
	PricingAmounts bool  // status webhooks carry the charged amount
	// BudgetCaps are monthly spend caps per priced category (marketing,
	// utility, authentication, service); a send that would pass one is
	// refused.
	BudgetCaps map[string]int64
}

// WalletTx is one movement of a wallet other than a charge: a top-up, a
// credit note, or an operator's adjustment. Key makes it idempotent.
type WalletTx struct {
	ID         int64     `json:"id"`
	BusinessID int64     `json:"business_id"`
	Key        string    `json:"-"`
	Kind       string    `json:"kind"` // top_up | credit_note | adjustment
	Amount     int64     `json:"amount_micros"`
	Currency   string    `json:"currency"`
	Ref        string    `json:"ref,omitempty"`
	Note       string    `json:"note,omitempty"`
	At         time.Time `json:"at"`
}

// RateCardRecord is an operator's rate card version as stored: its text is
// the source of truth, parsed with Parse.
type RateCardRecord struct {
	Name      string
	Version   int
	Text      string
	Effective time.Time
	CreatedAt time.Time
}

// CardAssignment puts a business on a rate card from a time on.
type CardAssignment struct {
	BusinessID int64
	Card       string
	From       time.Time
}

// StoredCharge is a rated ledger entry as stored, with its row id.
type StoredCharge struct {
	ID int64
	Charge
}

// ChargeTotal is a group of charges with equal business, period,
// category, market, tier, card version, reason and unit amount: the
// invoice line of one business, and the cell the dashboard sums.
type ChargeTotal struct {
	BusinessID int64
	Period     Period
	Category   Category
	Market     string
	Tier       string
	Card       string // name@version
	Reason     Reason
	Unit       int64
	Units      int64
	Amount     int64
	Currency   string
}

// Invoice is a business's closed monthly invoice. Its lines are the
// rated ledger of the period summed; corrections are credit notes.
type Invoice struct {
	ID         int64        `json:"id"`
	BusinessID int64        `json:"business_id"`
	Period     Period       `json:"period"`
	Status     string       `json:"status"` // closed
	Currency   string       `json:"currency"`
	Lines      []Line       `json:"lines"`
	Total      int64        `json:"total_micros"` // sum of the lines, exact
	TotalMinor int64        `json:"total_minor"`  // Total rounded once (RoundMinor)
	Credits    int64        `json:"credits_micros"`
	Notes      []CreditNote `json:"credit_notes"`
	IssuedAt   time.Time    `json:"issued_at"`
}

// CreditNote corrects a closed invoice: it credits the business's wallet.
type CreditNote struct {
	ID         int64     `json:"id"`
	InvoiceID  int64     `json:"invoice_id"`
	BusinessID int64     `json:"business_id"`
	Amount     int64     `json:"amount_micros"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}

// Store is what the Biller reads and writes: wallets, rate cards and
// card assignments, the rated ledger, invoices and credit notes; and it
// reads the usage ledger (audit, simulator) and the money ledger (the
// dashboard's people-side revenue). Both store adapters implement it
// (internal/storetest checks them); business.Store includes it.
//
// A missing row is ErrNotFound and a duplicate EConflict unless a
// method says otherwise.
type Store interface {
	// GetBillingAccount returns the business's wallet, or ErrNotFound when
	// it has none yet (the defaults apply).
	GetBillingAccount(ctx context.Context, businessID int64) (Account, error)
	// PutBillingSettings creates the wallet or writes every field of a but
	// Balance and LowNotified.
	PutBillingSettings(ctx context.Context, a Account) error
	// SetLowNotified writes LowNotified of an existing wallet.
	SetLowNotified(ctx context.Context, businessID int64, v bool) error
	// AddWalletTx records t and adds t.Amount to the balance (creating
	// the wallet with currency t.Currency if needed), once per Key: it
	// returns false, changing nothing, for a Key seen before.
	AddWalletTx(ctx context.Context, t *WalletTx) (bool, error)
	// ListWalletTx returns the business's wallet movements newest first,
	// with id < before (0: from the newest), at most limit.
	ListWalletTx(ctx context.Context, businessID, before int64, limit int) ([]WalletTx, error)

	// PutRateCard stores an operator's card version; EConflict if that
	// name and version exist.
	PutRateCard(ctx context.Context, r RateCardRecord) error
	// ListRateCards returns the operator's card versions by name, version.
	ListRateCards(ctx context.Context) ([]RateCardRecord, error)
	// SetBusinessCard puts the business on card from a time on (replacing
	// an assignment from the same time).
	SetBusinessCard(ctx context.Context, a CardAssignment) error
	// CardAssignments returns every assignment by business, then From.
	CardAssignments(ctx context.Context) ([]CardAssignment, error)

	// MonthCharges returns the business's charges of a period in id order.
	MonthCharges(ctx context.Context, businessID int64, p Period) ([]Charge, error)
	// ListCharges returns the business's charges of a period (every
	// business's when businessID is 0) with id > after, by id, at most limit.
	ListCharges(ctx context.Context, businessID int64, p Period, after int64, limit int) ([]StoredCharge, error)
	// CommitAdCharge inserts an ad spend charge and debits its wallet in
	// one transaction, once per key: false when the key was seen.
	CommitAdCharge(ctx context.Context, c Charge) (bool, error)
	// ChargeTotals sums the charges of the periods from..to (inclusive),
	// of one business or all (0), grouped as ChargeTotal says.
	ChargeTotals(ctx context.Context, businessID int64, from, to Period) ([]ChargeTotal, error)

	// CloseInvoicePeriod stores the invoices of a period and closes it, in
	// one transaction, setting their IDs; EConflict if it was closed.
	CloseInvoicePeriod(ctx context.Context, p Period, invs []*Invoice, at time.Time) error
	// InvoicePeriodClosed reports whether the period was invoiced.
	InvoicePeriodClosed(ctx context.Context, p Period) (bool, error)
	// ListInvoices returns invoices of a business (all for 0) and of a
	// period (all for 0), newest period first, then by business; with
	// their credit notes.
	ListInvoices(ctx context.Context, businessID int64, p Period) ([]Invoice, error)
	// GetInvoice returns an invoice with its credit notes, or ErrNotFound.
	GetInvoice(ctx context.Context, id int64) (Invoice, error)
	// AddCreditNote records n against its invoice, adds its amount to
	// the invoice's credits and to the wallet, in one transaction, and
	// sets n.ID. ErrNotFound for an unknown invoice.
	AddCreditNote(ctx context.Context, n *CreditNote) error

	// UsageReader reads the usage ledger.
	UsageReader
	// LedgerRange returns the money-ledger entries with from <= At < to,
	// of the channel (any, for 0) and of kind (any, for ""), by id.
	LedgerRange(ctx context.Context, channelID int64, kind string, from, to time.Time) ([]money.LedgerEntry, error)
}
