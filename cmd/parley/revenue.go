package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/server"
)

const revenueUsage = `usage: parley revenue simulate --from YYYY-MM --to YYYY-MM --model MODEL [flags]

Replays the real metered usage of the months --from to --to (inclusive),
read from the store's usage ledger, under another pricing model, and
compares it with the base: revenue per model (the base, the alternative,
and the three built-in regimes side by side), by category, by market, by
month, and the businesses that would pay most more and most less.

MODEL is a regime (conversation, per_message_2025_07, per_message_2026_10:
its built-in card) or a card name of the catalog. Each card applies to the
whole period, its first version also before it took effect.

Businesses on per-message pricing have no conversation events in the
ledger; under a conversation card each of their messages (outside a free
entry point) is counted as opening a conversation, and the output says
that the figure is an upper bound. See docs/BILLING.md.
`

// revenue runs `parley revenue ...`.
func revenue(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, revenueUsage)
		if len(args) == 0 {
			return errors.New("revenue: name a command (simulate)")
		}
		return nil
	}
	if args[0] != "simulate" {
		return fmt.Errorf("revenue: unknown command %q (want simulate)", args[0])
	}
	return revenueSimulate(ctx, args[1:], getenv, stdout, stderr)
}

func revenueSimulate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("revenue simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o server.Options
	serverFlags(fs, getenv, &o)
	from := fs.String("from", "", "first month replayed, YYYY-MM (required)")
	to := fs.String("to", "", "last month replayed, YYYY-MM, inclusive; --from when empty")
	model := fs.String("model", "", "the alternative: conversation, per_message_2025_07, per_message_2026_10 or a card name (required)")
	base := fs.String("base", billing.CardPerMessage26, "the card the alternative is compared with: a regime or a card name")
	chart := fs.String("chart", "", "also write an SVG chart to this file (.svg)")
	top := fs.Int("top", 10, "businesses listed paying more, and paying less")
	asJSON := fs.Bool("json", false, "print the report as JSON instead of text")
	fs.Usage = func() { fmt.Fprint(stderr, revenueUsage, "\nflags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("revenue simulate: unexpected argument %q", fs.Arg(0))
	}
	if *from == "" || *model == "" {
		return errors.New("revenue simulate: --from and --model are required")
	}
	if *to == "" {
		*to = *from
	}
	pFrom, err := billing.ParsePeriod(*from)
	if err != nil {
		return fmt.Errorf("revenue simulate: --from: %w", err)
	}
	pTo, err := billing.ParsePeriod(*to)
	if err != nil {
		return fmt.Errorf("revenue simulate: --to: %w", err)
	}
	if pTo < pFrom {
		return fmt.Errorf("revenue simulate: --to %s is before --from %s", pTo, pFrom)
	}
	if *chart != "" && !strings.EqualFold(filepath.Ext(*chart), ".svg") {
		return fmt.Errorf("revenue simulate: --chart %q: only .svg charts are written", *chart)
	}
	cat := billing.BuiltinCatalog()
	alt, err := billing.ModelCard(cat, *model)
	if err != nil {
		return fmt.Errorf("revenue simulate: --model: %w", err)
	}
	baseCard, err := billing.ModelCard(cat, *base)
	if err != nil {
		return fmt.Errorf("revenue simulate: --base: %w", err)
	}

	st, err := server.OpenStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	var streamErr error
	usage, perMessage := ledgerUsage(ctx, st, pFrom, pTo, &streamErr)
	rep, err := billing.BuildReport(cat, usage, billing.ReportOptions{
		Base: baseCard, Alt: alt, Others: []string{billing.CardPerMessage26, billing.CardPerMessage25, billing.CardConversation},
		From: pFrom, To: pTo, Top: *top, Synthesize: perMessage,
	})
	if streamErr != nil {
		return fmt.Errorf("revenue simulate: read the usage ledger: %w", streamErr)
	}
	if err != nil {
		return fmt.Errorf("revenue simulate: %w", err)
	}
	if *chart != "" {
		f, err := os.Create(*chart)
		if err != nil {
			return fmt.Errorf("revenue simulate: %w", err)
		}
		if err := billing.WriteSVG(f, rep); err != nil {
			f.Close()
			return fmt.Errorf("revenue simulate: write chart: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("revenue simulate: write chart: %w", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(stdout)
}

// usagePage is how many ledger entries a read of the usage stream asks
// for.
const usagePage = 10_000

// ledgerUsage streams the whole usage ledger in ledger order (by id),
// keeping the entries whose At falls in the months from to to, converted
// for the rating engine. A read error ends the stream and is stored in
// *errp. perMessage reports, for the entry being yielded, whether its
// business was on per-message pricing when it was recorded (its ledger
// then has no conversation events): the Synthesize rule of
// billing.ReportOptions.
func ledgerUsage(ctx context.Context, st business.LedgerStore, from, to billing.Period, errp *error) (usage iter.Seq[billing.Usage], perMessage func(int64) bool) {
	start, end := from.Start(), to.End()
	cbp := false
	usage = func(yield func(billing.Usage) bool) {
		for page := range ledgerPages(ctx, st, errp) {
			for i := range page {
				e := &page[i]
				if e.At.Before(start) || !e.At.Before(end) {
					continue
				}
				cbp = e.Model == "CBP"
				if !yield(toBillingUsage(e)) {
					return
				}
			}
		}
	}
	return usage, func(int64) bool { return !cbp }
}

// ledgerPages reads the whole usage ledger by id in pages of usagePage
// entries. A goroutine reads the next pages while the caller works on
// this one (two cores: reading and rating overlap); it stops when the
// loop ends. A read error ends the pages and is stored in *errp.
func ledgerPages(ctx context.Context, st business.LedgerStore, errp *error) iter.Seq[[]business.UsageEntry] {
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

// toBillingUsage converts a ledger entry for the rating engine.
func toBillingUsage(e *business.UsageEntry) billing.Usage {
	return billing.Usage{Key: e.Key, BusinessID: e.BusinessID, Event: billing.Event(e.Event), Category: billing.Category(e.Category),
		Country: e.Country, PricingType: e.PricingType, At: e.At}
}
