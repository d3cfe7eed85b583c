package billing

import (
	"cmp"
	"slices"
	"strconv"
)

// LineBuilder is Summarize one charge at a time, for an invoice run that
// rates a stream and cannot keep every charge: Add the charges of one
// business and month, then Lines gives what Summarize would have given
// for them. The zero value is ready.
type LineBuilder struct {
	lines map[lineBuilderKey]*Line
	total int64
}

type lineBuilderKey struct {
	cat     Category
	market  string
	tier    string
	card    string
	version int
	reason  Reason
	unit    int64
}

// Add adds a charge; duplicates are left out.
func (b *LineBuilder) Add(c Charge) {
	if c.Reason == ReasonDuplicate {
		return
	}
	if b.lines == nil {
		b.lines = map[lineBuilderKey]*Line{}
	}
	k := lineBuilderKey{c.Category, c.Market, c.TierLabel, c.Card, c.Version, c.Reason, c.Amount}
	l := b.lines[k]
	if l == nil {
		l = &Line{Category: k.cat, Market: k.market, Tier: k.tier, Card: k.card + "@" + strconv.Itoa(k.version), Reason: k.reason, Unit: k.unit}
		b.lines[k] = l
	}
	l.Units++
	l.Amount += c.Amount
	b.total += c.Amount
}

// Total is the exact sum of the charges added.
func (b *LineBuilder) Total() int64 { return b.total }

// Lines returns the lines in Summarize's order and their exact total.
func (b *LineBuilder) Lines() ([]Line, int64) {
	out := make([]Line, 0, len(b.lines))
	for _, l := range b.lines {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Line) int {
		return cmp.Or(cmp.Compare(slices.Index(Categories, a.Category), slices.Index(Categories, b.Category)),
			cmp.Compare(a.Market, b.Market), cmp.Compare(a.Card, b.Card), cmp.Compare(a.Tier, b.Tier),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(b.Unit, a.Unit))
	})
	return out, b.total
}
