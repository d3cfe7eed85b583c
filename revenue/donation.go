package revenue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/wire"
)

func donationView(r Recurring) wire.DonationView {
	end := r.PeriodEnd
	return wire.DonationView{Amount: wire.Money{Minor: r.PriceMinor, Currency: r.Currency}, Monthly: true, Status: r.Status, PeriodEnd: &end,
		CancelAtEnd: r.CancelAtEnd, At: r.CreatedAt}
}

// donationsOn returns EModelDisabled unless the operator takes donations.
func (s *Service) donationsOn() error {
	if !s.cfg.Donations {
		return parley.Errorf(parley.EModelDisabled, "this server does not take donations")
	}
	return nil
}

// Donate charges a donation of amountMinor: once, or every month from
// now when monthly (replacing a monthly donation whose paid month has
// run out). key, when set, makes a one-off donation idempotent: the same
// key donates once. Errors: EModelDisabled, EInvalid below
// RevenueConfig.MinDonation, EConflict for a second monthly donation,
// EPaymentDeclined, EUnavailable.
func (s *Service) Donate(ctx context.Context, p parley.Principal, amountMinor int64, method string, monthly bool, key string) (wire.DonationView, error) {
	if err := s.donationsOn(); err != nil {
		return wire.DonationView{}, err
	}
	rc := s.cfg
	if amountMinor < rc.MinDonation || amountMinor > 100_000_000 {
		return wire.DonationView{}, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("a donation must be at least %d %s minor units", rc.MinDonation, rc.Currency),
			Details: map[string]any{"field": "amount_minor", "min": rc.MinDonation, "currency": rc.Currency}}
	}
	if utf8.RuneCountInString(key) > 100 || strings.ContainsAny(key, ": \t\n") {
		return wire.DonationView{}, parley.InvalidField("key", "key must be at most 100 characters, without spaces or colons")
	}
	now := s.now()
	if monthly {
		old, err := s.store.GetRecurring(ctx, p.AccountID, RecurringDonation)
		if err != nil && parley.ErrorCode(err) != parley.ENotFound {
			return wire.DonationView{}, fmt.Errorf("get donation: %w", err)
		}
		if err == nil && old.Status == channel.SubActive && old.PeriodEnd.After(now) {
			return wire.DonationView{}, &parley.Error{Code: parley.EConflict, Message: "you already donate monthly; cancel that first",
				Details: map[string]any{"amount_minor": old.PriceMinor, "period_end": old.PeriodEnd}}
		}
		r := Recurring{AccountID: p.AccountID, Kind: RecurringDonation, Plan: PlanMonth, PriceMinor: amountMinor, Currency: rc.Currency,
			Method: method, Status: channel.SubActive, Period: old.Period + 1, PeriodEnd: periodAfter(PlanMonth, now), CreatedAt: now}
		if err := s.chargeRecurring(ctx, &r, now); err != nil {
			return wire.DonationView{}, err
		}
		return donationView(r), nil
	}
	if key == "" {
		key = strconv.FormatInt(now.UnixNano(), 10)
	}
	k := "donation-once:" + strconv.FormatInt(p.AccountID, 10) + ":" + key
	if err := s.charge(ctx, money.PaymentCharge{Key: k, AccountID: p.AccountID, Method: method,
		Amount: money.Money{Minor: amountMinor, Currency: rc.Currency}, Description: "donation to Parley"}); err != nil {
		return wire.DonationView{}, err
	}
	if _, err := s.store.AppendLedger(ctx, []*money.LedgerEntry{{Key: k + ":charge", Kind: "donation", Minor: amountMinor,
		Currency: rc.Currency, Ref: "one-off", At: now}}); err != nil {
		return wire.DonationView{}, fmt.Errorf("append ledger: %w", err)
	}
	return wire.DonationView{Amount: wire.Money{Minor: amountMinor, Currency: rc.Currency}, At: now}, nil
}

// MonthlyDonation returns the caller's monthly donation. Errors:
// EModelDisabled, ENotFound.
func (s *Service) MonthlyDonation(ctx context.Context, p parley.Principal) (wire.DonationView, error) {
	if err := s.donationsOn(); err != nil {
		return wire.DonationView{}, err
	}
	r, err := s.store.GetRecurring(ctx, p.AccountID, RecurringDonation)
	if parley.ErrorCode(err) == parley.ENotFound {
		return wire.DonationView{}, parley.Errorf(parley.ENotFound, "you have no monthly donation")
	} else if err != nil {
		return wire.DonationView{}, fmt.Errorf("get donation: %w", err)
	}
	return donationView(r), nil
}

// CancelMonthlyDonation stops the caller's monthly donation from
// renewing. Errors: EModelDisabled, ENotFound.
func (s *Service) CancelMonthlyDonation(ctx context.Context, p parley.Principal) (wire.DonationView, error) {
	if err := s.donationsOn(); err != nil {
		return wire.DonationView{}, err
	}
	r, err := s.store.GetRecurring(ctx, p.AccountID, RecurringDonation)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && r.Status != channel.SubActive) {
		return wire.DonationView{}, parley.Errorf(parley.ENotFound, "you have no active monthly donation")
	} else if err != nil {
		return wire.DonationView{}, fmt.Errorf("get donation: %w", err)
	}
	r.CancelAtEnd = true
	if err := s.store.PutRecurring(ctx, &r); err != nil {
		return wire.DonationView{}, fmt.Errorf("put donation: %w", err)
	}
	return donationView(r), nil
}

// ParseMonth parses "YYYY-MM" and returns the first instant of that month
// (UTC) and of the next. Errors: EInvalid naming field.
func ParseMonth(field, month string) (time.Time, time.Time, error) {
	t, err := time.Parse("2006-01", month)
	if err != nil || t.Year() < 2000 || t.Year() > 9999 {
		return time.Time{}, time.Time{}, &parley.Error{Code: parley.EInvalid, Message: field + " must be a month, YYYY-MM", Details: map[string]any{"field": field}}
	}
	start, end := monthOf(t)
	return start, end, nil
}

// AddOperatingCost records one of the operator's costs for the
// transparency page. Errors: EInvalid.
func (s *Service) AddOperatingCost(ctx context.Context, c wire.OperatingCost) (wire.OperatingCost, error) {
	if _, _, err := ParseMonth("month", c.Month); err != nil {
		return wire.OperatingCost{}, err
	}
	c.Category, c.Description = strings.TrimSpace(c.Category), strings.TrimSpace(c.Description)
	if err := channel.ValidRunes("category", c.Category, 1, 50); err != nil {
		return wire.OperatingCost{}, err
	}
	if err := channel.ValidRunes("description", c.Description, 0, 500); err != nil {
		return wire.OperatingCost{}, err
	}
	if c.Minor < 0 || c.Minor > 1_000_000_000_000 {
		return wire.OperatingCost{}, parley.InvalidField("amount_minor", "amount_minor must be 0 to 10^12")
	}
	if c.Currency == "" {
		c.Currency = s.cfg.Currency
	}
	if c.Currency != s.cfg.Currency {
		return wire.OperatingCost{}, &parley.Error{Code: parley.EInvalid, Message: "costs are kept in " + s.cfg.Currency,
			Details: map[string]any{"field": "currency", "currency": s.cfg.Currency}}
	}
	c.ID, c.CreatedAt = 0, s.now()
	if err := s.store.AddOperatingCost(ctx, &c); err != nil {
		return wire.OperatingCost{}, fmt.Errorf("add operating cost: %w", err)
	}
	return c, nil
}

// OperatingCosts returns the costs of the months from..to ("YYYY-MM").
// Errors: EInvalid.
func (s *Service) OperatingCosts(ctx context.Context, from, to string) ([]wire.OperatingCost, error) {
	if _, _, err := s.monthRange(from, to); err != nil {
		return nil, err
	}
	cs, err := s.store.OperatingCosts(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("operating costs: %w", err)
	}
	return cs, nil
}

// monthRange checks a range of at most 120 months, from <= to.
func (s *Service) monthRange(from, to string) (time.Time, time.Time, error) {
	start, _, err := ParseMonth("from", from)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	last, end, err := ParseMonth("to", to)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if last.Before(start) || start.AddDate(0, 120, 0).Before(end) {
		return time.Time{}, time.Time{}, parley.InvalidField("to", "to must be from or later, at most 120 months on")
	}
	return start, end, nil
}

// Transparency returns donations and operating costs of the months
// from..to ("YYYY-MM"); empty from and to mean the last 12 months.
// Nothing in it names a donor. Errors: EModelDisabled, EInvalid.
func (s *Service) Transparency(ctx context.Context, from, to string) (wire.Transparency, error) {
	if err := s.donationsOn(); err != nil {
		return wire.Transparency{}, err
	}
	if from == "" && to == "" {
		cur, _ := monthOf(s.now())
		from, to = cur.AddDate(0, -11, 0).Format("2006-01"), cur.Format("2006-01")
	} else if from == "" {
		from = to
	} else if to == "" {
		to = from
	}
	start, end, err := s.monthRange(from, to)
	if err != nil {
		return wire.Transparency{}, err
	}
	cur := s.cfg.Currency
	t := wire.Transparency{Currency: cur, From: from, To: to, Months: []wire.TransparencyMonth{}}
	idx := map[string]int{}
	for m := start; m.Before(end); m = m.AddDate(0, 1, 0) {
		idx[m.Format("2006-01")] = len(t.Months)
		t.Months = append(t.Months, wire.TransparencyMonth{Month: m.Format("2006-01"), CostItems: []wire.CostItemView{}})
	}
	es, err := s.store.LedgerRange(ctx, 0, "donation", start, end)
	if err != nil {
		return wire.Transparency{}, fmt.Errorf("ledger range: %w", err)
	}
	for _, e := range es {
		if e.Currency != cur {
			continue
		}
		i, ok := idx[e.At.UTC().Format("2006-01")]
		if !ok {
			continue
		}
		m := &t.Months[i]
		m.Donations += e.Minor
		m.Donors++
	}
	cs, err := s.store.OperatingCosts(ctx, from, to)
	if err != nil {
		return wire.Transparency{}, fmt.Errorf("operating costs: %w", err)
	}
	for _, c := range cs {
		i, ok := idx[c.Month]
		if !ok || c.Currency != cur {
			continue
		}
		m := &t.Months[i]
		m.Costs += c.Minor
		m.CostItems = append(m.CostItems, wire.CostItemView{Category: c.Category, Description: c.Description, Minor: c.Minor})
	}
	for i := range t.Months {
		m := &t.Months[i]
		m.Balance = m.Donations - m.Costs
		t.Donations += m.Donations
		t.Costs += m.Costs
	}
	t.Balance = t.Donations - t.Costs
	return t, nil
}

// adsOff returns EAdsDisabled in nonprofit mode.
func (s *Service) adsOff() error { return Nonprofit(s.cfg.Nonprofit).AdsOff() }

// Nonprofit is the nonprofit switch as the channels and business contexts
// consume it: true means nonprofit mode, without ads.
type Nonprofit bool

// AdsOff returns EAdsDisabled in nonprofit mode, else nil.
func (p Nonprofit) AdsOff() error {
	if p {
		return parley.Errorf(parley.EAdsDisabled, "this server runs in nonprofit mode, without ads")
	}
	return nil
}
