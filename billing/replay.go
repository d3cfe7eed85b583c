package billing

import (
	"iter"
	"sync"
)

// replay is one card's side of a simulation: its rater and its revenue.
type replay struct {
	r    *Rater
	rev  Revenue
	conv bool // the card is under the conversation regime and Synthesize is set
	last Period
	// synthesized records the businesses whose messages were taken as
	// opening conversations.
	synthesized map[int64]bool
}

func newReplay(cat *Catalog, card string, o SimulateOptions) *replay {
	p := &replay{r: NewRater(cat, func(int64) string { return card }),
		rev: Revenue{Card: card, ByBusiness: map[int64]int64{}, ByCategory: map[Category]int64{}, ByMarket: map[string]int64{}, ByPeriod: map[Period]int64{}}}
	if vs := cat.cards[card]; len(vs) > 0 {
		p.rev.Regime, p.rev.Currency = vs[0].Regime, vs[0].Currency
	}
	p.conv = p.rev.Regime == Conversation && o.Synthesize != nil
	if p.conv {
		p.synthesized = map[int64]bool{}
	}
	return p
}

// step rates one entry and adds its charge to the revenue; syn is
// SimulateOptions.Synthesize's answer for it.
func (p *replay) step(u Usage, syn bool) error {
	p.rev.Entries++
	if p.conv && syn {
		switch u.Event {
		case ConversationOpened:
			return nil
		case TemplateDelivered, ServiceMessage:
			if u.PricingType != TypeFreeEntryPoint {
				u.Event = ConversationOpened
				p.synthesized[u.BusinessID] = true
			}
		}
	}
	c, err := p.r.Rate(u)
	if err != nil {
		return err
	}
	if c.Period > p.last && p.last != 0 {
		p.r.Forget(c.Period - 1) // a new month: ledger order is nearly time order, so the months before the last are done
	}
	p.last = max(p.last, c.Period)
	if c.Amount == 0 {
		return nil
	}
	p.rev.Charged++
	p.rev.Total += c.Amount
	p.rev.ByBusiness[c.BusinessID] += c.Amount
	p.rev.ByCategory[c.Category] += c.Amount
	p.rev.ByMarket[c.Market] += c.Amount
	p.rev.ByPeriod[c.Period] += c.Amount
	return nil
}

// SimulateMany replays usage once, in ledger order, with every business
// on each of cards in turn, and returns one Revenue per card in the
// order given. It is Simulate for several cards in one pass over the
// usage, so that a caller streaming the ledger from a store reads it
// once. Synthesize, if set, is called for each entry before it is rated
// under a conversation card, so it may depend on the entry being
// replayed (the caller knows it: it produced the entry).
func SimulateMany(cat *Catalog, cards []string, usage iter.Seq[Usage], o SimulateOptions) ([]Revenue, error) {
	ps, err := replayAll(cat, cards, usage, o)
	if err != nil {
		return nil, err
	}
	out := make([]Revenue, len(ps))
	for i, p := range ps {
		out[i] = p.rev
	}
	return out, nil
}

func replayAll(cat *Catalog, cards []string, usage iter.Seq[Usage], o SimulateOptions) ([]*replay, error) {
	ps := make([]*replay, len(cards))
	conv := false
	for i, c := range cards {
		ps[i] = newReplay(cat, c, o)
		conv = conv || ps[i].conv
	}
	syn := func(u Usage) bool { return conv && o.Synthesize(u.BusinessID) }
	if len(ps) == 1 {
		for u := range usage {
			if err := ps[0].step(u, syn(u)); err != nil {
				return nil, err
			}
		}
		return ps, nil
	}
	// Each card is rated on its own goroutine: the cards are independent,
	// so on two cores three cards take about half the time. Entries go to
	// them in chunks, shared read-only, with Synthesize asked here, in
	// ledger order (it may depend on the entry being produced).
	const chunk = 4096
	type batch struct {
		us  []Usage
		syn []bool
	}
	chans := make([]chan batch, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		ch := make(chan batch, 4)
		chans[i] = ch
		wg.Go(func() {
			for b := range ch {
				for j, u := range b.us {
					if errs[i] != nil {
						break
					}
					errs[i] = p.step(u, b.syn[j])
				}
			}
		})
	}
	cur := batch{us: make([]Usage, 0, chunk), syn: make([]bool, 0, chunk)}
	flush := func() {
		for _, ch := range chans {
			ch <- cur
		}
		cur = batch{us: make([]Usage, 0, chunk), syn: make([]bool, 0, chunk)}
	}
	for u := range usage {
		cur.us = append(cur.us, u)
		cur.syn = append(cur.syn, syn(u))
		if len(cur.us) == chunk {
			flush()
		}
	}
	flush()
	for _, ch := range chans {
		close(ch)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return ps, nil
}
