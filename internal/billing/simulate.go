package billing

import (
	"cmp"
	"iter"
	"slices"
)

// Revenue is what a replay of usage earned under one card.
type Revenue struct {
	Card       string             `json:"card"`
	Regime     Regime             `json:"regime"`
	Currency   string             `json:"currency"`
	Entries    int64              `json:"entries"`
	Charged    int64              `json:"charged_units"`
	Total      int64              `json:"total_micros"`
	ByBusiness map[int64]int64    `json:"by_business"`
	ByCategory map[Category]int64 `json:"by_category"`
	ByMarket   map[string]int64   `json:"by_market"`
	ByPeriod   map[Period]int64   `json:"by_period"`
}

// SimulateOptions tune a replay.
type SimulateOptions struct {
	// Synthesize, when it reports true for a business under a
	// conversation card, makes each of its message entries (template or
	// service, outside a free entry point) open a conversation. The
	// ledger of a business on per-message pricing has no conversation
	// events, and no recipient to rebuild 24 h windows from, so this is
	// an upper bound of what conversation pricing would have charged.
	Synthesize func(businessID int64) bool
}

// Simulate replays usage (in ledger order) with every business on card
// and sums the revenue. Entries before the card's first version are an
// error.
func Simulate(cat *Catalog, card string, usage iter.Seq[Usage], o SimulateOptions) (Revenue, error) {
	r := NewRater(cat, func(int64) string { return card })
	vs := cat.Versions(card)
	rev := Revenue{Card: card, ByBusiness: map[int64]int64{}, ByCategory: map[Category]int64{}, ByMarket: map[string]int64{}, ByPeriod: map[Period]int64{}}
	if len(vs) > 0 {
		rev.Regime, rev.Currency = vs[0].Regime, vs[0].Currency
	}
	conv := rev.Regime == Conversation && o.Synthesize != nil
	var last Period
	for u := range usage {
		rev.Entries++
		if conv && o.Synthesize(u.BusinessID) {
			switch u.Event {
			case ConversationOpened:
				continue
			case TemplateDelivered, ServiceMessage:
				if u.PricingType != TypeFreeEntryPoint {
					u.Event = ConversationOpened
				}
			}
		}
		c, err := r.Rate(u)
		if err != nil {
			return Revenue{}, err
		}
		if p := c.Period; p > last+1 && last != 0 {
			r.Forget(p - 1) // ledger order is nearly time order: older months are done
		}
		last = max(last, c.Period)
		if c.Amount == 0 {
			continue
		}
		rev.Charged++
		rev.Total += c.Amount
		rev.ByBusiness[c.BusinessID] += c.Amount
		rev.ByCategory[c.Category] += c.Amount
		rev.ByMarket[c.Market] += c.Amount
		rev.ByPeriod[c.Period] += c.Amount
	}
	return rev, nil
}

// Delta is one business's revenue under two cards.
type Delta struct {
	BusinessID int64 `json:"business_id"`
	Base       int64 `json:"base_micros"`
	Alt        int64 `json:"alt_micros"`
	Change     int64 `json:"change_micros"`
}

// Compare returns each business's change from base to alt, largest
// increase first (then largest decrease last), by id on ties.
func Compare(base, alt Revenue) []Delta {
	ids := map[int64]bool{}
	for id := range base.ByBusiness {
		ids[id] = true
	}
	for id := range alt.ByBusiness {
		ids[id] = true
	}
	out := make([]Delta, 0, len(ids))
	for id := range ids {
		b, a := base.ByBusiness[id], alt.ByBusiness[id]
		out = append(out, Delta{BusinessID: id, Base: b, Alt: a, Change: a - b})
	}
	slices.SortFunc(out, func(x, y Delta) int {
		return cmp.Or(cmp.Compare(y.Change, x.Change), cmp.Compare(x.BusinessID, y.BusinessID))
	})
	return out
}
