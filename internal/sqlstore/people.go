package sqlstore

import (
	"context"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/revenue"
	"github.com/parleyhq/parley/wire"
)

// CountPeople counts accounts that are not business numbers.
func (s *Store) CountPeople(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRow(ctx, `SELECT count(*) FROM accounts a
		WHERE NOT EXISTS (SELECT 1 FROM business_numbers n WHERE n.account_id = a.id)`).Scan(&n)
	return n, s.wrap("count people", err)
}

const recurringCols = `id, account_id, kind, plan, price_minor, currency, method, status, period, period_end, cancel_at_end, created_at`

func scanRecurring(sc Row) (revenue.Recurring, error) {
	var r revenue.Recurring
	err := sc.Scan(&r.ID, &r.AccountID, &r.Kind, &r.Plan, &r.PriceMinor, &r.Currency, &r.Method, &r.Status, &r.Period,
		tcol(&r.PeriodEnd), &r.CancelAtEnd, tcol(&r.CreatedAt))
	return r, err
}

// PutRecurring inserts or replaces the account's recurring payment of r.Kind.
func (s *Store) PutRecurring(ctx context.Context, r *revenue.Recurring) error {
	err := s.w.QueryRow(ctx, `INSERT INTO recurring_payments (account_id, kind, plan, price_minor, currency,
			method, status, period, period_end, cancel_at_end, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, kind) DO UPDATE SET plan = excluded.plan, price_minor = excluded.price_minor,
			currency = excluded.currency, method = excluded.method, status = excluded.status, period = excluded.period,
			period_end = excluded.period_end, cancel_at_end = excluded.cancel_at_end
		RETURNING id`,
		r.AccountID, r.Kind, r.Plan, r.PriceMinor, r.Currency, r.Method, r.Status, r.Period, s.ts(r.PeriodEnd), r.CancelAtEnd,
		s.ts(r.CreatedAt)).Scan(&r.ID)
	return s.wrap("put recurring", err)
}

// GetRecurring returns the account's recurring payment of kind.
func (s *Store) GetRecurring(ctx context.Context, accountID int64, kind revenue.RecurringKind) (revenue.Recurring, error) {
	r, err := scanRecurring(s.r.QueryRow(ctx, `SELECT `+recurringCols+` FROM recurring_payments WHERE account_id = ? AND kind = ?`,
		accountID, kind))
	return r, s.wrap("get recurring", err)
}

// DueRecurring returns active recurring payments whose period ended.
func (s *Store) DueRecurring(ctx context.Context, now time.Time, limit int) ([]revenue.Recurring, error) {
	out, err := queryAll(ctx, s.r, `SELECT `+recurringCols+` FROM recurring_payments
		WHERE status = 'active' AND period_end <= ? ORDER BY period_end, id LIMIT ?`, scanRecurring, s.ts(now), limit)
	return out, s.wrap("due recurring", err)
}

// PinChat pins a chat, atomically within limit.
func (s *Store) PinChat(ctx context.Context, accountID, chatID int64, at time.Time, limit int) error {
	err := s.tx(ctx, func(tx Querier) error {
		// Locking the account row serializes pinning per account; the count
		// is a statement of its own, taken after the lock.
		if err := s.lockRow(ctx, tx, "accounts", accountID); err != nil {
			return err
		}
		var pinned bool
		var n int
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM chat_pins WHERE account_id = ? AND chat_id = ?),
			(SELECT count(*) FROM chat_pins WHERE account_id = ?)`, accountID, chatID, accountID).Scan(&pinned, &n)
		if err != nil || pinned {
			return err
		}
		if n >= limit {
			return parley.Errorf(parley.ELimit, "at most %d chats may be pinned", limit)
		}
		_, err = tx.Exec(ctx, `INSERT INTO chat_pins (account_id, chat_id, pinned_at) VALUES (?, ?, ?)`, accountID, chatID, s.ts(at))
		return err
	})
	return s.wrap("pin chat", err)
}

// UnpinChat unpins a chat.
func (s *Store) UnpinChat(ctx context.Context, accountID, chatID int64) error {
	err := affected(s.w.Exec(ctx, `DELETE FROM chat_pins WHERE account_id = ? AND chat_id = ?`, accountID, chatID))
	return s.wrap("unpin chat", err)
}

// PinnedChats returns the account's pinned chats, newest pin first.
func (s *Store) PinnedChats(ctx context.Context, accountID int64) ([]int64, error) {
	out, err := queryAll(ctx, s.r, `SELECT chat_id FROM chat_pins WHERE account_id = ? ORDER BY pinned_at DESC, chat_id DESC`,
		scanID, accountID)
	return nonNil(out), s.wrap("pinned chats", err)
}

// AddOperatingCost stores c.
func (s *Store) AddOperatingCost(ctx context.Context, c *wire.OperatingCost) error {
	err := s.w.QueryRow(ctx, `INSERT INTO operating_costs (month, category, description, amount_minor, currency, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, c.Month, c.Category, c.Description, c.Minor, c.Currency, s.ts(c.CreatedAt)).Scan(&c.ID)
	return s.wrap("add operating cost", err)
}

// OperatingCosts returns the costs of months from to to.
func (s *Store) OperatingCosts(ctx context.Context, from, to string) ([]wire.OperatingCost, error) {
	out, err := queryAll(ctx, s.r, `SELECT id, month, category, description, amount_minor, currency, created_at
		FROM operating_costs WHERE month >= ? AND month <= ? ORDER BY month, id`, func(r Row) (wire.OperatingCost, error) {
		var c wire.OperatingCost
		return c, r.Scan(&c.ID, &c.Month, &c.Category, &c.Description, &c.Minor, &c.Currency, tcol(&c.CreatedAt))
	}, from, to)
	return nonNil(out), s.wrap("operating costs", err)
}

// LedgerRange returns ledger entries of a time range.
func (s *Store) LedgerRange(ctx context.Context, channelID int64, kind string, from, to time.Time) ([]money.LedgerEntry, error) {
	out, err := queryAll(ctx, s.r, `SELECT id, key, channel_id, kind, amount_minor, currency, quantity, ref, at FROM channel_ledger
		WHERE (? = 0 OR channel_id = ?) AND (? = '' OR kind = ?) AND at >= ? AND at < ? ORDER BY id`,
		scanLedger, channelID, channelID, kind, kind, s.ts(from), s.ts(to))
	return nonNil(out), s.wrap("ledger range", err)
}
