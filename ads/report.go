package ads

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/parleyhq/parley/ads/dpnoise"
	"github.com/parleyhq/parley/wire"
)

// Kind is what an event counts.
type Kind uint8

// The kinds of events, in the order of a cell's counts.
const (
	KindImpression Kind = iota
	KindClick
	KindChat // a chat started from a click (the referral's first message)
	KindConversion
	NumKinds
)

var kindNames = [NumKinds]string{"impression", "click", "chat", "conversion"}

func (k Kind) String() string { return kindNames[k] }

// KindOf reads an event kind's name.
func KindOf(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// CellKey is a report cell of one campaign-day: creative index,
// placement and country.
type CellKey struct {
	Creative  int // -1 for "other"
	Placement string
	Country   string
}

// OtherCell is the cell small cells fold into.
var OtherCell = CellKey{Creative: -1, Placement: "other", Country: "other"}

// Event is one stored event row: who (a pseudonym: a keyed hash of the
// person, the campaign and the day, never an account id) did what, in
// which cell, on which day. It holds no exact time.
type Event struct {
	Campaign int64
	Day      int64
	Kind     Kind
	Cell     CellKey
	Person   uint64
}

// CampaignDay names one campaign's day.
type CampaignDay struct {
	Campaign int64
	Day      int64
}

// Counts are the distinct people of a cell per kind.
type Counts [NumKinds]int64

// Audience is the number of people a cell surely holds: the largest of
// its counts (each person counts once per kind), a lower bound of the
// people behind it, so folding on it errs on folding.
func (c Counts) Audience() int64 { return slices.Max(c[:]) }

// Aggregate counts distinct people per cell and kind. Each person counts
// at most once per campaign, day and kind, in the first cell the events
// name: so one person changes one count of each kind by at most one (the
// sensitivity that Release's noise is calibrated to). Events may come in
// any order; "first" is the order given (the store gives them by id).
func Aggregate(events func(yield func(Event) bool)) map[CampaignDay]map[CellKey]*Counts {
	type dayAgg struct {
		seen  [NumKinds]map[uint64]struct{} // the people counted, per kind
		cells map[CellKey]*Counts
	}
	aggs := map[CampaignDay]*dayAgg{}
	var lastCD CampaignDay
	var last *dayAgg
	for e := range events {
		if cd := (CampaignDay{e.Campaign, e.Day}); last == nil || cd != lastCD {
			if last = aggs[cd]; last == nil {
				last = &dayAgg{cells: map[CellKey]*Counts{}}
				aggs[cd] = last
			}
			lastCD = cd
		}
		seen := last.seen[e.Kind]
		if seen == nil {
			seen = map[uint64]struct{}{}
			last.seen[e.Kind] = seen
		}
		if _, dup := seen[e.Person]; dup {
			continue
		}
		seen[e.Person] = struct{}{}
		c := last.cells[e.Cell]
		if c == nil {
			c = new(Counts)
			last.cells[e.Cell] = c
		}
		c[e.Kind]++
	}
	out := make(map[CampaignDay]map[CellKey]*Counts, len(aggs))
	for cd, a := range aggs {
		out[cd] = a.cells
	}
	return out
}

// Fold folds every cell whose audience is under k into OtherCell. When
// "other" itself stays under k it is dropped too, and suppressed says so.
// The result is sorted by creative, placement and country.
func Fold(cells map[CellKey]*Counts, k int64) (out []FoldedCell, suppressed bool) {
	var other Counts
	folded := false
	for key, c := range cells {
		if c.Audience() >= k && key != OtherCell {
			out = append(out, FoldedCell{key, *c})
			continue
		}
		folded = true
		for i := range other {
			other[i] += c[i]
		}
	}
	if folded {
		if other.Audience() >= k {
			out = append(out, FoldedCell{OtherCell, other})
		} else {
			suppressed = true
		}
	}
	slices.SortFunc(out, func(a, b FoldedCell) int {
		return cmp.Or(cmp.Compare(a.Key.Creative, b.Key.Creative), cmp.Compare(a.Key.Placement, b.Key.Placement),
			cmp.Compare(a.Key.Country, b.Key.Country))
	})
	return out, suppressed
}

// FoldedCell is a cell that passed the k threshold.
type FoldedCell struct {
	Key    CellKey
	Counts Counts
}

// Release adds discrete Laplace noise to every count of the folded cells
// of one campaign-day and returns the report rows. The day's privacy
// budget ε = num/den is split evenly over the NumKinds counts: each gets
// ε/NumKinds with sensitivity 1 (Aggregate's contribution bound), so the
// scale is NumKinds/ε. Negative noisy counts read 0 (post-processing).
func Release(day int64, cells []FoldedCell, num, den int64, src dpnoise.Source) ([]wire.AdReportRow, error) {
	sc, err := dpnoise.ForEpsilon(num, den*int64(NumKinds), 1)
	if err != nil {
		return nil, err
	}
	out := make([]wire.AdReportRow, 0, len(cells))
	for _, c := range cells {
		var n Counts
		for i := range n {
			n[i] = max(0, c.Counts[i]+dpnoise.Laplace(src, sc))
		}
		creative := "other"
		if c.Key.Creative >= 0 {
			creative = strconv.Itoa(c.Key.Creative + 1)
		}
		out = append(out, wire.AdReportRow{Day: DayString(day), Creative: creative, Placement: c.Key.Placement, Country: c.Key.Country,
			Impressions: n[KindImpression], Clicks: n[KindClick], Chats: n[KindChat], Conversions: n[KindConversion]})
	}
	return out, nil
}
