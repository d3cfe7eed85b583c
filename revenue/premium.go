package revenue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

// The premium plans.
const (
	PlanMonth = "month"
	PlanYear  = "year"
)

// premiumOn returns EModelDisabled unless the operator turned premium on.
func (s *Service) premiumOn() error {
	if !s.cfg.Premium.Enabled {
		return parley.Errorf(parley.EModelDisabled, "premium membership is not offered on this server")
	}
	return nil
}

// periodAfter returns the end of the plan's period that starts at t.
func periodAfter(plan string, t time.Time) time.Time {
	if plan == PlanYear {
		return t.AddDate(1, 0, 0)
	}
	return t.AddDate(0, 1, 0)
}

// isPremium reports whether the account's premium perks apply: premium is
// on and the membership is active. A renewing membership keeps its perks
// past the period end until the sweeper has charged it or let it lapse; a
// cancelled one keeps them to the end of the paid period.
func (s *Service) isPremium(ctx context.Context, accountID int64) (bool, error) {
	if !s.cfg.Premium.Enabled {
		return false, nil
	}
	r, err := s.store.GetRecurring(ctx, accountID, RecurringPremium)
	if parley.ErrorCode(err) == parley.ENotFound {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("get premium: %w", err)
	}
	return r.Status == channel.SubActive && (!r.CancelAtEnd || r.PeriodEnd.After(s.now())), nil
}

// perks returns the limits of an account, premium or not.
func (s *Service) perks(premium bool) wire.Perks {
	if premium {
		pc := s.cfg.Premium
		return wire.Perks{MaxMediaBytes: pc.MaxMedia, MaxDevices: pc.MaxDevices, MaxPins: pc.MaxPins, Badge: true}
	}
	return wire.Perks{MaxMediaBytes: s.free.MaxMedia, MaxDevices: s.free.MaxDevices, MaxPins: s.cfg.Premium.FreePins}
}

// accountPerks returns the limits that apply to the account now.
func (s *Service) accountPerks(ctx context.Context, accountID int64) (wire.Perks, error) {
	premium, err := s.isPremium(ctx, accountID)
	if err != nil {
		return wire.Perks{}, err
	}
	return s.perks(premium), nil
}

// MediaLimit returns the largest upload the account may make now, in
// bytes: PremiumConfig.MaxMedia for premium members, Config.MaxMedia
// otherwise. On a failure it answers the free limit.
func (s *Service) MediaLimit(ctx context.Context, accountID int64) int64 {
	pk, err := s.accountPerks(ctx, accountID)
	if err != nil {
		s.log.Warn("media limit", "account", accountID, "err", err)
		return s.free.MaxMedia
	}
	return pk.MaxMediaBytes
}

// Limits returns what the account may use now: the chat core's
// Entitlements.
func (s *Service) Limits(ctx context.Context, accountID int64) (chat.Limits, error) {
	premium, err := s.isPremium(ctx, accountID)
	if err != nil {
		return chat.Limits{}, err
	}
	pk := s.perks(premium)
	quota := s.free.MediaQuota
	if premium {
		quota = s.cfg.Premium.MediaQuota
	}
	return chat.Limits{Premium: premium, MaxDevices: pk.MaxDevices, MaxMedia: pk.MaxMediaBytes, MediaQuota: quota}, nil
}

// PremiumLimits returns what premium membership allows, and whether it is
// offered.
func (s *Service) PremiumLimits() (chat.Limits, bool) {
	pk := s.perks(true)
	return chat.Limits{Premium: true, MaxDevices: pk.MaxDevices, MaxMedia: pk.MaxMediaBytes, MediaQuota: s.cfg.Premium.MediaQuota}, s.cfg.Premium.Enabled
}

// freeLimitError is the error for a free limit that premium would lift:
// EPremiumRequired when premium is offered, else ELimit.
func (s *Service) freeLimitError(what string, limit, premiumLimit int64) error {
	if s.cfg.Premium.Enabled && premiumLimit > limit {
		return &parley.Error{Code: parley.EPremiumRequired, Message: fmt.Sprintf("%s: the free limit is %d; premium members get %d", what, limit, premiumLimit),
			Details: map[string]any{"limit": limit, "premium_limit": premiumLimit}}
	}
	return &parley.Error{Code: parley.ELimit, Message: fmt.Sprintf("%s: the limit is %d", what, limit), Details: map[string]any{"limit": limit}}
}

func (s *Service) premiumPlans() []wire.PremiumPlan {
	pc, cur := s.cfg.Premium, s.cfg.Currency
	return []wire.PremiumPlan{{Plan: PlanMonth, Price: wire.Money{Minor: pc.MonthlyPrice, Currency: cur}}, {Plan: PlanYear, Price: wire.Money{Minor: pc.YearlyPrice, Currency: cur}}}
}

func (s *Service) premiumView(r *Recurring, active bool) wire.PremiumView {
	v := wire.PremiumView{Active: active, Perks: s.perks(active), Plans: s.premiumPlans()}
	if r != nil {
		end := r.PeriodEnd
		v.Plan, v.Price, v.Status, v.PeriodEnd, v.CancelAtEnd = r.Plan, &wire.Money{Minor: r.PriceMinor, Currency: r.Currency}, r.Status, &end, r.CancelAtEnd
	}
	return v
}

// Premium returns the caller's membership, the plans and the caller's
// limits. Errors: EModelDisabled.
func (s *Service) Premium(ctx context.Context, p parley.Principal) (wire.PremiumView, error) {
	if err := s.premiumOn(); err != nil {
		return wire.PremiumView{}, err
	}
	r, err := s.store.GetRecurring(ctx, p.AccountID, RecurringPremium)
	if parley.ErrorCode(err) == parley.ENotFound {
		return s.premiumView(nil, false), nil
	} else if err != nil {
		return wire.PremiumView{}, fmt.Errorf("get premium: %w", err)
	}
	active, err := s.isPremium(ctx, p.AccountID)
	if err != nil {
		return wire.PremiumView{}, err
	}
	return s.premiumView(&r, active), nil
}

// SubscribePremium makes the caller a premium member on plan ("month" or
// "year") and charges the first period in advance. Subscribing again
// while a cancelled membership's paid period runs keeps it renewing
// without a charge. Errors: EModelDisabled, EInvalid for the plan,
// EConflict if already a renewing member, EPaymentDeclined, EUnavailable.
func (s *Service) SubscribePremium(ctx context.Context, p parley.Principal, plan, method string) (wire.PremiumView, error) {
	if err := s.premiumOn(); err != nil {
		return wire.PremiumView{}, err
	}
	var price int64
	switch plan {
	case PlanMonth:
		price = s.cfg.Premium.MonthlyPrice
	case PlanYear:
		price = s.cfg.Premium.YearlyPrice
	default:
		return wire.PremiumView{}, &parley.Error{Code: parley.EInvalid, Message: `plan must be "month" or "year"`, Details: map[string]any{"field": "plan"}}
	}
	now := s.now()
	old, err := s.store.GetRecurring(ctx, p.AccountID, RecurringPremium)
	if err != nil && parley.ErrorCode(err) != parley.ENotFound {
		return wire.PremiumView{}, fmt.Errorf("get premium: %w", err)
	}
	if err == nil && old.Status == channel.SubActive && old.PeriodEnd.After(now) {
		if !old.CancelAtEnd || old.Plan != plan {
			return wire.PremiumView{}, &parley.Error{Code: parley.EConflict, Message: "you are already a premium member; cancel first to change the plan",
				Details: map[string]any{"plan": old.Plan, "period_end": old.PeriodEnd}}
		}
		old.CancelAtEnd = false
		if method != "" {
			old.Method = method
		}
		if err := s.store.PutRecurring(ctx, &old); err != nil {
			return wire.PremiumView{}, fmt.Errorf("put premium: %w", err)
		}
		return s.premiumView(&old, true), nil
	}
	r := Recurring{AccountID: p.AccountID, Kind: RecurringPremium, Plan: plan, PriceMinor: price, Currency: s.cfg.Currency,
		Method: method, Status: channel.SubActive, Period: old.Period + 1, PeriodEnd: periodAfter(plan, now), CreatedAt: now}
	if err := s.chargeRecurring(ctx, &r, now); err != nil {
		return wire.PremiumView{}, err
	}
	return s.premiumView(&r, true), nil
}

// CancelPremium stops the caller's membership from renewing; the perks
// last to the end of the paid period. Errors: EModelDisabled, ENotFound.
func (s *Service) CancelPremium(ctx context.Context, p parley.Principal) (wire.PremiumView, error) {
	if err := s.premiumOn(); err != nil {
		return wire.PremiumView{}, err
	}
	r, err := s.store.GetRecurring(ctx, p.AccountID, RecurringPremium)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && r.Status != channel.SubActive) {
		return wire.PremiumView{}, parley.Errorf(parley.ENotFound, "you have no active premium membership")
	} else if err != nil {
		return wire.PremiumView{}, fmt.Errorf("get premium: %w", err)
	}
	r.CancelAtEnd = true
	if err := s.store.PutRecurring(ctx, &r); err != nil {
		return wire.PremiumView{}, fmt.Errorf("put premium: %w", err)
	}
	active, err := s.isPremium(ctx, p.AccountID)
	if err != nil {
		return wire.PremiumView{}, err
	}
	return s.premiumView(&r, active), nil
}

// recurringLedgerKind is the ledger kind of a recurring payment's charges.
func recurringLedgerKind(k RecurringKind) string {
	if k == RecurringPremium {
		return "premium_charge"
	}
	return "donation"
}

// chargeRecurring charges r's current period and, once paid, stores r
// and writes the charge to the money ledger. The key names the account's
// period, so a retry charges and counts once.
func (s *Service) chargeRecurring(ctx context.Context, r *Recurring, now time.Time) error {
	key := string(r.Kind) + ":" + strconv.FormatInt(r.AccountID, 10) + ":" + strconv.FormatInt(r.Period, 10)
	desc := "Parley premium (" + r.Plan + ")"
	if r.Kind == RecurringDonation {
		desc = "monthly donation to Parley"
	}
	if err := s.charge(ctx, money.PaymentCharge{Key: key, AccountID: r.AccountID, Method: r.Method,
		Amount: money.Money{Minor: r.PriceMinor, Currency: r.Currency}, Description: desc}); err != nil {
		return err
	}
	if err := s.store.PutRecurring(ctx, r); err != nil {
		return fmt.Errorf("put recurring: %w", err)
	}
	_, err := s.store.AppendLedger(ctx, []*money.LedgerEntry{{Key: key + ":charge", Kind: recurringLedgerKind(r.Kind),
		Minor: r.PriceMinor, Currency: r.Currency, Ref: "recurring:" + strconv.FormatInt(r.ID, 10), At: now}})
	if err != nil {
		return fmt.Errorf("append ledger: %w", err)
	}
	return nil
}

// charge takes a payment: EPaymentDeclined as the provider says, any
// other failure EUnavailable.
func (s *Service) charge(ctx context.Context, c money.PaymentCharge) error {
	if _, err := s.payments.Charge(ctx, c); err != nil {
		if parley.ErrorCode(err) == parley.EPaymentDeclined {
			return err
		}
		return &parley.Error{Code: parley.EUnavailable, Message: "the payment provider failed; try again", Err: err}
	}
	return nil
}

// renewRecurring renews due premium memberships and recurring donations:
// a cancelled one ends, an unpaid one lapses, a paid one moves to its
// next period. Payments of a model the operator has turned off are left
// alone (not charged, not ended). SweepChannels calls it.
func (s *Service) renewRecurring(ctx context.Context, now time.Time) error {
	for {
		due, err := s.store.DueRecurring(ctx, now, 100)
		if err != nil {
			return fmt.Errorf("due recurring: %w", err)
		}
		changed := 0 // payments no longer due; the loop ends when a batch changes none
		for _, r := range due {
			if (r.Kind == RecurringPremium && !s.cfg.Premium.Enabled) || (r.Kind == RecurringDonation && !s.cfg.Donations) {
				continue
			}
			ok, err := s.renewOne(ctx, r, now)
			if err != nil {
				return err
			}
			if ok {
				changed++
			}
		}
		if len(due) < 100 || changed == 0 {
			return nil
		}
	}
}

// renewOne renews, ends or lapses r and reports whether it did; a
// provider failure leaves r due for the next sweep.
func (s *Service) renewOne(ctx context.Context, r Recurring, now time.Time) (bool, error) {
	if r.CancelAtEnd {
		r.Status = channel.SubCancelled
		return true, s.store.PutRecurring(ctx, &r)
	}
	next := r
	next.Period++
	next.PeriodEnd = periodAfter(r.Plan, r.PeriodEnd)
	if !next.PeriodEnd.After(now) {
		next.PeriodEnd = periodAfter(r.Plan, now) // after an outage: no charges for periods gone by
	}
	switch err := s.chargeRecurring(ctx, &next, now); parley.ErrorCode(err) {
	case "":
		return true, nil
	case parley.EPaymentDeclined:
		r.Status = channel.SubLapsed
		return true, s.store.PutRecurring(ctx, &r)
	default:
		s.log.Warn("renew recurring payment", "recurring", r.ID, "kind", r.Kind, "err", err)
		return false, nil // tried again on the next sweep
	}
}

// PinnedChats returns the caller's pinned chats, most recently pinned
// first, and how many the caller may pin.
func (s *Service) PinnedChats(ctx context.Context, p parley.Principal) (wire.Pins, error) {
	ids, err := s.store.PinnedChats(ctx, p.AccountID)
	if err != nil {
		return wire.Pins{}, fmt.Errorf("pinned chats: %w", err)
	}
	pk, err := s.accountPerks(ctx, p.AccountID)
	if err != nil {
		return wire.Pins{}, err
	}
	return wire.Pins{ChatIDs: ids, Limit: pk.MaxPins}, nil
}

// PinChat pins one of the caller's chats. Pinning a pinned chat changes
// nothing. Pins beyond the limit are refused: EPremiumRequired when
// premium would allow them, ELimit otherwise. Pins made while a member
// stay after the membership ends. Errors also: ENotFound, EForbidden for
// the chat.
func (s *Service) PinChat(ctx context.Context, p parley.Principal, chatID int64) (wire.Pins, error) {
	if _, _, err := chat.MemberOf(ctx, s.store, p, chatID); err != nil {
		return wire.Pins{}, err
	}
	pk, err := s.accountPerks(ctx, p.AccountID)
	if err != nil {
		return wire.Pins{}, err
	}
	err = s.store.PinChat(ctx, p.AccountID, chatID, s.now(), pk.MaxPins)
	if parley.ErrorCode(err) == parley.ELimit {
		return wire.Pins{}, s.freeLimitError("pinned chats", int64(pk.MaxPins), int64(s.perks(true).MaxPins))
	} else if err != nil {
		return wire.Pins{}, fmt.Errorf("pin chat: %w", err)
	}
	return s.PinnedChats(ctx, p)
}

// UnpinChat unpins a chat. Errors: ENotFound if it was not pinned.
func (s *Service) UnpinChat(ctx context.Context, p parley.Principal, chatID int64) error {
	err := s.store.UnpinChat(ctx, p.AccountID, chatID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "this chat is not pinned", Details: map[string]any{"chat_id": chatID}}
	} else if err != nil {
		return fmt.Errorf("unpin chat: %w", err)
	}
	return nil
}
