package revenue

import (
	"context"
	"time"

	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// Store holds what the people-side revenue models keep besides
// the money ledger: recurring payments (premium memberships, recurring
// donations), pinned chats and the operator's operating costs. It is part
// of Store.
type Store interface {
	money.LedgerWriter

	// CountPeople returns how many accounts exist that are not business
	// numbers: the seats a licence counts.
	CountPeople(ctx context.Context) (int64, error)

	// PutRecurring inserts r, or replaces the account's recurring payment
	// of r.Kind, and sets r.ID.
	PutRecurring(ctx context.Context, r *Recurring) error
	// GetRecurring returns the account's recurring payment of kind, or
	// ErrNotFound.
	GetRecurring(ctx context.Context, accountID int64, kind RecurringKind) (Recurring, error)
	// DueRecurring returns up to limit active recurring payments whose
	// period ended at or before now, by period end then id.
	DueRecurring(ctx context.Context, now time.Time, limit int) ([]Recurring, error)

	// PinChat pins chatID for accountID at position at. Pinning a pinned
	// chat is not an error and changes nothing. It returns ELimit,
	// atomically, if the account already has limit pins.
	PinChat(ctx context.Context, accountID, chatID int64, at time.Time, limit int) error
	// UnpinChat unpins the chat, or returns ErrNotFound if it was not pinned.
	UnpinChat(ctx context.Context, accountID, chatID int64) error
	// PinnedChats returns the account's pinned chat ids, most recently
	// pinned first.
	PinnedChats(ctx context.Context, accountID int64) ([]int64, error)

	// AddOperatingCost stores c and sets c.ID.
	AddOperatingCost(ctx context.Context, c *wire.OperatingCost) error
	// OperatingCosts returns the costs whose Month is in [from, to]
	// ("YYYY-MM"), by month then id.
	OperatingCosts(ctx context.Context, from, to string) ([]wire.OperatingCost, error)

	// LedgerRange returns the ledger entries with from <= At < to, of
	// the channel (any, for 0) and of kind (any, for ""), by id.
	LedgerRange(ctx context.Context, channelID int64, kind string, from, to time.Time) ([]money.LedgerEntry, error)

	// From the chat and channel tables: pins are of chats members belong to, statements are of channels.
	// AdminChannels returns the channels accountID administers, by id.
	AdminChannels(ctx context.Context, accountID int64) ([]channel.Channel, error)
	// GetChannel returns the channel, or ErrNotFound.
	GetChannel(ctx context.Context, id int64) (channel.Channel, error)
	// ChannelLedger returns the channel's ledger entries (all for 0) with
	// id > after, ascending, at most limit.
	ChannelLedger(ctx context.Context, channelID, after int64, limit int) ([]money.LedgerEntry, error)
	// GetChat returns the chat, or ErrNotFound.
	GetChat(ctx context.Context, id int64) (chat.Chat, error)
	// GetMember returns one membership, or ErrNotFound.
	GetMember(ctx context.Context, chatID, accountID int64) (chat.Member, error)
}

// RecurringKind is what a recurring payment pays for.
type RecurringKind string

// The recurring payment kinds.
const (
	RecurringPremium  RecurringKind = "premium"
	RecurringDonation RecurringKind = "donation"
)

// Recurring is an account's recurring payment: a premium membership or a
// recurring donation. Each period is charged in advance.
type Recurring struct {
	ID          int64
	AccountID   int64
	Kind        RecurringKind
	Plan        string // "month" or "year"
	PriceMinor  int64  // charged each period
	Currency    string
	Method      string // payment method token given to the provider
	Status      channel.SubscriptionStatus
	Period      int64 // number of the current period, from 1
	PeriodEnd   time.Time
	CancelAtEnd bool
	CreatedAt   time.Time
}
