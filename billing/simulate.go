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
// error. SimulateMany does the same for several cards in one pass.
func Simulate(cat *Catalog, card string, usage iter.Seq[Usage], o SimulateOptions) (Revenue, error) {
	revs, err := SimulateMany(cat, []string{card}, usage, o)
	if err != nil {
		return Revenue{}, err
	}
	return revs[0], nil
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
