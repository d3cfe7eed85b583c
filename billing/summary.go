package billing

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Line is one invoice line: the charges of one category, market, tier,
// card version and reason, summed exactly.
type Line struct {
	Category Category `json:"category"`
	Market   string   `json:"market"`
	Tier     string   `json:"tier,omitempty"`
	Card     string   `json:"card"`
	Reason   Reason   `json:"reason"`
	Units    int64    `json:"units"`
	Unit     int64    `json:"unit_price_micros"` // the price of one unit (0 when free)
	Amount   int64    `json:"amount_micros"`
}

type lineKey struct {
	cat    Category
	market string
	tier   string
	card   string
	reason Reason
	unit   int64
}

// Summarize groups charges into lines, ordered by category, market, tier
// and reason, and returns them with their exact total. Duplicates are
// left out. The total equals the sum of the charges' amounts, always:
// lines only add.
func Summarize(cs []Charge) ([]Line, int64) {
	m := map[lineKey]*Line{}
	var total int64
	for _, c := range cs {
		if c.Reason == ReasonDuplicate {
			continue
		}
		k := lineKey{c.Category, c.Market, c.TierLabel, fmt.Sprintf("%s@%d", c.Card, c.Version), c.Reason, c.Amount}
		l := m[k]
		if l == nil {
			l = &Line{Category: k.cat, Market: k.market, Tier: k.tier, Card: k.card, Reason: k.reason, Unit: k.unit}
			m[k] = l
		}
		l.Units++
		l.Amount += c.Amount
		total += c.Amount
	}
	out := make([]Line, 0, len(m))
	for _, l := range m {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Line) int {
		return cmp.Or(cmp.Compare(slices.Index(Categories, a.Category), slices.Index(Categories, b.Category)),
			cmp.Compare(a.Market, b.Market), cmp.Compare(a.Card, b.Card), cmp.Compare(a.Tier, b.Tier),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(b.Unit, a.Unit))
	})
	return out, total
}

// Rater rates a stream of usage entries in ledger order for many
// businesses, keeping one Month per business and month. It is the batch
// form of Month.Rate, used by the invoice run, the simulator and the
// benchmark; it is not safe for concurrent use.
type Rater struct {
	Catalog *Catalog
	// CardOf names the card a business is on.
	CardOf func(businessID int64) string
	months map[monthKey]*Month
	// last caches, per card name, the version found last and the span
	// it is in effect: most entries hit it without a catalog search.
	last []cardSpan
}

type cardSpan struct {
	name        string
	card        *Card
	from, until time.Time
}

type monthKey struct {
	biz int64
	p   Period
}

// NewRater returns a rater over the catalog.
func NewRater(cat *Catalog, cardOf func(int64) string) *Rater {
	return &Rater{Catalog: cat, CardOf: cardOf, months: map[monthKey]*Month{}}
}

// Month returns the rating state of a business's month, creating it.
func (r *Rater) Month(biz int64, p Period) *Month {
	k := monthKey{biz, p}
	m := r.months[k]
	if m == nil {
		m = NewMonth(biz, p)
		r.months[k] = m
	}
	return m
}

// Card returns the version of the named card in effect at t.
func (r *Rater) Card(name string, t time.Time) (*Card, error) {
	var l *cardSpan
	for i := range r.last {
		if r.last[i].name == name {
			l = &r.last[i]
			if !t.Before(l.from) && t.Before(l.until) {
				return l.card, nil
			}
			break
		}
	}
	c, err := r.Catalog.At(name, t)
	if err != nil {
		return nil, err
	}
	switch {
	case l == nil && len(r.last) < 8:
		r.last = append(r.last, cardSpan{})
		l = &r.last[len(r.last)-1]
	case l == nil: // many cards in turn: keep the cache small
		l = &r.last[0]
	}
	l.name, l.card, l.from, l.until = name, c, c.EffectiveFrom, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, v := range r.Catalog.cards[name] {
		if v.EffectiveFrom.After(c.EffectiveFrom) {
			l.until = v.EffectiveFrom
			break
		}
	}
	return c, nil
}

// Rate rates one entry.
func (r *Rater) Rate(u Usage) (Charge, error) {
	card, err := r.Card(r.CardOf(u.BusinessID), u.At)
	if err != nil {
		return Charge{}, err
	}
	return r.Month(u.BusinessID, PeriodOf(u.At)).Rate(card, u)
}

// Forget drops the states of months before p, to bound memory on long
// replays.
func (r *Rater) Forget(before Period) {
	for k := range r.months {
		if k.p < before {
			delete(r.months, k)
		}
	}
}
