package billing

import (
	"context"
	"errors"
	"iter"
	"sync"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
)

// usagePage is how many ledger entries a read of the usage stream asks
// for.
const usagePage = 10_000

// LedgerUsage streams the whole usage ledger in ledger order (by id),
// keeping the entries whose At falls in the months from to to, converted
// for the rating engine. A read error ends the stream and is stored in
// *errp. perMessage reports, for the entry being yielded, whether its
// business was on per-message pricing when it was recorded (its ledger
// then has no conversation events): the Synthesize rule of
// billing.ReportOptions. `parley revenue simulate` reads the ledger
// through it too.
func LedgerUsage(ctx context.Context, st business.LedgerStore, from, to billing.Period, errp *error) (usage iter.Seq[billing.Usage], perMessage func(int64) bool) {
	start, end := from.Start(), to.End()
	cbp := false
	usage = func(yield func(billing.Usage) bool) {
		for page := range LedgerPages(ctx, st, errp) {
			for i := range page {
				e := &page[i]
				if e.At.Before(start) || !e.At.Before(end) {
					continue
				}
				cbp = e.Model == "CBP"
				if !yield(Usage(e)) {
					return
				}
			}
		}
	}
	return usage, func(int64) bool { return !cbp }
}

// LedgerPages reads the whole usage ledger by id in pages of usagePage
// entries. A goroutine reads the next pages while the caller works on
// this one (two cores: reading and rating overlap); it stops when the
// loop ends. A read error ends the pages and is stored in *errp.
func LedgerPages(ctx context.Context, st business.LedgerStore, errp *error) iter.Seq[[]business.UsageEntry] {
	return func(yield func([]business.UsageEntry) bool) {
		parent := ctx
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// Two fetchers read alternate id ranges of usagePage ids
		// ((k·N, (k+1)·N] for page k): the SQLite read is CPU-bound, so on
		// two cores two readers keep ahead of the rating. Page k is
		// ListUsage(after k·N), cut at (k+1)·N, which is exactly the range
		// even where ids have gaps; a page with no row at all after k·N
		// is the end. Pages are yielded in order.
		type result struct {
			entries []business.UsageEntry
			end     bool
		}
		const fetchers = 2
		var chans [fetchers]chan result
		errs := make([]error, fetchers)
		var wg sync.WaitGroup
		for j := range fetchers {
			ch := make(chan result, 2)
			chans[j] = ch
			wg.Go(func() {
				defer close(ch)
				for k := int64(j); ; k += fetchers {
					lo, hi := k*usagePage, (k+1)*usagePage
					page, err := st.ListUsage(ctx, 0, lo, usagePage)
					if err != nil {
						errs[j] = err
						return
					}
					r := result{end: len(page) == 0}
					for i := range page {
						if page[i].ID > hi {
							page = page[:i]
							break
						}
					}
					r.entries = page
					select {
					case ch <- r:
					case <-ctx.Done():
						return
					}
					if r.end {
						return
					}
				}
			})
		}
		defer func() {
			cancel()
			for _, ch := range chans {
				for range ch { // let the fetchers finish
				}
			}
			wg.Wait()
			if parent.Err() != nil {
				*errp = parent.Err()
				return
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, context.Canceled) {
					*errp = err
					return
				}
			}
		}()
		for k := 0; ; k++ {
			r, ok := <-chans[k%fetchers]
			if !ok || r.end {
				return
			}
			if len(r.entries) > 0 && !yield(r.entries) {
				return
			}
		}
	}
}

// Usage converts a ledger entry for the rating engine.
func Usage(e *business.UsageEntry) billing.Usage {
	return billing.Usage{Key: e.Key, BusinessID: e.BusinessID, Event: billing.Event(e.Event), Category: billing.Category(e.Category),
		Country: e.Country, PricingType: e.PricingType, At: e.At}
}
