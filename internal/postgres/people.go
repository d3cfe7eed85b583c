package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/revenue"
)

// CountPeople counts accounts that are not business numbers.
func (db *DB) CountPeople(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM accounts a
		WHERE NOT EXISTS (SELECT 1 FROM business_numbers n WHERE n.account_id = a.id)`).Scan(&n)
	return n, wrap("count people", err)
}

const recurringCols = `id, account_id, kind, plan, price_minor, currency, method, status, period, period_end, cancel_at_end, created_at`

func scanRecurring(sc pgx.Row) (revenue.Recurring, error) {
	var r revenue.Recurring
	err := sc.Scan(&r.ID, &r.AccountID, &r.Kind, &r.Plan, &r.PriceMinor, &r.Currency, &r.Method, &r.Status, &r.Period,
		tcol(&r.PeriodEnd), &r.CancelAtEnd, tcol(&r.CreatedAt))
	return r, err
}

// PutRecurring inserts or replaces the account's recurring payment of r.Kind.
func (db *DB) PutRecurring(ctx context.Context, r *revenue.Recurring) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO recurring_payments (account_id, kind, plan, price_minor, currency,
			method, status, period, period_end, cancel_at_end, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (account_id, kind) DO UPDATE SET plan = excluded.plan, price_minor = excluded.price_minor,
			currency = excluded.currency, method = excluded.method, status = excluded.status, period = excluded.period,
			period_end = excluded.period_end, cancel_at_end = excluded.cancel_at_end
		RETURNING id`,
		r.AccountID, r.Kind, r.Plan, r.PriceMinor, r.Currency, r.Method, r.Status, r.Period, ts(r.PeriodEnd), r.CancelAtEnd,
		ts(r.CreatedAt)).Scan(&r.ID)
	return wrap("put recurring", err)
}

// GetRecurring returns the account's recurring payment of kind.
func (db *DB) GetRecurring(ctx context.Context, accountID int64, kind revenue.RecurringKind) (revenue.Recurring, error) {
	r, err := scanRecurring(db.pool.QueryRow(ctx, `SELECT `+recurringCols+` FROM recurring_payments WHERE account_id = $1 AND kind = $2`,
		accountID, kind))
	return r, wrap("get recurring", err)
}

// DueRecurring returns active recurring payments whose period ended.
func (db *DB) DueRecurring(ctx context.Context, now time.Time, limit int) ([]revenue.Recurring, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+recurringCols+` FROM recurring_payments
		WHERE status = 'active' AND period_end <= $1 ORDER BY period_end, id LIMIT $2`, now, limit)
	out, err := collect(rows, err, scanRecurring)
	return out, wrap("due recurring", err)
}

// PinChat pins a chat, atomically within limit.
func (db *DB) PinChat(ctx context.Context, accountID, chatID int64, at time.Time, limit int) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// Locking the account row serializes pinning per account; the count
		// is a statement of its own, taken after the lock.
		if _, err := tx.Exec(ctx, `SELECT FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, accountID); err != nil {
			return err
		}
		var pinned bool
		var n int
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM chat_pins WHERE account_id = $1 AND chat_id = $2),
			(SELECT count(*) FROM chat_pins WHERE account_id = $1)`, accountID, chatID).Scan(&pinned, &n)
		if err != nil || pinned {
			return err
		}
		if n >= limit {
			return parley.Errorf(parley.ELimit, "at most %d chats may be pinned", limit)
		}
		_, err = tx.Exec(ctx, `INSERT INTO chat_pins (account_id, chat_id, pinned_at) VALUES ($1, $2, $3)`, accountID, chatID, ts(at))
		return err
	})
	return wrap("pin chat", err)
}

// UnpinChat unpins a chat.
func (db *DB) UnpinChat(ctx context.Context, accountID, chatID int64) error {
	return wrap("unpin chat", mustAffect(db.pool.Exec(ctx, `DELETE FROM chat_pins WHERE account_id = $1 AND chat_id = $2`, accountID, chatID)))
}

// PinnedChats returns the account's pinned chats, newest pin first.
func (db *DB) PinnedChats(ctx context.Context, accountID int64) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT chat_id FROM chat_pins WHERE account_id = $1 ORDER BY pinned_at DESC, chat_id DESC`, accountID)
	out, err := collect(rows, err, func(r pgx.Row) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if out == nil {
		out = []int64{}
	}
	return out, wrap("pinned chats", err)
}

// AddOperatingCost stores c.
func (db *DB) AddOperatingCost(ctx context.Context, c *revenue.OperatingCost) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO operating_costs (month, category, description, amount_minor, currency, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.Month, c.Category, c.Description, c.Minor, c.Currency, ts(c.CreatedAt)).Scan(&c.ID)
	return wrap("add operating cost", err)
}

// OperatingCosts returns the costs of months from to to.
func (db *DB) OperatingCosts(ctx context.Context, from, to string) ([]revenue.OperatingCost, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, month, category, description, amount_minor, currency, created_at
		FROM operating_costs WHERE month >= $1 AND month <= $2 ORDER BY month, id`, from, to)
	out, err := collect(rows, err, func(r pgx.Row) (revenue.OperatingCost, error) {
		var c revenue.OperatingCost
		return c, r.Scan(&c.ID, &c.Month, &c.Category, &c.Description, &c.Minor, &c.Currency, tcol(&c.CreatedAt))
	})
	if out == nil {
		out = []revenue.OperatingCost{}
	}
	return out, wrap("operating costs", err)
}

// LedgerRange returns ledger entries of a time range.
func (db *DB) LedgerRange(ctx context.Context, channelID int64, kind string, from, to time.Time) ([]money.LedgerEntry, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, key, channel_id, kind, amount_minor, currency, quantity, ref, at FROM channel_ledger
		WHERE ($1 = 0 OR channel_id = $1) AND ($2 = '' OR kind = $2) AND at >= $3 AND at < $4 ORDER BY id`,
		channelID, kind, from, to)
	out, err := collect(rows, err, func(r pgx.Row) (money.LedgerEntry, error) {
		var e money.LedgerEntry
		return e, r.Scan(&e.ID, &e.Key, &e.ChannelID, &e.Kind, &e.Minor, &e.Currency, &e.Quantity, &e.Ref, tcol(&e.At))
	})
	if out == nil {
		out = []money.LedgerEntry{}
	}
	return out, wrap("ledger range", err)
}
