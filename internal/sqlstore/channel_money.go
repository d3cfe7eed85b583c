package sqlstore

import (
	"context"
	"time"

	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/money"
)

// CreateTier inserts t.
func (s *Store) CreateTier(ctx context.Context, t *channel.Tier) error {
	err := s.w.QueryRow(ctx, `INSERT INTO channel_tiers (channel_id, name, price_minor, currency, active, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, t.ChannelID, t.Name, t.PriceMinor, t.Currency, t.Active, s.ts(t.CreatedAt)).Scan(&t.ID)
	return s.wrap("create tier", err)
}

const tierCols = `id, channel_id, name, price_minor, currency, active, created_at`

func scanTier(sc Row) (channel.Tier, error) {
	var t channel.Tier
	err := sc.Scan(&t.ID, &t.ChannelID, &t.Name, &t.PriceMinor, &t.Currency, &t.Active, tcol(&t.CreatedAt))
	return t, err
}

// GetTier returns a tier of the channel.
func (s *Store) GetTier(ctx context.Context, channelID, id int64) (channel.Tier, error) {
	t, err := scanTier(s.r.QueryRow(ctx, `SELECT `+tierCols+` FROM channel_tiers WHERE channel_id = ? AND id = ?`, channelID, id))
	return t, s.wrap("get tier", err)
}

// Tiers returns the channel's tiers.
func (s *Store) Tiers(ctx context.Context, channelID int64) ([]channel.Tier, error) {
	rows, err := s.r.Query(ctx, `SELECT `+tierCols+` FROM channel_tiers WHERE channel_id = ? ORDER BY price_minor, id`, channelID)
	out, err := collect(rows, err, scanTier)
	return out, s.wrap("tiers", err)
}

// SetTierActive opens or closes a tier.
func (s *Store) SetTierActive(ctx context.Context, channelID, id int64, active bool) error {
	err := affected(s.w.Exec(ctx, `UPDATE channel_tiers SET active = ? WHERE channel_id = ? AND id = ?`, active, channelID, id))
	return s.wrap("set tier active", err)
}

const subCols = `id, channel_id, account_id, tier_id, price_minor, currency, method, status, period, period_end, cancel_at_end, created_at`

func scanSub(sc Row) (channel.Subscription, error) {
	var sub channel.Subscription
	err := sc.Scan(&sub.ID, &sub.ChannelID, &sub.AccountID, &sub.TierID, &sub.PriceMinor, &sub.Currency, &sub.Method, &sub.Status, &sub.Period,
		tcol(&sub.PeriodEnd), &sub.CancelAtEnd, tcol(&sub.CreatedAt))
	return sub, err
}

// PutSubscription inserts or replaces the account'sub subscription.
func (s *Store) PutSubscription(ctx context.Context, sub *channel.Subscription) error {
	err := s.w.QueryRow(ctx, `INSERT INTO channel_subscriptions (channel_id, account_id, tier_id, price_minor, currency,
			method, status, period, period_end, cancel_at_end, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel_id, account_id) DO UPDATE SET tier_id = excluded.tier_id, price_minor = excluded.price_minor,
			currency = excluded.currency, method = excluded.method, status = excluded.status, period = excluded.period,
			period_end = excluded.period_end, cancel_at_end = excluded.cancel_at_end
		RETURNING id`,
		sub.ChannelID, sub.AccountID, sub.TierID, sub.PriceMinor, sub.Currency, sub.Method, sub.Status, sub.Period, s.ts(sub.PeriodEnd), sub.CancelAtEnd,
		s.ts(sub.CreatedAt)).Scan(&sub.ID)
	return s.wrap("put subscription", err)
}

// GetSubscription returns the account'sub subscription.
func (s *Store) GetSubscription(ctx context.Context, channelID, accountID int64) (channel.Subscription, error) {
	sub, err := scanSub(s.r.QueryRow(ctx, `SELECT `+subCols+` FROM channel_subscriptions WHERE channel_id = ? AND account_id = ?`,
		channelID, accountID))
	return sub, s.wrap("get subscription", err)
}

// DueSubscriptions returns active subscriptions whose period ended.
func (s *Store) DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]channel.Subscription, error) {
	rows, err := s.r.Query(ctx, `SELECT `+subCols+` FROM channel_subscriptions
		WHERE status = 'active' AND period_end <= ? ORDER BY period_end, id LIMIT ?`, s.ts(now), limit)
	out, err := collect(rows, err, scanSub)
	return out, s.wrap("due subscriptions", err)
}

// CountSubscribers returns the channel's active subscriptions.
func (s *Store) CountSubscribers(ctx context.Context, channelID int64) (int64, error) {
	var n int64
	err := s.r.QueryRow(ctx, `SELECT COUNT(*) FROM channel_subscriptions WHERE channel_id = ? AND status = 'active'`, channelID).Scan(&n)
	return n, s.wrap("count subscribers", err)
}

const promoCols = `id, channel_id, budget_minor, spent_minor, currency, impressions, follows, start_at, end_at, settled, created_at`

func scanPromo(sc Row) (channel.Promotion, error) {
	var p channel.Promotion
	err := sc.Scan(&p.ID, &p.ChannelID, &p.BudgetMinor, &p.SpentMinor, &p.Currency, &p.Impressions, &p.Follows,
		tcol(&p.Start), tcol(&p.End), &p.Settled, tcol(&p.CreatedAt))
	return p, err
}

func (s *Store) queryPromos(ctx context.Context, q string, args ...any) ([]channel.Promotion, error) {
	return queryAll(ctx, s.r, q, scanPromo, args...)
}

// CreatePromotion inserts p.
func (s *Store) CreatePromotion(ctx context.Context, p *channel.Promotion) error {
	err := s.w.QueryRow(ctx, `INSERT INTO channel_promotions (channel_id, budget_minor, spent_minor, currency, impressions,
			follows, start_at, end_at, settled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.ChannelID, p.BudgetMinor, p.SpentMinor, p.Currency, p.Impressions, p.Follows, s.ts(p.Start), s.ts(p.End), p.Settled,
		s.ts(p.CreatedAt)).Scan(&p.ID)
	return s.wrap("create promotion", err)
}

// GetPromotion returns a promotion.
func (s *Store) GetPromotion(ctx context.Context, id int64) (channel.Promotion, error) {
	p, err := scanPromo(s.r.QueryRow(ctx, `SELECT `+promoCols+` FROM channel_promotions WHERE id = ?`, id))
	return p, s.wrap("get promotion", err)
}

// Promotions returns the channel's promotions, newest first.
func (s *Store) Promotions(ctx context.Context, channelID int64) ([]channel.Promotion, error) {
	ps, err := s.queryPromos(ctx, `SELECT `+promoCols+` FROM channel_promotions WHERE channel_id = ? ORDER BY id DESC`, channelID)
	return ps, s.wrap("promotions", err)
}

// LivePromotions returns running promotions under budget.
func (s *Store) LivePromotions(ctx context.Context, now time.Time, limit int) ([]channel.Promotion, error) {
	ps, err := s.queryPromos(ctx, `SELECT `+promoCols+` FROM channel_promotions
		WHERE start_at <= ? AND end_at > ? AND spent_minor < budget_minor ORDER BY spent_minor, id LIMIT ?`,
		s.ts(now), s.ts(now), limit)
	return ps, s.wrap("live promotions", err)
}

// AddPromotionImpression counts an impression within the budget.
func (s *Store) AddPromotionImpression(ctx context.Context, id, cost int64) error {
	_, err := s.w.Exec(ctx, `UPDATE channel_promotions SET impressions = impressions + 1, spent_minor = spent_minor + ?
		WHERE id = ? AND spent_minor + ? <= budget_minor`, cost, id, cost)
	return s.wrap("add promotion impression", err)
}

// AddPromotionFollow counts a follow.
func (s *Store) AddPromotionFollow(ctx context.Context, id int64) error {
	_, err := s.w.Exec(ctx, `UPDATE channel_promotions SET follows = follows + 1 WHERE id = ?`, id)
	return s.wrap("add promotion follow", err)
}

// EndedPromotions returns unsettled promotions that ended.
func (s *Store) EndedPromotions(ctx context.Context, now time.Time, limit int) ([]channel.Promotion, error) {
	ps, err := s.queryPromos(ctx, `SELECT `+promoCols+` FROM channel_promotions WHERE NOT settled AND end_at <= ? ORDER BY id LIMIT ?`,
		s.ts(now), limit)
	return ps, s.wrap("ended promotions", err)
}

// SettlePromotion marks a promotion settled.
func (s *Store) SettlePromotion(ctx context.Context, id int64) error {
	_, err := s.w.Exec(ctx, `UPDATE channel_promotions SET settled = true WHERE id = ?`, id)
	return s.wrap("settle promotion", err)
}

// AppendLedger inserts the entries whose Key is new.
func (s *Store) AppendLedger(ctx context.Context, es []*money.LedgerEntry) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx Querier) error {
		for _, e := range es {
			err := tx.QueryRow(ctx, `INSERT INTO channel_ledger (key, channel_id, kind, amount_minor, currency, quantity, ref, at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id`,
				e.Key, e.ChannelID, e.Kind, e.Minor, e.Currency, e.Quantity, e.Ref, s.ts(e.At)).Scan(&e.ID)
			if noRows(err) {
				continue
			}
			if err != nil {
				return err
			}
			n++
			// Mirrored into the usage ledger: every billable event is there.
			if _, err := tx.Exec(ctx, `INSERT INTO usage_ledger (key, business_id, number_id, event, category, country,
				pricing_type, model, billable, message_id, at, amount_minor, currency, channel_id, ref)
				VALUES (?, 0, 0, ?, '', '', '', '', ?, '', ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
				"ledger:"+e.Key, e.Kind, e.Minor != 0, s.ts(e.At), e.Minor, e.Currency, e.ChannelID, e.Ref); err != nil {
				return err
			}
		}
		return nil
	})
	return n, s.wrap("append ledger", err)
}

// ChannelLedger returns ledger entries.
func (s *Store) ChannelLedger(ctx context.Context, channelID, after int64, limit int) ([]money.LedgerEntry, error) {
	out, err := queryAll(ctx, s.r, `SELECT id, key, channel_id, kind, amount_minor, currency, quantity, ref, at FROM channel_ledger
		WHERE (? = 0 OR channel_id = ?) AND id > ? ORDER BY id LIMIT ?`, scanLedger, channelID, channelID, after, limit)
	return out, s.wrap("channel ledger", err)
}

func scanLedger(r Row) (money.LedgerEntry, error) {
	var e money.LedgerEntry
	return e, r.Scan(&e.ID, &e.Key, &e.ChannelID, &e.Kind, &e.Minor, &e.Currency, &e.Quantity, &e.Ref, tcol(&e.At))
}
