package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/parleyhq/parley"
)

// The operator's views of the money: the dashboard, the what-if
// simulator over the real ledger, and the audit that re-rates it.

// Dashboard is the operator's revenue: business messaging from the rated
// ledger and the people-side models from the money ledger, in micro-units
// of the billing currency.
type Dashboard struct {
	Currency   string            `json:"currency"`
	From       Period            `json:"from"`
	To         Period            `json:"to"`
	Total      int64             `json:"total_micros"`
	ByModel    map[string]int64  `json:"by_model"`
	ByCategory map[string]int64  `json:"by_category"`
	ByMarket   map[string]int64  `json:"by_market"`
	ByPeriod   []DashboardPeriod `json:"by_period"`
	Top        []TopBusiness     `json:"top_businesses"`
	// CommerceVolume is what people paid businesses in the chat, less
	// refunds (docs/COMMERCE.md): not the operator's revenue, which is
	// the commerce_fees model.
	CommerceVolume int64 `json:"commerce_volume_micros"`
}

// DashboardPeriod is one month of the dashboard.
type DashboardPeriod struct {
	Period  Period           `json:"period"`
	Total   int64            `json:"total_micros"`
	ByModel map[string]int64 `json:"by_model"`
}

// TopBusiness is a business's business-messaging revenue.
type TopBusiness struct {
	BusinessID int64  `json:"business_id"`
	Name       string `json:"name"`
	Total      int64  `json:"total_micros"`
}

// The revenue models of the dashboard.
const (
	ModelBusinessMessaging    = "business_messaging"
	ModelChannelSubscriptions = "channel_subscriptions"
	ModelChannelPromotions    = "channel_promotions"
	ModelPremium              = "premium"
	ModelDonations            = "donations"
	ModelAds                  = "ads"
	ModelCommerceFees         = "commerce_fees"
)

// modelOfLedger names the revenue model of a money-ledger kind, or ""
// for entries that are not the operator's revenue (payouts, refunds are
// negative amounts of their model).
func modelOfLedger(kind string) string {
	switch {
	case kind == "operator_share":
		return ModelChannelSubscriptions // the operator keeps its share of subscriptions
	case kind == "promotion_charge":
		return ModelChannelPromotions
	case strings.HasPrefix(kind, "premium"):
		return ModelPremium
	case strings.HasPrefix(kind, "donation"):
		return ModelDonations
	case kind == "ad_spend":
		return ModelAds // a channel owner's prepaid ad spend
	case kind == "ad_owner_share":
		return ModelAds // paid on to the channel's owner (negative for the operator)
	case kind == "commerce_fee":
		return ModelCommerceFees // kept on a refund (docs/COMMERCE.md, "Fees")
	}
	return ""
}

// Dashboard sums the operator's revenue over the months from..to.
func (bl *Biller) Dashboard(ctx context.Context, from, to Period) (Dashboard, error) {
	if to < from {
		return Dashboard{}, parley.InvalidField("to", "to is before from")
	}
	if to-from > 120 {
		return Dashboard{}, parley.InvalidField("to", "at most 120 months at a time")
	}
	d := Dashboard{Currency: bl.cfg.Currency, From: from, To: to, ByModel: map[string]int64{}, ByCategory: map[string]int64{},
		ByMarket: map[string]int64{}, Top: []TopBusiness{}}
	for _, m := range []string{ModelBusinessMessaging, ModelChannelSubscriptions, ModelChannelPromotions, ModelPremium, ModelDonations, ModelAds, ModelCommerceFees} {
		d.ByModel[m] = 0
	}
	months := map[Period]*DashboardPeriod{}
	for p := from; p <= to; p++ {
		dp := &DashboardPeriod{Period: p, ByModel: map[string]int64{}}
		months[p] = dp
	}
	add := func(p Period, model string, v int64) {
		d.Total += v
		d.ByModel[model] += v
		if dp := months[p]; dp != nil {
			dp.Total += v
			dp.ByModel[model] += v
		}
	}
	ts, err := bl.st.ChargeTotals(ctx, 0, from, to)
	if err != nil {
		return Dashboard{}, fmt.Errorf("charge totals: %w", err)
	}
	byBiz := map[int64]int64{}
	for _, t := range ts {
		if t.Amount == 0 {
			continue
		}
		if t.Category == CategoryAds {
			add(t.Period, ModelAds, t.Amount)
		} else {
			add(t.Period, ModelBusinessMessaging, t.Amount)
		}
		d.ByCategory[string(t.Category)] += t.Amount
		d.ByMarket[t.Market] += t.Amount
		byBiz[t.BusinessID] += t.Amount
	}
	es, err := bl.st.LedgerRange(ctx, 0, "", from.Start(), to.End())
	if err != nil {
		return Dashboard{}, fmt.Errorf("ledger range: %w", err)
	}
	for _, e := range es {
		switch {
		case e.Currency != bl.cfg.Currency:
		case e.Kind == "commerce_payment":
			d.CommerceVolume += MinorToMicros(e.Minor, e.Currency)
		case e.Kind == "commerce_refund":
			d.CommerceVolume -= MinorToMicros(e.Minor, e.Currency)
		}
		model := modelOfLedger(e.Kind)
		if model == "" || e.Currency != bl.cfg.Currency {
			continue
		}
		v := MinorToMicros(e.Minor, e.Currency)
		if e.Kind == "ad_owner_share" {
			v = -v
		}
		add(PeriodOf(e.At), model, v)
	}
	for id, v := range byBiz {
		d.Top = append(d.Top, TopBusiness{BusinessID: id, Total: v})
	}
	slices.SortFunc(d.Top, func(a, b TopBusiness) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.BusinessID, b.BusinessID))
	})
	if len(d.Top) > 10 {
		d.Top = d.Top[:10]
	}
	for i := range d.Top {
		if biz, err := bl.payer(ctx, d.Top[i].BusinessID); err == nil {
			d.Top[i].Name = biz.Name
		}
	}
	for p := from; p <= to; p++ {
		d.ByPeriod = append(d.ByPeriod, *months[p])
	}
	return d, nil
}

// addAds adds the ad charges of the months from..to to a simulated
// revenue: the auction prices ads, not a rate card, so they are the same
// under every card and the comparison shows them unchanged (billing/ads.go).
func (bl *Biller) addAds(ctx context.Context, from, to Period, r *Revenue) error {
	ts, err := bl.st.ChargeTotals(ctx, 0, from, to)
	if err != nil {
		return fmt.Errorf("charge totals: %w", err)
	}
	for _, t := range ts {
		if t.Category != CategoryAds || t.Amount == 0 {
			continue
		}
		if r.ByBusiness == nil {
			r.ByBusiness, r.ByCategory, r.ByMarket, r.ByPeriod = map[int64]int64{}, map[Category]int64{}, map[string]int64{}, map[Period]int64{}
		}
		r.Entries += t.Units
		r.Charged += t.Units
		r.Total += t.Amount
		r.ByBusiness[t.BusinessID] += t.Amount
		r.ByCategory[t.Category] += t.Amount
		r.ByMarket[t.Market] += t.Amount
		r.ByPeriod[t.Period] += t.Amount
	}
	return nil
}

// usageBetween streams the usage ledger of the months from..to in ledger order.
func (bl *Biller) usageBetween(ctx context.Context, from, to Period, fn func(Usage)) error {
	var after int64
	for {
		us, err := bl.st.ListUsage(ctx, 0, after, 5000)
		if err != nil {
			return fmt.Errorf("list usage: %w", err)
		}
		for _, u := range us {
			after = u.ID
			if p := PeriodOf(u.At); u.Event.Messaging() && p >= from && p <= to {
				e := u
				fn(e.Usage())
			}
		}
		if len(us) < 5000 {
			return nil
		}
	}
}

// Simulation compares the revenue the real usage of a period earned with
// what it would have earned on another card.
type Simulation struct {
	From   Period  `json:"from"`
	To     Period  `json:"to"`
	Base   Revenue `json:"base"`
	Alt    Revenue `json:"alt"`
	Deltas []Delta `json:"deltas"`
	Note   string  `json:"note,omitempty"`
	// Report has the three built-in regimes and the alternative side by
	// side (BuildReport), SVG its chart.
	Report Report `json:"report"`
	SVG    string `json:"svg"`
}

// Simulate replays the usage of from..to: the base is what each business
// is charged (its own cards), the alternative every business on card (a
// card name, or a regime name for its built-in card). EInvalid for an
// unknown card.
func (bl *Biller) Simulate(ctx context.Context, from, to Period, card string) (Simulation, error) {
	if to < from {
		return Simulation{}, parley.InvalidField("to", "to is before from")
	}
	cat, err := bl.catalog(ctx)
	if err != nil {
		return Simulation{}, err
	}
	switch Regime(card) {
	case Conversation, PerMessage2025, PerMessage2026:
		card = CardFor(Regime(card))
	}
	if len(cat.Versions(card)) == 0 {
		return Simulation{}, parley.InvalidField("model", fmt.Sprintf("no rate card or regime %q", card))
	}
	var us []Usage
	if err := bl.usageBetween(ctx, from, to, func(u Usage) { us = append(us, u) }); err != nil {
		return Simulation{}, err
	}
	seq := func(yield func(Usage) bool) {
		for _, u := range us {
			if !yield(u) {
				return
			}
		}
	}
	conv := map[int64]bool{}
	for _, u := range us {
		if u.Event == ConversationOpened {
			conv[u.BusinessID] = true
		}
	}
	o := SimulateOptions{Synthesize: func(id int64) bool { return !conv[id] }}
	alt, err := Simulate(cat, card, seq, o)
	if err != nil {
		return Simulation{}, parley.InvalidField("model", err.Error())
	}
	base, err := bl.actual(ctx, from, to)
	if err != nil {
		return Simulation{}, err
	}
	if err := bl.addAds(ctx, from, to, &alt); err != nil {
		return Simulation{}, err
	}
	baseCard := bl.cfg.DefaultCard
	if baseCard == "" {
		baseCard = CardPerMessage26
	}
	rep, err := BuildReport(cat, seq, ReportOptions{Base: baseCard, Alt: card, From: from, To: to, Synthesize: o.Synthesize,
		Others: []string{CardConversation, CardPerMessage25, CardPerMessage26}})
	if err != nil {
		return Simulation{}, parley.InvalidField("model", err.Error())
	}
	var svg strings.Builder
	if err := WriteSVG(&svg, rep); err != nil {
		return Simulation{}, fmt.Errorf("simulation chart: %w", err)
	}
	s := Simulation{From: from, To: to, Base: base, Alt: alt, Deltas: Compare(base, alt), Report: rep, SVG: svg.String()}
	if alt.Regime == Conversation && len(conv) < len(base.ByBusiness) {
		s.Note = "businesses on per-message pricing have no conversation events: each of their messages is counted as opening a conversation, an upper bound"
	}
	return s, nil
}

// actual sums the charges of from..to as a Revenue: the base of a simulation.
func (bl *Biller) actual(ctx context.Context, from, to Period) (Revenue, error) {
	ts, err := bl.st.ChargeTotals(ctx, 0, from, to)
	if err != nil {
		return Revenue{}, fmt.Errorf("charge totals: %w", err)
	}
	r := Revenue{Card: "actual", Currency: bl.cfg.Currency, ByBusiness: map[int64]int64{}, ByCategory: map[Category]int64{},
		ByMarket: map[string]int64{}, ByPeriod: map[Period]int64{}}
	for _, t := range ts {
		r.Entries += t.Units
		if t.Amount == 0 {
			continue
		}
		r.Charged += t.Units
		r.Total += t.Amount
		r.ByBusiness[t.BusinessID] += t.Amount
		r.ByCategory[t.Category] += t.Amount
		r.ByMarket[t.Market] += t.Amount
		r.ByPeriod[t.Period] += t.Amount
	}
	return r, nil
}

// Audit is a re-rating of a period's usage ledger from scratch compared
// with the charges stored when it was rated live.
type Audit struct {
	Period     Period   `json:"period"`
	Entries    int64    `json:"entries"`
	Stored     int64    `json:"stored_micros"`
	Rerated    int64    `json:"rerated_micros"`
	Mismatches []string `json:"mismatches"` // keys whose amount or reason differ, or that are missing
}

// Audit re-rates the usage ledger of period p with the cards in effect
// (a pure function of the ledger) and compares it, charge by charge,
// with the stored rated ledger.
func (bl *Biller) Audit(ctx context.Context, p Period) (Audit, error) {
	if err := bl.load(ctx); err != nil {
		return Audit{}, err
	}
	bizs := map[int64]Payer{}
	stored := map[string]Charge{}
	var after int64
	for {
		cs, err := bl.st.ListCharges(ctx, 0, p, after, 5000)
		if err != nil {
			return Audit{}, err
		}
		for _, c := range cs {
			after = c.ID
			stored[c.Key] = c.Charge
		}
		if len(cs) < 5000 {
			break
		}
	}
	a := Audit{Period: p, Mismatches: []string{}}
	months := map[int64]*Month{}
	var ferr error
	err := bl.usageBetween(ctx, p, p, func(u Usage) {
		if ferr != nil {
			return
		}
		biz, ok := bizs[u.BusinessID]
		if !ok {
			if biz, ferr = bl.payer(ctx, u.BusinessID); ferr != nil {
				return
			}
			bizs[u.BusinessID] = biz
		}
		card, err := bl.cardAt(ctx, biz, u.At)
		if err != nil {
			ferr = err
			return
		}
		m := months[u.BusinessID]
		if m == nil {
			m = NewMonth(u.BusinessID, p)
			months[u.BusinessID] = m
		}
		c, err := m.Rate(card, u)
		if err != nil {
			ferr = err
			return
		}
		if c.Reason == ReasonDuplicate {
			return
		}
		a.Entries++
		a.Rerated += c.Amount
		s, ok := stored[c.Key]
		if !ok || s.Amount != c.Amount || s.Reason != c.Reason || s.Version != c.Version || s.Card != c.Card {
			a.Mismatches = append(a.Mismatches, c.Key)
		}
		delete(stored, c.Key)
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return Audit{}, err
	}
	for k, c := range stored {
		if c.Category == CategoryAds {
			continue // ad spend is priced by the auction, not re-rated (billing/ads.go)
		}
		a.Mismatches = append(a.Mismatches, k) // a charge without its ledger entry
	}
	var total int64
	ts, err := bl.st.ChargeTotals(ctx, 0, p, p)
	if err != nil {
		return Audit{}, err
	}
	for _, t := range ts {
		total += t.Amount
	}
	a.Stored = total
	slices.Sort(a.Mismatches)
	return a, nil
}
