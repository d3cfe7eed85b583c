package channel

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// Monetization is the channels' money: paid tiers, subscriptions,
// directory promotions and the channel ledger. It is part of the channels
// context, built by New beside the Service (Service.Monetization returns
// it); who administers, follows and may read a channel it asks the
// channel core. The core asks it back whether a reader subscribes, which
// promotions head the directory, which follows count on a promotion, and,
// in SweepChannels, to renew subscriptions and settle promotions. It is
// safe for concurrent use.
type Monetization struct {
	store    monetizationStore
	log      *slog.Logger
	now      func() time.Time
	cfg      Config
	policy   parley.AdsPolicy
	payments money.PaymentProvider

	// From the channel core (the Service's methods of the same names).
	adminChannel func(ctx context.Context, p parley.Principal, id int64, ownerOnly bool) (Channel, ChannelRole, error)
	follow       func(ctx context.Context, p parley.Principal, id int64) (Follow, error)
	readerOf     func(ctx context.Context, p parley.Principal, c Channel) (reader, error)
}

// monetizationStore is the part of Store that Monetization uses.
type monetizationStore interface {
	ChannelMoneyStore
	GetChannel(ctx context.Context, id int64) (Channel, error)
}

// Tier is a monthly subscription tier of a channel.
type Tier struct {
	ID         int64
	ChannelID  int64
	Name       string
	PriceMinor int64
	Currency   string
	Active     bool // open to new subscribers
	CreatedAt  time.Time
}

// Subscription is an account's paid subscription to a channel. It is
// never shown to admins, who see the subscriber count only.
type Subscription struct {
	ID          int64
	ChannelID   int64
	AccountID   int64
	TierID      int64
	PriceMinor  int64 // the price when subscribed; renewals charge it
	Currency    string
	Method      string // the payment method token given to the provider
	Status      SubscriptionStatus
	Period      int64 // number of the current period, from 1
	PeriodEnd   time.Time
	CancelAtEnd bool
	CreatedAt   time.Time
}

// Promotion is a paid placement of a channel at the top of the directory.
type Promotion struct {
	ID          int64
	ChannelID   int64
	BudgetMinor int64
	SpentMinor  int64
	Currency    string
	Impressions int64
	Follows     int64
	Start, End  time.Time
	Settled     bool
	CreatedAt   time.Time
}

func tierView(t Tier) wire.TierView {
	return wire.TierView{ID: t.ID, Name: t.Name, Price: wire.Money{Minor: t.PriceMinor, Currency: t.Currency}, Active: t.Active, Interval: "month"}
}

// CreateTier adds a monthly tier (owner only). Errors: EInvalid for a
// name or for a price outside the operator's range.
func (m *Monetization) CreateTier(ctx context.Context, p parley.Principal, id int64, name string, priceMinor int64) (wire.TierView, error) {
	if _, _, err := m.adminChannel(ctx, p, id, true); err != nil {
		return wire.TierView{}, err
	}
	if err := parley.CheckText("name", name, parley.Line); err != nil {
		return wire.TierView{}, err
	}
	if err := ValidRunes("name", strings.TrimSpace(name), 1, 50); err != nil {
		return wire.TierView{}, err
	}
	cfg := m.cfg
	if priceMinor < cfg.TierMinPrice || priceMinor > cfg.TierMaxPrice {
		return wire.TierView{}, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("a monthly price must be %d to %d %s minor units", cfg.TierMinPrice, cfg.TierMaxPrice, cfg.Currency),
			Details: map[string]any{"field": "price_minor", "min": cfg.TierMinPrice, "max": cfg.TierMaxPrice, "currency": cfg.Currency}}
	}
	t := Tier{ChannelID: id, Name: strings.TrimSpace(name), PriceMinor: priceMinor, Currency: cfg.Currency, Active: true, CreatedAt: m.now()}
	if err := m.store.CreateTier(ctx, &t); err != nil {
		return wire.TierView{}, fmt.Errorf("create tier: %w", err)
	}
	return tierView(t), nil
}

// CloseTier stops a tier from taking new subscribers (owner only);
// existing subscriptions renew at their price.
func (m *Monetization) CloseTier(ctx context.Context, p parley.Principal, id, tierID int64) error {
	if _, _, err := m.adminChannel(ctx, p, id, true); err != nil {
		return err
	}
	if err := m.store.SetTierActive(ctx, id, tierID, false); parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such tier", Details: map[string]any{"tier_id": tierID}}
	} else if err != nil {
		return fmt.Errorf("close tier: %w", err)
	}
	return nil
}

// Tiers lists a channel's tiers (open ones only, for non-admins).
func (m *Monetization) Tiers(ctx context.Context, p parley.Principal, id int64) ([]wire.TierView, error) {
	c, err := LoadChannel(ctx, m.store, id)
	if err != nil {
		return nil, err
	}
	r, err := m.readerOf(ctx, p, c)
	if err != nil {
		return nil, err
	}
	ts, err := m.store.Tiers(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("tiers: %w", err)
	}
	out := []wire.TierView{}
	for _, t := range ts {
		if t.Active || r.admin {
			out = append(out, tierView(t))
		}
	}
	return out, nil
}

func subView(sub Subscription) wire.SubscriptionView {
	return wire.SubscriptionView{ChannelID: sub.ChannelID, TierID: sub.TierID, Price: wire.Money{Minor: sub.PriceMinor, Currency: sub.Currency},
		Status: sub.Status, PeriodEnd: sub.PeriodEnd, CancelAtEnd: sub.CancelAtEnd}
}

// Subscribe subscribes the caller (a follower) to a tier and charges the
// first month. Errors: EForbidden if not following, ENotFound for the
// tier, EConflict if already subscribed, EPaymentDeclined,
// EChannelSuspended.
func (m *Monetization) Subscribe(ctx context.Context, p parley.Principal, id, tierID int64, method string) (wire.SubscriptionView, error) {
	c, err := LoadChannel(ctx, m.store, id)
	if err != nil {
		return wire.SubscriptionView{}, err
	}
	if c.Suspended() {
		return wire.SubscriptionView{}, suspendedError(c)
	}
	if _, err := m.follow(ctx, p, id); err != nil {
		return wire.SubscriptionView{}, err
	}
	t, err := m.store.GetTier(ctx, id, tierID)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && !t.Active) {
		return wire.SubscriptionView{}, &parley.Error{Code: parley.ENotFound, Message: "no such tier", Details: map[string]any{"tier_id": tierID}}
	} else if err != nil {
		return wire.SubscriptionView{}, fmt.Errorf("get tier: %w", err)
	}
	now := m.now()
	old, err := m.store.GetSubscription(ctx, id, p.AccountID)
	switch {
	case err == nil && old.Status == SubActive && old.PeriodEnd.After(now):
		return wire.SubscriptionView{}, &parley.Error{Code: parley.EConflict, Message: "you already subscribe to this channel", Details: map[string]any{"channel_id": id}}
	case err != nil && parley.ErrorCode(err) != parley.ENotFound:
		return wire.SubscriptionView{}, fmt.Errorf("get subscription: %w", err)
	}
	sub := Subscription{ChannelID: id, AccountID: p.AccountID, TierID: t.ID, PriceMinor: t.PriceMinor, Currency: t.Currency,
		Method: method, Status: SubActive, Period: old.Period + 1, PeriodEnd: now.Add(m.cfg.SubscriptionPeriod), CreatedAt: now}
	if err := m.chargeSubscription(ctx, c, &sub, now); err != nil {
		return wire.SubscriptionView{}, err
	}
	return subView(sub), nil
}

// chargeSubscription charges sub's current period and, once paid, stores
// it and writes the charge and the operator's share to the ledger. The
// keys name the subscriber's period, so a retry charges and counts once.
func (m *Monetization) chargeSubscription(ctx context.Context, c Channel, sub *Subscription, now time.Time) error {
	key := "chsub:" + strconv.FormatInt(sub.ChannelID, 10) + ":" + strconv.FormatInt(sub.AccountID, 10) + ":" + strconv.FormatInt(sub.Period, 10)
	if _, err := m.payments.Charge(ctx, money.PaymentCharge{Key: key, AccountID: sub.AccountID, Method: sub.Method,
		Amount: money.Money{Minor: sub.PriceMinor, Currency: sub.Currency}, Description: "@" + c.Handle + " monthly subscription"}); err != nil {
		if parley.ErrorCode(err) == parley.EPaymentDeclined {
			return err
		}
		return &parley.Error{Code: parley.EUnavailable, Message: "the payment provider failed; try again", Err: err}
	}
	if err := m.store.PutSubscription(ctx, sub); err != nil {
		return fmt.Errorf("put subscription: %w", err)
	}
	ref := "subscription:" + strconv.FormatInt(sub.ID, 10)
	share := money.RevenueShare(sub.PriceMinor, m.cfg.RevenueShareBP)
	_, err := m.store.AppendLedger(ctx, []*money.LedgerEntry{
		{Key: key + ":charge", ChannelID: sub.ChannelID, Kind: "subscription_charge", Minor: sub.PriceMinor, Currency: sub.Currency, Ref: ref, At: now},
		{Key: key + ":share", ChannelID: sub.ChannelID, Kind: "operator_share", Minor: share, Currency: sub.Currency, Ref: ref, At: now},
	})
	if err != nil {
		return fmt.Errorf("append ledger: %w", err)
	}
	return nil
}

// MySubscription returns the caller's subscription to a channel, or ENotFound.
func (m *Monetization) MySubscription(ctx context.Context, p parley.Principal, id int64) (wire.SubscriptionView, error) {
	sub, err := m.store.GetSubscription(ctx, id, p.AccountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return wire.SubscriptionView{}, &parley.Error{Code: parley.ENotFound, Message: "you have no subscription to this channel"}
	} else if err != nil {
		return wire.SubscriptionView{}, fmt.Errorf("get subscription: %w", err)
	}
	return subView(sub), nil
}

// CancelSubscription stops renewal; the paid period runs out first.
func (m *Monetization) CancelSubscription(ctx context.Context, p parley.Principal, id int64) (wire.SubscriptionView, error) {
	sub, err := m.store.GetSubscription(ctx, id, p.AccountID)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && sub.Status != SubActive) {
		return wire.SubscriptionView{}, &parley.Error{Code: parley.ENotFound, Message: "you have no active subscription to this channel"}
	} else if err != nil {
		return wire.SubscriptionView{}, fmt.Errorf("get subscription: %w", err)
	}
	sub.CancelAtEnd = true
	if err := m.store.PutSubscription(ctx, &sub); err != nil {
		return wire.SubscriptionView{}, fmt.Errorf("put subscription: %w", err)
	}
	return subView(sub), nil
}

// isSubscriber reports whether accountID has a paid subscription to the
// channel whose period has not run out.
func (m *Monetization) isSubscriber(ctx context.Context, channelID, accountID int64) (bool, error) {
	sub, err := m.store.GetSubscription(ctx, channelID, accountID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("get subscription: %w", err)
	}
	return sub.Status == SubActive && sub.PeriodEnd.After(m.now()), nil
}

// renewSubscriptions renews due subscriptions: a cancelled one ends, an
// unpaid one lapses, a paid one moves to its next period. It also
// settles ended promotions.
func (m *Monetization) renewSubscriptions(ctx context.Context) error {
	now := m.now()
	for {
		due, err := m.store.DueSubscriptions(ctx, now, 100)
		if err != nil {
			return fmt.Errorf("due subscriptions: %w", err)
		}
		for _, sub := range due {
			if err := m.renew(ctx, sub, now); err != nil {
				return err
			}
		}
		if len(due) < 100 {
			break
		}
	}
	return m.settlePromotions(ctx, now)
}

func (m *Monetization) renew(ctx context.Context, sub Subscription, now time.Time) error {
	if sub.CancelAtEnd {
		sub.Status = SubCancelled
		return m.store.PutSubscription(ctx, &sub)
	}
	c, err := LoadChannel(ctx, m.store, sub.ChannelID)
	if err != nil {
		return err
	}
	next := sub
	next.Period++
	next.PeriodEnd = sub.PeriodEnd.Add(m.cfg.SubscriptionPeriod)
	if c.Suspended() {
		next.Status = SubLapsed // a suspended channel does not bill
		next.Period, next.PeriodEnd = sub.Period, sub.PeriodEnd
		return m.store.PutSubscription(ctx, &next)
	}
	switch err := m.chargeSubscription(ctx, c, &next, now); parley.ErrorCode(err) {
	case "":
		return nil
	case parley.EPaymentDeclined:
		sub.Status = SubLapsed
		return m.store.PutSubscription(ctx, &sub)
	default:
		m.log.Warn("renew subscription", "subscription", sub.ID, "err", err)
		return nil // tried again on the next sweep
	}
}

func promotionView(p Promotion) wire.PromotionView {
	return wire.PromotionView{ID: p.ID, Budget: wire.Money{Minor: p.BudgetMinor, Currency: p.Currency}, Spent: wire.Money{Minor: p.SpentMinor, Currency: p.Currency},
		Impressions: p.Impressions, Follows: p.Follows, Start: p.Start, End: p.End, Settled: p.Settled}
}

// Promote buys promoted directory placement for days (1..90) with a budget
// (owner only), charged up front; each impression costs
// ChannelConfig.ImpressionCost until the budget is spent. Errors also:
// EAdsDisabled in nonprofit mode.
func (m *Monetization) Promote(ctx context.Context, p parley.Principal, id int64, days int, budgetMinor int64, method string) (wire.PromotionView, error) {
	if err := m.policy.AdsOff(); err != nil {
		return wire.PromotionView{}, err
	}
	c, _, err := m.adminChannel(ctx, p, id, true)
	if err != nil {
		return wire.PromotionView{}, err
	}
	if c.Suspended() {
		return wire.PromotionView{}, suspendedError(c)
	}
	if days < 1 || days > 90 {
		return wire.PromotionView{}, parley.InvalidField("days", "days must be 1 to 90")
	}
	cfg := m.cfg
	if budgetMinor < cfg.ImpressionCost || budgetMinor > 100_000_000 {
		return wire.PromotionView{}, parley.InvalidField("budget_minor", "the budget must pay for at least one impression")
	}
	now := m.now()
	promo := Promotion{ChannelID: id, BudgetMinor: budgetMinor, Currency: cfg.Currency, Start: now, End: now.Add(time.Duration(days) * 24 * time.Hour), CreatedAt: now}
	key := "chpromo:" + strconv.FormatInt(id, 10) + ":" + strconv.FormatInt(now.UnixNano(), 10)
	if _, err := m.payments.Charge(ctx, money.PaymentCharge{Key: key, AccountID: p.AccountID, Method: method,
		Amount: money.Money{Minor: budgetMinor, Currency: cfg.Currency}, Description: "@" + c.Handle + " directory promotion"}); err != nil {
		if parley.ErrorCode(err) == parley.EPaymentDeclined {
			return wire.PromotionView{}, err
		}
		return wire.PromotionView{}, &parley.Error{Code: parley.EUnavailable, Message: "the payment provider failed; try again", Err: err}
	}
	if err := m.store.CreatePromotion(ctx, &promo); err != nil {
		return wire.PromotionView{}, fmt.Errorf("create promotion: %w", err)
	}
	ref := "promotion:" + strconv.FormatInt(promo.ID, 10)
	if _, err := m.store.AppendLedger(ctx, []*money.LedgerEntry{{Key: key + ":charge", ChannelID: id, Kind: "promotion_charge",
		Minor: budgetMinor, Currency: cfg.Currency, Ref: ref, At: now}}); err != nil {
		return wire.PromotionView{}, fmt.Errorf("append ledger: %w", err)
	}
	return promotionView(promo), nil
}

// Promotions lists the channel's promotions (owner only).
func (m *Monetization) Promotions(ctx context.Context, p parley.Principal, id int64) ([]wire.PromotionView, error) {
	if _, _, err := m.adminChannel(ctx, p, id, true); err != nil {
		return nil, err
	}
	ps, err := m.store.Promotions(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("promotions: %w", err)
	}
	out := make([]wire.PromotionView, len(ps))
	for i, pr := range ps {
		out[i] = promotionView(pr)
	}
	return out, nil
}

// promoted returns up to n live promotions for a directory page.
func (m *Monetization) promoted(ctx context.Context, n int) ([]Promotion, error) {
	ps, err := m.store.LivePromotions(ctx, m.now(), n)
	if err != nil {
		return nil, fmt.Errorf("live promotions: %w", err)
	}
	return ps, nil
}

// countImpression counts one shown promoted result against its budget.
func (m *Monetization) countImpression(ctx context.Context, promotionID int64) error {
	if err := m.store.AddPromotionImpression(ctx, promotionID, m.cfg.ImpressionCost); err != nil {
		return fmt.Errorf("count impression: %w", err)
	}
	return nil
}

// countPromotedFollow counts a follow toward the channel's live promotion,
// if it has one.
func (m *Monetization) countPromotedFollow(ctx context.Context, channelID int64) {
	ps, err := m.store.Promotions(ctx, channelID)
	if err != nil {
		m.log.Warn("promotions", "channel", channelID, "err", err)
		return
	}
	now := m.now()
	for _, pr := range ps {
		if !now.Before(pr.Start) && now.Before(pr.End) {
			if err := m.store.AddPromotionFollow(ctx, pr.ID); err != nil {
				m.log.Warn("count promoted follow", "promotion", pr.ID, "err", err)
			}
			return
		}
	}
}

// settlePromotions writes the final spend, impressions and follows of
// ended promotions to the ledger, once each.
func (m *Monetization) settlePromotions(ctx context.Context, now time.Time) error {
	ps, err := m.store.EndedPromotions(ctx, now, 100)
	if err != nil {
		return fmt.Errorf("ended promotions: %w", err)
	}
	for _, pr := range ps {
		_, err := m.store.AppendLedger(ctx, []*money.LedgerEntry{{Key: "chpromo-settle:" + strconv.FormatInt(pr.ID, 10), ChannelID: pr.ChannelID,
			Kind: "promotion_settled", Minor: pr.SpentMinor, Currency: pr.Currency, Quantity: pr.Impressions,
			Ref: "promotion:" + strconv.FormatInt(pr.ID, 10) + " follows:" + strconv.FormatInt(pr.Follows, 10), At: now}})
		if err != nil {
			return fmt.Errorf("append ledger: %w", err)
		}
		if err := m.store.SettlePromotion(ctx, pr.ID); err != nil {
			return fmt.Errorf("settle promotion: %w", err)
		}
	}
	return nil
}

// ChannelRevenue sums the channel's ledger (owner only).
func (m *Monetization) ChannelRevenue(ctx context.Context, p parley.Principal, id int64) (wire.ChannelRevenue, error) {
	if _, _, err := m.adminChannel(ctx, p, id, true); err != nil {
		return wire.ChannelRevenue{}, err
	}
	cur := m.cfg.Currency
	r := wire.ChannelRevenue{Gross: wire.Money{Minor: 0, Currency: cur}, OperatorShare: wire.Money{Minor: 0, Currency: cur}, Net: wire.Money{Minor: 0, Currency: cur}, Entries: []wire.LedgerEntry{}}
	var err error
	if r.Subscribers, err = m.store.CountSubscribers(ctx, id); err != nil {
		return wire.ChannelRevenue{}, fmt.Errorf("count subscribers: %w", err)
	}
	es, err := m.store.ChannelLedger(ctx, id, 0, 10000)
	if err != nil {
		return wire.ChannelRevenue{}, fmt.Errorf("channel ledger: %w", err)
	}
	for _, e := range es {
		switch e.Kind {
		case "subscription_charge":
			r.Gross.Minor += e.Minor
		case "operator_share":
			r.OperatorShare.Minor += e.Minor
		}
	}
	r.Net.Minor = r.Gross.Minor - r.OperatorShare.Minor
	r.Entries = wireLedger(es)
	return r, nil
}

// OperatorLedger returns the channel ledger (operator).
func (m *Monetization) OperatorLedger(ctx context.Context, after int64, limit int) ([]wire.LedgerEntry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	es, err := m.store.ChannelLedger(ctx, 0, after, limit)
	if err != nil {
		return nil, fmt.Errorf("channel ledger: %w", err)
	}
	return wireLedger(es), nil
}

// wireLedger returns ledger entries as their owner and the operator see
// them (nil for nil).
func wireLedger(es []money.LedgerEntry) []wire.LedgerEntry {
	if es == nil {
		return nil
	}
	out := make([]wire.LedgerEntry, len(es))
	for i, e := range es {
		out[i] = wire.LedgerEntry(e)
	}
	return out
}
