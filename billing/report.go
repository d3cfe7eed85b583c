package billing

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// ModelCard resolves a pricing model as a person names it: a regime
// ("conversation", "per_message_2025_07", "per_message_2026_10") names
// its built-in card (CardFor); anything else must be a card name in cat.
// The error lists what would have been accepted.
func ModelCard(cat *Catalog, model string) (string, error) {
	if slices.Contains(Regimes, Regime(model)) {
		name := CardFor(Regime(model))
		if len(cat.cards[name]) == 0 {
			return "", fmt.Errorf("model %s: the catalog has no card %q", model, name)
		}
		return name, nil
	}
	if len(cat.cards[model]) > 0 {
		return model, nil
	}
	return "", fmt.Errorf("unknown model %q (want conversation, per_message_2025_07, per_message_2026_10 or a card: %s)", model, strings.Join(cat.Names(), ", "))
}

// ReportOptions say what BuildReport replays and compares.
type ReportOptions struct {
	// Base is the card the others are compared with, Alt the
	// alternative: card names in the catalog (see ModelCard).
	Base, Alt string
	// Others are more cards shown side by side (for example the three
	// built-in ones); cards already named are not repeated.
	Others []string
	// From and To are the first and the last month replayed, inclusive;
	// usage outside them is skipped.
	From, To Period
	// Top is how many businesses paying more, and how many paying less,
	// the report lists; 10 when 0.
	Top int
	// Synthesize is SimulateOptions.Synthesize: it reports, for the
	// entry being replayed, whether its business has no conversation
	// events, so that conversation cards count each of its messages as
	// a conversation (an upper bound, which the report says).
	Synthesize func(businessID int64) bool
}

// Model is one card's figures in a Report. Amounts are micro-units of
// the report's currency.
type Model struct {
	Card     string `json:"card"`
	Regime   Regime `json:"regime"`
	Currency string `json:"currency"`
	// Charged is the number of charged units (entries or conversations
	// with a price).
	Charged int64 `json:"charged_units"`
	Total   int64 `json:"total_micros"`
	// Change is Total minus the base's Total.
	Change     int64              `json:"change_micros"`
	ByCategory map[Category]int64 `json:"by_category"`
	ByMarket   map[string]int64   `json:"by_market"`
	ByPeriod   map[Period]int64   `json:"by_period"`
	// Synthesized is the number of businesses whose messages were
	// counted as opening conversations because their ledger has none.
	// When it is above 0, UpperBound is true: the figures are at most
	// what conversation pricing would have charged.
	Synthesized int  `json:"synthesized_businesses,omitempty"`
	UpperBound  bool `json:"upper_bound,omitempty"`
	// Backdated is true when the card's first version took effect after
	// the start of the period: it was applied to the earlier usage too.
	Backdated bool `json:"backdated,omitempty"`
}

// Report compares the revenue of one stretch of real usage replayed
// under several cards: totals, by category, by market and by month for
// each, and which businesses would pay more or less under Alt than
// under Base. It is plain data (JSON-ready); WriteText and WriteSVG
// render it. All amounts are exact micro-units.
type Report struct {
	From       Period `json:"from"`
	To         Period `json:"to"`
	Currency   string `json:"currency"`
	Entries    int64  `json:"entries"`    // usage entries in the period
	Businesses int    `json:"businesses"` // businesses with usage in the period
	Base       string `json:"base"`
	Alt        string `json:"alt"`
	// Models has the base first, then the alternative, then the others.
	Models []Model `json:"models"`
	// Gainers are the businesses paying more under Alt than under Base,
	// largest increase first; Losers those paying less, largest decrease
	// first; each at most ReportOptions.Top long.
	Gainers []Delta `json:"gainers"`
	Losers  []Delta `json:"losers"`
	// More, Less and Same count every business by the sign of its change.
	More int `json:"more"`
	Less int `json:"less"`
	Same int `json:"same"`
}

// Model returns the figures of the named card, or nil.
func (r *Report) Model(card string) *Model {
	for i := range r.Models {
		if r.Models[i].Card == card {
			return &r.Models[i]
		}
	}
	return nil
}

// BuildReport replays usage (in ledger order; entries outside From..To
// are skipped) once under every card of o, and compares them. Each card
// is applied to the whole period: a card whose first version took effect
// after an entry is applied to it with that first version (Model.Backdated
// says so), since the question is "what if this card had applied".
//
// It returns an error for an unknown card, To before From, cards of
// different currencies, or an entry the engine cannot rate.
func BuildReport(cat *Catalog, usage iter.Seq[Usage], o ReportOptions) (Report, error) {
	if o.To < o.From {
		return Report{}, fmt.Errorf("the period ends (%s) before it starts (%s)", o.To, o.From)
	}
	if o.Top <= 0 {
		o.Top = 10
	}
	var cards []string
	for _, c := range append([]string{o.Base, o.Alt}, o.Others...) {
		if c != "" && !slices.Contains(cards, c) {
			cards = append(cards, c)
		}
	}
	if len(cards) == 0 || o.Base == "" {
		return Report{}, fmt.Errorf("no base card")
	}
	if o.Alt == "" {
		o.Alt = o.Base
	}
	start, end := o.From.Start(), o.To.End()
	whatIf := &Catalog{cards: map[string][]*Card{}}
	backdated := map[string]bool{}
	currency := ""
	for _, name := range cards {
		vs := cat.cards[name]
		if len(vs) == 0 {
			return Report{}, fmt.Errorf("no rate card %q", name)
		}
		if currency == "" {
			currency = vs[0].Currency
		} else if vs[0].Currency != currency {
			return Report{}, fmt.Errorf("card %s is in %s, not %s: revenues in different currencies do not compare", name, vs[0].Currency, currency)
		}
		vs = slices.Clone(vs)
		if vs[0].EffectiveFrom.After(start) {
			first := *vs[0]
			first.EffectiveFrom = time.Time{}
			vs[0] = &first
			backdated[name] = true
		}
		whatIf.cards[name] = vs
	}

	rep := Report{From: o.From, To: o.To, Currency: currency, Base: o.Base, Alt: o.Alt}
	businesses := map[int64]struct{}{}
	inPeriod := func(yield func(Usage) bool) {
		for u := range usage {
			if u.At.Before(start) || !u.At.Before(end) {
				continue
			}
			rep.Entries++
			businesses[u.BusinessID] = struct{}{}
			if !yield(u) {
				return
			}
		}
	}
	ps, err := replayAll(whatIf, cards, inPeriod, SimulateOptions{Synthesize: o.Synthesize})
	if err != nil {
		return Report{}, err
	}
	rep.Businesses = len(businesses)
	base := ps[0].rev
	for _, p := range ps {
		m := Model{Card: p.rev.Card, Regime: p.rev.Regime, Currency: p.rev.Currency, Charged: p.rev.Charged, Total: p.rev.Total,
			Change: p.rev.Total - base.Total, ByCategory: p.rev.ByCategory, ByMarket: p.rev.ByMarket, ByPeriod: p.rev.ByPeriod,
			Synthesized: len(p.synthesized), Backdated: backdated[p.rev.Card]}
		m.UpperBound = m.Synthesized > 0
		rep.Models = append(rep.Models, m)
	}
	var alt Revenue
	for _, p := range ps {
		if p.rev.Card == o.Alt {
			alt = p.rev
		}
	}
	for _, d := range Compare(base, alt) {
		switch {
		case d.Change > 0:
			rep.More++
			if len(rep.Gainers) < o.Top {
				rep.Gainers = append(rep.Gainers, d)
			}
		case d.Change < 0:
			rep.Less++
		default:
			rep.Same++
		}
	}
	// Businesses with usage but no charge under either card are unchanged too.
	rep.Same += rep.Businesses - (rep.More + rep.Less + rep.Same)
	ds := Compare(base, alt)
	for i := len(ds) - 1; i >= 0 && ds[i].Change < 0 && len(rep.Losers) < o.Top; i-- {
		rep.Losers = append(rep.Losers, ds[i])
	}
	return rep, nil
}

// WriteText writes the report for a person: one column per card, the
// totals and their change against the base, then by category, market
// and month, then the businesses paying most more and most less, with
// every amount written by FormatMicros.
func (r Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	pf := func(format string, a ...any) { fmt.Fprintf(ew, format, a...) }
	pf("Revenue simulation %s to %s (%s): %d usage entries of %d businesses replayed under %d cards.\n",
		r.From, r.To, r.Currency, r.Entries, r.Businesses, len(r.Models))
	pf("Base: %s. Alternative: %s.\n", r.Base, r.Alt)
	for _, m := range r.Models {
		if m.Backdated {
			pf("Note: %s took effect after %s; its first version is applied to the whole period.\n", m.Card, r.From)
		}
	}
	pf("\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, f func(Model) string) {
		fmt.Fprint(tw, label+"\t")
		for _, m := range r.Models {
			fmt.Fprint(tw, f(m)+"\t")
		}
		fmt.Fprint(tw, "\n")
	}
	head := func(label string) {
		row(label, func(m Model) string {
			switch m.Card {
			case r.Base:
				return m.Card + " (base)"
			case r.Alt:
				return m.Card + " (alt)"
			}
			return m.Card
		})
	}
	mark := func(m Model) string {
		if m.UpperBound {
			return "*"
		}
		return ""
	}
	head("")
	row("regime", func(m Model) string { return string(m.Regime) })
	row("charged units", func(m Model) string { return fmt.Sprint(m.Charged) })
	row("revenue", func(m Model) string { return FormatMicros(m.Total) + mark(m) })
	row("change vs base", func(m Model) string { return signed(m.Change) })
	blank := func() { row("", func(Model) string { return "" }) }
	blank()
	head("by category")
	for _, c := range Categories {
		row(string(c), func(m Model) string { return FormatMicros(m.ByCategory[c]) })
	}
	blank()
	head("by market")
	for _, mk := range r.markets() {
		row(mk, func(m Model) string { return FormatMicros(m.ByMarket[mk]) })
	}
	blank()
	head("by month")
	for p := r.From; p <= r.To; p++ {
		row(p.String(), func(m Model) string { return FormatMicros(m.ByPeriod[p]) })
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range r.Models {
		if m.UpperBound {
			pf("\n* %s is an upper bound: %d business(es) have no conversation events in the ledger (they were on per-message pricing), so each of their messages outside a free entry point was counted as opening a conversation.\n",
				m.Card, m.Synthesized)
		}
	}
	if r.Alt == r.Base {
		return ew.err
	}
	pf("\nUnder %s instead of %s: %d businesses pay more, %d pay less, %d the same.\n", r.Alt, r.Base, r.More, r.Less, r.Same)
	deltas := func(title string, ds []Delta, n int) {
		if len(ds) == 0 {
			return
		}
		pf("\n%s (top %d of %d):\n", title, len(ds), n)
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "business\t%s\t%s\tchange\t\n", r.Base, r.Alt)
		for _, d := range ds {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t\n", d.BusinessID, FormatMicros(d.Base), FormatMicros(d.Alt), signed(d.Change))
		}
		tw.Flush()
	}
	deltas("Businesses paying more", r.Gainers, r.More)
	deltas("Businesses paying less", r.Losers, r.Less)
	return ew.err
}

// markets lists the markets of every model, the base's largest first,
// the default market last.
func (r Report) markets() []string {
	set := map[string]bool{}
	for _, m := range r.Models {
		for k := range m.ByMarket {
			set[k] = true
		}
	}
	base := r.Model(r.Base)
	ms := slices.Collect(maps.Keys(set))
	slices.SortFunc(ms, func(a, b string) int {
		if (a == DefaultMarket) != (b == DefaultMarket) {
			if a == DefaultMarket {
				return 1
			}
			return -1
		}
		var x, y int64
		if base != nil {
			x, y = base.ByMarket[a], base.ByMarket[b]
		}
		return cmp.Or(cmp.Compare(y, x), cmp.Compare(a, b))
	})
	return ms
}

// signed writes an amount with its sign: "+1.50", "-0.0688", "0.00".
func signed(v int64) string {
	if v > 0 {
		return "+" + FormatMicros(v)
	}
	return FormatMicros(v)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
