package billing

import (
	"context"
	"errors"
	"iter"
	"sync"
	"time"
)

// UsageEntry is one immutable row of the usage ledger, the rating
// engine's input as the store keeps it. Key is the idempotency key: a
// retried delivery never counts twice. The business context writes the
// entries of business messaging (it knows the messages and
// conversations); the people-side models mirror their money events.
type UsageEntry struct {
	ID          int64
	Key         string
	BusinessID  int64
	NumberID    int64
	Event       Event
	Category    string // marketing | utility | authentication | service
	Country     string // the recipient's ISO region, e.g. BR
	PricingType string // regular | free_customer_service | free_entry_point, as Pricing decided it
	InWindow    bool   // sent inside the customer service window (see Usage)
	Model       string // PMP | CBP
	Billable    bool   // as Pricing decided it
	MessageID   string
	At          time.Time

	// A money event of the channels or of the people-side models, mirrored
	// from the money ledger (Store.AppendLedger): Event is the money
	// ledger's kind (subscription_charge, operator_share, promotion_charge,
	// promotion_settled, premium_charge, donation, ...), BusinessID 0, and
	// the amount is in minor units. Key is "ledger:" + the money key.
	AmountMinor int64
	Currency    string
	ChannelID   int64
	Ref         string
}

// Messaging reports whether the event is one of business messaging's,
// which the rating engine prices; money events carry their own amount.
func (e Event) Messaging() bool {
	switch e {
	case TemplateDelivered, ServiceMessage, EntryPointMessage, ConversationOpened:
		return true
	}
	return false
}

// Usage converts a ledger entry for the rating engine.
func (e *UsageEntry) Usage() Usage {
	return Usage{Key: e.Key, BusinessID: e.BusinessID, Event: e.Event, Category: Category(e.Category),
		Country: e.Country, PricingType: e.PricingType, InWindow: e.InWindow, At: e.At}
}

// LedgerStore is the append-only usage ledger.
type LedgerStore interface {
	// AppendUsage inserts the entries whose Key is new, sets their IDs,
	// and returns how many were inserted. Entries are never changed.
	AppendUsage(ctx context.Context, us []*UsageEntry) (int, error)
	// UsageReader is the ledger's read.
	UsageReader
}

// UsageReader reads the usage ledger.
type UsageReader interface {
	// ListUsage returns the business's entries (all when businessID is
	// 0) with id > after, ascending, at most limit.
	ListUsage(ctx context.Context, businessID, after int64, limit int) ([]UsageEntry, error)
}

// usagePage is how many ledger entries a read of the usage stream asks
// for.
const usagePage = 10_000

// LedgerUsage streams the whole usage ledger in ledger order (by id),
// keeping the entries whose At falls in the months from to to, converted
// for the rating engine. A read error ends the stream and is stored in
// *errp. perMessage reports, for the entry being yielded, whether its
// business was on per-message pricing when it was recorded (its ledger
// then has no conversation events): the Synthesize rule of
// ReportOptions. `parley revenue simulate` and `parley bench billing`
// read the ledger through it.
func LedgerUsage(ctx context.Context, st UsageReader, from, to Period, errp *error) (usage iter.Seq[Usage], perMessage func(int64) bool) {
	start, end := from.Start(), to.End()
	cbp := false
	usage = func(yield func(Usage) bool) {
		for page := range LedgerPages(ctx, st, errp) {
			for i := range page {
				e := &page[i]
				if e.At.Before(start) || !e.At.Before(end) {
					continue
				}
				cbp = e.Model == "CBP"
				if !yield(e.Usage()) {
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
func LedgerPages(ctx context.Context, st UsageReader, errp *error) iter.Seq[[]UsageEntry] {
	return func(yield func([]UsageEntry) bool) {
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
			entries []UsageEntry
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
