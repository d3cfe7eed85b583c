package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/revenue"
)

// CountPeople counts accounts that are not business numbers.
func (db *DB) CountPeople(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM accounts a
		WHERE NOT EXISTS (SELECT 1 FROM business_numbers n WHERE n.account_id = a.id)`).Scan(&n)
	return n, wrap("count people", err)
}

const recurringCols = `id, account_id, kind, plan, price_minor, currency, method, status, period, period_end, cancel_at_end, created_at`

func scanRecurring(sc interface{ Scan(...any) error }) (revenue.Recurring, error) {
	var r revenue.Recurring
	err := sc.Scan(&r.ID, &r.AccountID, &r.Kind, &r.Plan, &r.PriceMinor, &r.Currency, &r.Method, &r.Status, &r.Period,
		tcol(&r.PeriodEnd), &r.CancelAtEnd, tcol(&r.CreatedAt))
	return r, err
}

// PutRecurring inserts or replaces the account's recurring payment of r.Kind.
func (db *DB) PutRecurring(ctx context.Context, r *revenue.Recurring) error {
	err := db.w.QueryRowContext(ctx, `INSERT INTO recurring_payments (account_id, kind, plan, price_minor, currency,
			method, status, period, period_end, cancel_at_end, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, kind) DO UPDATE SET plan = excluded.plan, price_minor = excluded.price_minor,
			currency = excluded.currency, method = excluded.method, status = excluded.status, period = excluded.period,
			period_end = excluded.period_end, cancel_at_end = excluded.cancel_at_end
		RETURNING id`,
		r.AccountID, r.Kind, r.Plan, r.PriceMinor, r.Currency, r.Method, r.Status, r.Period, ns(r.PeriodEnd), r.CancelAtEnd,
		ns(r.CreatedAt)).Scan(&r.ID)
	return wrap("put recurring", err)
}

// GetRecurring returns the account's recurring payment of kind.
func (db *DB) GetRecurring(ctx context.Context, accountID int64, kind revenue.RecurringKind) (revenue.Recurring, error) {
	r, err := scanRecurring(db.r.QueryRowContext(ctx, `SELECT `+recurringCols+` FROM recurring_payments WHERE account_id = ? AND kind = ?`,
		accountID, kind))
	return r, wrap("get recurring", err)
}

// DueRecurring returns active recurring payments whose period ended.
func (db *DB) DueRecurring(ctx context.Context, now time.Time, limit int) ([]revenue.Recurring, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+recurringCols+` FROM recurring_payments
		WHERE status = 'active' AND period_end <= ? ORDER BY period_end, id LIMIT ?`, now.UnixNano(), limit)
	if err != nil {
		return nil, wrap("due recurring", err)
	}
	defer rows.Close()
	var out []revenue.Recurring
	for rows.Next() {
		r, err := scanRecurring(rows)
		if err != nil {
			return nil, wrap("due recurring", err)
		}
		out = append(out, r)
	}
	return out, wrap("due recurring", rows.Err())
}

// PinChat pins a chat, atomically within limit.
func (db *DB) PinChat(ctx context.Context, accountID, chatID int64, at time.Time, limit int) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// BEGIN IMMEDIATE holds the write lock: count and insert are atomic.
		var pinned bool
		var n int
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM chat_pins WHERE account_id = ? AND chat_id = ?),
			(SELECT count(*) FROM chat_pins WHERE account_id = ?)`, accountID, chatID, accountID).Scan(&pinned, &n)
		if err != nil || pinned {
			return err
		}
		if n >= limit {
			return parley.Errorf(parley.ELimit, "at most %d chats may be pinned", limit)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO chat_pins (account_id, chat_id, pinned_at) VALUES (?, ?, ?)`, accountID, chatID, ns(at))
		return err
	})
	return wrap("pin chat", err)
}

// UnpinChat unpins a chat.
func (db *DB) UnpinChat(ctx context.Context, accountID, chatID int64) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM chat_pins WHERE account_id = ? AND chat_id = ?`, accountID, chatID)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("unpin chat", err)
}

// PinnedChats returns the account's pinned chats, newest pin first.
func (db *DB) PinnedChats(ctx context.Context, accountID int64) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT chat_id FROM chat_pins WHERE account_id = ? ORDER BY pinned_at DESC, chat_id DESC`, accountID)
	if err != nil {
		return nil, wrap("pinned chats", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("pinned chats", err)
		}
		out = append(out, id)
	}
	return out, wrap("pinned chats", rows.Err())
}

// AddOperatingCost stores c.
func (db *DB) AddOperatingCost(ctx context.Context, c *revenue.OperatingCost) error {
	err := db.w.QueryRowContext(ctx, `INSERT INTO operating_costs (month, category, description, amount_minor, currency, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, c.Month, c.Category, c.Description, c.Minor, c.Currency, ns(c.CreatedAt)).Scan(&c.ID)
	return wrap("add operating cost", err)
}

// OperatingCosts returns the costs of months from to to.
func (db *DB) OperatingCosts(ctx context.Context, from, to string) ([]revenue.OperatingCost, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, month, category, description, amount_minor, currency, created_at
		FROM operating_costs WHERE month >= ? AND month <= ? ORDER BY month, id`, from, to)
	if err != nil {
		return nil, wrap("operating costs", err)
	}
	defer rows.Close()
	out := []revenue.OperatingCost{}
	for rows.Next() {
		var c revenue.OperatingCost
		if err := rows.Scan(&c.ID, &c.Month, &c.Category, &c.Description, &c.Minor, &c.Currency, tcol(&c.CreatedAt)); err != nil {
			return nil, wrap("operating costs", err)
		}
		out = append(out, c)
	}
	return out, wrap("operating costs", rows.Err())
}

// LedgerRange returns ledger entries of a time range.
func (db *DB) LedgerRange(ctx context.Context, channelID int64, kind string, from, to time.Time) ([]money.LedgerEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, key, channel_id, kind, amount_minor, currency, quantity, ref, at FROM channel_ledger
		WHERE (? = 0 OR channel_id = ?) AND (? = '' OR kind = ?) AND at >= ? AND at < ? ORDER BY id`,
		channelID, channelID, kind, kind, from.UnixNano(), to.UnixNano())
	if err != nil {
		return nil, wrap("ledger range", err)
	}
	defer rows.Close()
	out := []money.LedgerEntry{}
	for rows.Next() {
		var e money.LedgerEntry
		if err := rows.Scan(&e.ID, &e.Key, &e.ChannelID, &e.Kind, &e.Minor, &e.Currency, &e.Quantity, &e.Ref, tcol(&e.At)); err != nil {
			return nil, wrap("ledger range", err)
		}
		out = append(out, e)
	}
	return out, wrap("ledger range", rows.Err())
}
