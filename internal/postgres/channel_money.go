package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/money"
)

// CreateTier inserts t.
func (db *DB) CreateTier(ctx context.Context, t *channel.Tier) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO channel_tiers (channel_id, name, price_minor, currency, active, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, t.ChannelID, t.Name, t.PriceMinor, t.Currency, t.Active, ts(t.CreatedAt)).Scan(&t.ID)
	return wrap("create tier", err)
}

const tierCols = `id, channel_id, name, price_minor, currency, active, created_at`

func scanTier(sc pgx.Row) (channel.Tier, error) {
	var t channel.Tier
	err := sc.Scan(&t.ID, &t.ChannelID, &t.Name, &t.PriceMinor, &t.Currency, &t.Active, tcol(&t.CreatedAt))
	return t, err
}

// GetTier returns a tier of the channel.
func (db *DB) GetTier(ctx context.Context, channelID, id int64) (channel.Tier, error) {
	t, err := scanTier(db.pool.QueryRow(ctx, `SELECT `+tierCols+` FROM channel_tiers WHERE channel_id = $1 AND id = $2`, channelID, id))
	return t, wrap("get tier", err)
}

// Tiers returns the channel's tiers.
func (db *DB) Tiers(ctx context.Context, channelID int64) ([]channel.Tier, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+tierCols+` FROM channel_tiers WHERE channel_id = $1 ORDER BY price_minor, id`, channelID)
	if err != nil {
		return nil, wrap("tiers", err)
	}
	defer rows.Close()
	var out []channel.Tier
	for rows.Next() {
		t, err := scanTier(rows)
		if err != nil {
			return nil, wrap("tiers", err)
		}
		out = append(out, t)
	}
	return out, wrap("tiers", rows.Err())
}

// SetTierActive opens or closes a tier.
func (db *DB) SetTierActive(ctx context.Context, channelID, id int64, active bool) error {
	res, err := db.pool.Exec(ctx, `UPDATE channel_tiers SET active = $1 WHERE channel_id = $2 AND id = $3`, active, channelID, id)
	if err == nil {
		err = mustAffect(res, nil)
	}
	return wrap("set tier active", err)
}

const subCols = `id, channel_id, account_id, tier_id, price_minor, currency, method, status, period, period_end, cancel_at_end, created_at`

func scanSub(sc pgx.Row) (channel.Subscription, error) {
	var s channel.Subscription
	err := sc.Scan(&s.ID, &s.ChannelID, &s.AccountID, &s.TierID, &s.PriceMinor, &s.Currency, &s.Method, &s.Status, &s.Period,
		tcol(&s.PeriodEnd), &s.CancelAtEnd, tcol(&s.CreatedAt))
	return s, err
}

// PutSubscription inserts or replaces the account's subscription.
func (db *DB) PutSubscription(ctx context.Context, s *channel.Subscription) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO channel_subscriptions (channel_id, account_id, tier_id, price_minor, currency,
			method, status, period, period_end, cancel_at_end, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (channel_id, account_id) DO UPDATE SET tier_id = excluded.tier_id, price_minor = excluded.price_minor,
			currency = excluded.currency, method = excluded.method, status = excluded.status, period = excluded.period,
			period_end = excluded.period_end, cancel_at_end = excluded.cancel_at_end
		RETURNING id`,
		s.ChannelID, s.AccountID, s.TierID, s.PriceMinor, s.Currency, s.Method, s.Status, s.Period, ts(s.PeriodEnd), s.CancelAtEnd,
		ts(s.CreatedAt)).Scan(&s.ID)
	return wrap("put subscription", err)
}

// GetSubscription returns the account's subscription.
func (db *DB) GetSubscription(ctx context.Context, channelID, accountID int64) (channel.Subscription, error) {
	s, err := scanSub(db.pool.QueryRow(ctx, `SELECT `+subCols+` FROM channel_subscriptions WHERE channel_id = $1 AND account_id = $2`,
		channelID, accountID))
	return s, wrap("get subscription", err)
}

// DueSubscriptions returns active subscriptions whose period ended.
func (db *DB) DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]channel.Subscription, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+subCols+` FROM channel_subscriptions
		WHERE status = 'active' AND period_end <= $1 ORDER BY period_end, id LIMIT $2`, now, limit)
	if err != nil {
		return nil, wrap("due subscriptions", err)
	}
	defer rows.Close()
	var out []channel.Subscription
	for rows.Next() {
		s, err := scanSub(rows)
		if err != nil {
			return nil, wrap("due subscriptions", err)
		}
		out = append(out, s)
	}
	return out, wrap("due subscriptions", rows.Err())
}

// CountSubscribers returns the channel's active subscriptions.
func (db *DB) CountSubscribers(ctx context.Context, channelID int64) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM channel_subscriptions WHERE channel_id = $1 AND status = 'active'`, channelID).Scan(&n)
	return n, wrap("count subscribers", err)
}

const promoCols = `id, channel_id, budget_minor, spent_minor, currency, impressions, follows, start_at, end_at, settled, created_at`

func scanPromo(sc pgx.Row) (channel.Promotion, error) {
	var p channel.Promotion
	err := sc.Scan(&p.ID, &p.ChannelID, &p.BudgetMinor, &p.SpentMinor, &p.Currency, &p.Impressions, &p.Follows,
		tcol(&p.Start), tcol(&p.End), &p.Settled, tcol(&p.CreatedAt))
	return p, err
}

func (db *DB) queryPromos(ctx context.Context, q string, args ...any) ([]channel.Promotion, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []channel.Promotion
	for rows.Next() {
		p, err := scanPromo(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CreatePromotion inserts p.
func (db *DB) CreatePromotion(ctx context.Context, p *channel.Promotion) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO channel_promotions (channel_id, budget_minor, spent_minor, currency, impressions,
			follows, start_at, end_at, settled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		p.ChannelID, p.BudgetMinor, p.SpentMinor, p.Currency, p.Impressions, p.Follows, ts(p.Start), ts(p.End), p.Settled,
		ts(p.CreatedAt)).Scan(&p.ID)
	return wrap("create promotion", err)
}

// GetPromotion returns a promotion.
func (db *DB) GetPromotion(ctx context.Context, id int64) (channel.Promotion, error) {
	p, err := scanPromo(db.pool.QueryRow(ctx, `SELECT `+promoCols+` FROM channel_promotions WHERE id = $1`, id))
	return p, wrap("get promotion", err)
}

// Promotions returns the channel's promotions, newest first.
func (db *DB) Promotions(ctx context.Context, channelID int64) ([]channel.Promotion, error) {
	ps, err := db.queryPromos(ctx, `SELECT `+promoCols+` FROM channel_promotions WHERE channel_id = $1 ORDER BY id DESC`, channelID)
	return ps, wrap("promotions", err)
}

// LivePromotions returns running promotions under budget.
func (db *DB) LivePromotions(ctx context.Context, now time.Time, limit int) ([]channel.Promotion, error) {
	ps, err := db.queryPromos(ctx, `SELECT `+promoCols+` FROM channel_promotions
		WHERE start_at <= $1 AND end_at > $1 AND spent_minor < budget_minor ORDER BY spent_minor, id LIMIT $2`,
		now, limit)
	return ps, wrap("live promotions", err)
}

// AddPromotionImpression counts an impression within the budget.
func (db *DB) AddPromotionImpression(ctx context.Context, id, cost int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE channel_promotions SET impressions = impressions + 1, spent_minor = spent_minor + $1
		WHERE id = $2 AND spent_minor + $1 <= budget_minor`, cost, id)
	return wrap("add promotion impression", err)
}

// AddPromotionFollow counts a follow.
func (db *DB) AddPromotionFollow(ctx context.Context, id int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE channel_promotions SET follows = follows + 1 WHERE id = $1`, id)
	return wrap("add promotion follow", err)
}

// EndedPromotions returns unsettled promotions that ended.
func (db *DB) EndedPromotions(ctx context.Context, now time.Time, limit int) ([]channel.Promotion, error) {
	ps, err := db.queryPromos(ctx, `SELECT `+promoCols+` FROM channel_promotions WHERE NOT settled AND end_at <= $1 ORDER BY id LIMIT $2`,
		now, limit)
	return ps, wrap("ended promotions", err)
}

// SettlePromotion marks a promotion settled.
func (db *DB) SettlePromotion(ctx context.Context, id int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE channel_promotions SET settled = true WHERE id = $1`, id)
	return wrap("settle promotion", err)
}

// AppendLedger inserts the entries whose Key is new.
func (db *DB) AppendLedger(ctx context.Context, es []*money.LedgerEntry) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx pgx.Tx) error {
		for _, e := range es {
			err := tx.QueryRow(ctx, `INSERT INTO channel_ledger (key, channel_id, kind, amount_minor, currency, quantity, ref, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING RETURNING id`,
				e.Key, e.ChannelID, e.Kind, e.Minor, e.Currency, e.Quantity, e.Ref, ts(e.At)).Scan(&e.ID)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			n++
			// Mirrored into the usage ledger: every billable event is there.
			if _, err := tx.Exec(ctx, `INSERT INTO usage_ledger (key, business_id, number_id, event, category, country,
				pricing_type, model, billable, message_id, at, amount_minor, currency, channel_id, ref)
				VALUES ($1, 0, 0, $2, '', '', '', '', $3, '', $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING`,
				"ledger:"+e.Key, e.Kind, e.Minor != 0, ts(e.At), e.Minor, e.Currency, e.ChannelID, e.Ref); err != nil {
				return err
			}
		}
		return nil
	})
	return n, wrap("append ledger", err)
}

// ChannelLedger returns ledger entries.
func (db *DB) ChannelLedger(ctx context.Context, channelID, after int64, limit int) ([]money.LedgerEntry, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, key, channel_id, kind, amount_minor, currency, quantity, ref, at FROM channel_ledger
		WHERE ($1 = 0 OR channel_id = $1) AND id > $2 ORDER BY id LIMIT $3`, channelID, after, limit)
	if err != nil {
		return nil, wrap("channel ledger", err)
	}
	defer rows.Close()
	var out []money.LedgerEntry
	for rows.Next() {
		var e money.LedgerEntry
		if err := rows.Scan(&e.ID, &e.Key, &e.ChannelID, &e.Kind, &e.Minor, &e.Currency, &e.Quantity, &e.Ref, tcol(&e.At)); err != nil {
			return nil, wrap("channel ledger", err)
		}
		out = append(out, e)
	}
	return out, wrap("channel ledger", rows.Err())
}
