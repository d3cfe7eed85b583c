package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	loadgen "github.com/parleyhq/parley/internal/bench"
	"github.com/parleyhq/parley/internal/server"
)

const benchBillingUsage = `usage: parley bench billing [flags]

The rating engine on a synthetic usage ledger, seeded by bulk insert into a
fresh store (SQLite in a temporary directory, or -postgres): -entries
entries of -businesses businesses in 50 markets over -months months from
September 2026 (templates of the three categories, service and entry point
messages, conversations of every tenth business, retried deliveries), rated
on generated cards that price every market. Reports:
  - seeding time;
  - rating throughput: the engine alone over the entries in memory, and
    read from the store + rate (target >= 500,000 entries/s);
  - the monthly invoice run of the last month: rate, then invoice lines
    per business (target < 30 s);
  - a simulator replay of the whole period under the three regimes
    (target < 60 s).
See docs/PERFORMANCE.md, section Billing.
`

// usageSeeder is what the billing bench needs of a store beyond
// parley.Store: both stores implement it (SeedUsage).
type usageSeeder interface {
	SeedUsage(ctx context.Context, first, n, businesses int, markets []string, start time.Time, step time.Duration) (int64, error)
	SeedBusinesses(ctx context.Context, n int) error
}

// billingBenchOptions are the flags of `parley bench billing`.
type billingBenchOptions struct {
	Entries, Businesses, Months, Chunk int
	Postgres, CPUProfile               string
	SkipInvoice                        bool
}

// billingBenchResult is what the bench measured.
type billingBenchResult struct {
	Seed, Retry, Read, Engine, ReadRate, Invoice, Simulate time.Duration
	StoreCharges                                           time.Duration
	Retried, RetryInserted, Duplicates                     int64
	Invoices, Lines                                        int
	InvoiceEntries                                         int64
	InvoiceTotal                                           int64
	Report                                                 billing.Report
}

func benchBilling(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench billing", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o billingBenchOptions
	fs.IntVar(&o.Entries, "entries", 10_000_000, "usage-ledger entries seeded")
	fs.IntVar(&o.Businesses, "businesses", 10_000, "businesses")
	fs.IntVar(&o.Months, "months", 3, "months of usage, from 2026-09")
	fs.IntVar(&o.Chunk, "chunk", 1_000_000, "entries per seeding transaction")
	fs.StringVar(&o.Postgres, "postgres", "", "PostgreSQL DSN (an empty database) instead of SQLite")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the rating phases to this file")
	fs.BoolVar(&o.SkipInvoice, "skip-invoice", false, "skip storing the last month's charges and the invoice run (the slowest phase)")
	fs.Usage = func() { fmt.Fprint(stderr, benchBillingUsage, "\nflags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Entries < 1 || o.Businesses < 1 || o.Months < 1 || o.Chunk < 1 {
		return fmt.Errorf("bench billing: -entries, -businesses, -months and -chunk must be positive")
	}
	dir, err := os.MkdirTemp("", "parley-bench-billing-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	loadStart := loadavg()
	res, err := runBillingBench(ctx, o, dir, func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) })
	if err != nil {
		return err
	}
	writeBillingBench(stdout, o, res, loadStart, loadavg())
	return nil
}

// runBillingBench seeds a store under dir and measures; logf gets progress.
func runBillingBench(ctx context.Context, o billingBenchOptions, dir string, logf func(string, ...any)) (billingBenchResult, error) {
	var res billingBenchResult
	st, err := server.OpenStore(ctx, server.Options{DataDir: dir, PostgresDSN: o.Postgres, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return res, err
	}
	defer st.Close()
	seeder, ok := st.(usageSeeder)
	if !ok {
		return res, fmt.Errorf("bench billing: the store cannot seed usage")
	}
	first := billing.Period(2026*12 + 8) // 2026-09
	last := first + billing.Period(o.Months-1)
	start := first.Start()
	step := last.End().Sub(start) / time.Duration(o.Entries)

	// Seed.
	t0 := time.Now()
	if err := seeder.SeedBusinesses(ctx, o.Businesses); err != nil {
		return res, err
	}
	for i := 0; i < o.Entries; i += o.Chunk {
		n := min(o.Chunk, o.Entries-i)
		if _, err := seeder.SeedUsage(ctx, i, n, o.Businesses, loadgen.Markets, start, step); err != nil {
			return res, err
		}
		logf("seeded %d of %d entries (%s)", i+n, o.Entries, time.Since(t0).Round(time.Millisecond))
	}
	res.Seed = time.Since(t0)
	// Retried deliveries: 1 % of the keys again; the ledger keeps one.
	res.Retried = int64(max(1, o.Entries/100))
	t0 = time.Now()
	ins, err := seeder.SeedUsage(ctx, o.Entries/3, int(res.Retried), o.Businesses, loadgen.Markets, start, step)
	if err != nil {
		return res, err
	}
	res.Retry, res.RetryInserted = time.Since(t0), ins

	cards, err := loadgen.BillingCards(loadgen.Markets)
	if err != nil {
		return res, err
	}
	cat, err := billing.NewCatalog(cards...)
	if err != nil {
		return res, err
	}
	cardOf := func(biz int64) string {
		if biz%10 == 0 { // the seeder's conversation-priced businesses
			return loadgen.BenchCardConversation
		}
		return loadgen.BenchCardPerMessage26
	}

	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
		defer pprof.StopCPUProfile()
	}

	// Read the whole ledger into memory.
	runtime.GC()
	t0 = time.Now()
	var readErr error
	in := newInterner()
	us := make([]billing.Usage, 0, o.Entries)
	for page := range ledgerPages(ctx, st, &readErr) {
		for i := range page {
			u := toBillingUsage(&page[i])
			u.Event, u.Category = billing.Event(in.of(string(u.Event))), billing.Category(in.of(string(u.Category)))
			u.Country, u.PricingType = in.of(u.Country), in.of(u.PricingType)
			us = append(us, u)
		}
	}
	if readErr != nil {
		return res, readErr
	}
	res.Read = time.Since(t0)
	logf("read %d entries in %s", len(us), res.Read.Round(time.Millisecond))
	if len(us) != o.Entries {
		return res, fmt.Errorf("bench billing: the ledger has %d entries, want %d", len(us), o.Entries)
	}

	// (a) The engine alone; every 100th entry is presented twice, as a
	// replayed event would be.
	runtime.GC()
	t0 = time.Now()
	r := billing.NewRater(cat, cardOf)
	var cur billing.Period
	for i, u := range us {
		if p := billing.PeriodOf(u.At); p > cur {
			r.Forget(p) // the ledger is in time order: earlier months are done
			cur = p
		}
		if _, err := r.Rate(u); err != nil {
			return res, err
		}
		if i%100 == 0 {
			c, err := r.Rate(u)
			if err != nil {
				return res, err
			}
			if c.Reason == billing.ReasonDuplicate {
				res.Duplicates++
			}
		}
	}
	res.Engine = time.Since(t0)
	logf("rated %d entries in memory in %s", len(us), res.Engine.Round(time.Millisecond))
	r, us = nil, nil
	runtime.GC()

	// (a) Read from the store and rate.
	t0 = time.Now()
	r = billing.NewRater(cat, cardOf)
	var n int64
	cur = 0
	for page := range ledgerPages(ctx, st, &readErr) {
		for i := range page {
			if p := billing.PeriodOf(page[i].At); p > cur {
				r.Forget(p)
				cur = p
			}
			if _, err := r.Rate(toBillingUsage(&page[i])); err != nil {
				return res, err
			}
			n++
		}
	}
	if readErr != nil {
		return res, readErr
	}
	res.ReadRate = time.Since(t0)
	logf("read and rated %d entries in %s", n, res.ReadRate.Round(time.Millisecond))
	r = nil
	runtime.GC()

	if !o.SkipInvoice {
		if err := func() error {
			// (b) The monthly invoice run of the last month, as the server runs
			// it: live rating has stored one charge per entry (written here in
			// batches through CommitBusiness, timed apart), then the run sums the
			// month's charges in the database (ChargeTotals), builds the invoices
			// and closes the period (RunInvoices' steps).
			t0 = time.Now()
			r = billing.NewRater(cat, cardOf)
			mStart, mEnd := last.Start(), last.End()
			batch := &business.Batch{}
			for page := range ledgerPages(ctx, st, &readErr) {
				for i := range page {
					e := &page[i]
					if e.At.Before(mStart) || !e.At.Before(mEnd) {
						continue
					}
					c, err := r.Rate(toBillingUsage(e))
					if err != nil {
						return err
					}
					res.InvoiceEntries++
					batch.Charges = append(batch.Charges, c)
					if len(batch.Charges) == 20000 {
						if err := st.CommitBusiness(ctx, batch); err != nil {
							return err
						}
						batch.Charges = batch.Charges[:0]
					}
				}
			}
			if readErr != nil {
				return readErr
			}
			if err := st.CommitBusiness(ctx, batch); err != nil {
				return err
			}
			res.StoreCharges = time.Since(t0)
			logf("rated and stored %d charges of %s in %s", res.InvoiceEntries, last, res.StoreCharges.Round(time.Millisecond))
			r, batch = nil, nil
			runtime.GC()
			t0 = time.Now()
			totals, err := st.ChargeTotals(ctx, 0, last, last)
			if err != nil {
				return err
			}
			invs, total := business.BuildInvoices(last, totals, time.Now())
			if err := st.CloseInvoicePeriod(ctx, last, invs, time.Now()); err != nil {
				return err
			}
			for _, in := range invs {
				res.Lines += len(in.Lines)
			}
			res.Invoices, res.InvoiceTotal = len(invs), total
			res.Invoice = time.Since(t0)
			logf("invoiced %d businesses (%d lines) in %s", res.Invoices, res.Lines, res.Invoice.Round(time.Millisecond))
			return nil
		}(); err != nil {
			return res, err
		}
	}

	// (c) The simulator: the whole period under the three regimes.
	t0 = time.Now()
	usage, perMessage := ledgerUsage(ctx, st, first, last, &readErr)
	res.Report, err = billing.BuildReport(cat, usage, billing.ReportOptions{
		Base: loadgen.BenchCardPerMessage26, Alt: loadgen.BenchCardConversation, Others: []string{loadgen.BenchCardPerMessage25},
		From: first, To: last, Synthesize: perMessage,
	})
	if readErr != nil {
		return res, readErr
	}
	if err != nil {
		return res, err
	}
	res.Simulate = time.Since(t0)
	logf("simulated %d entries under %d cards in %s", res.Report.Entries, len(res.Report.Models), res.Simulate.Round(time.Millisecond))
	return res, nil
}

func writeBillingBench(w io.Writer, o billingBenchOptions, r billingBenchResult, loadStart, loadEnd string) {
	store := "sqlite"
	if o.Postgres != "" {
		store = "postgres"
	}
	per := func(n int64, d time.Duration) string { return fmt.Sprintf("%.0f entries/s", float64(n)/d.Seconds()) }
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	e := int64(o.Entries)
	fmt.Fprintf(w, "parley bench billing (%s, %d entries, %d businesses, %d markets, %d months from 2026-09)\n", store, o.Entries, o.Businesses, len(loadgen.Markets), o.Months)
	fmt.Fprintf(w, "machine: %d CPUs (GOMAXPROCS %d), %s; load average %s at start, %s at end\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), loadStart, loadEnd)
	fmt.Fprintf(w, "seed %d entries (bulk insert)        %10s  %s\n", e, r.Seed.Round(time.Millisecond), per(e, r.Seed))
	fmt.Fprintf(w, "retry %d delivered keys              %10s  %d inserted (want 0)\n", r.Retried, r.Retry.Round(time.Millisecond), r.RetryInserted)
	fmt.Fprintf(w, "read the ledger (baseline)           %10s  %s\n", r.Read.Round(time.Millisecond), per(e, r.Read))
	fmt.Fprintf(w, "rate in memory (engine alone)        %10s  %s (+%d duplicates)  target >= 500000: %s\n",
		r.Engine.Round(time.Millisecond), per(e, r.Engine), r.Duplicates, met(float64(e)/r.Engine.Seconds() >= 500_000))
	fmt.Fprintf(w, "read from the store + rate           %10s  %s  target >= 500000: %s\n",
		r.ReadRate.Round(time.Millisecond), per(e, r.ReadRate), met(float64(e)/r.ReadRate.Seconds() >= 500_000))
	if o.SkipInvoice {
		fmt.Fprintf(w, "rate + store the month's charges, monthly invoice run: skipped (-skip-invoice)\n")
	} else {
		fmt.Fprintf(w, "rate + store the month's charges      %10s  %s (what live rating writes over the month)\n",
			r.StoreCharges.Round(time.Millisecond), per(r.InvoiceEntries, r.StoreCharges))
		fmt.Fprintf(w, "monthly invoice run (%s)          %10s  %d charges, %d invoices, %d lines, USD %s  target < 30s: %s\n",
			r.Report.To, r.Invoice.Round(time.Millisecond), r.InvoiceEntries, r.Invoices, r.Lines, billing.FormatMicros(r.InvoiceTotal), met(r.Invoice < 30*time.Second))
	}
	fmt.Fprintf(w, "simulator replay, %d cards            %10s  %d entries  target < 60s: %s\n",
		len(r.Report.Models), r.Simulate.Round(time.Millisecond), r.Report.Entries, met(r.Simulate < 60*time.Second))
	for _, m := range r.Report.Models {
		ub := ""
		if m.UpperBound {
			ub = fmt.Sprintf(" (upper bound: %d businesses synthesized)", m.Synthesized)
		}
		fmt.Fprintf(w, "  %-28s USD %s%s\n", m.Card, billing.FormatMicros(m.Total), ub)
	}
}

// interner keeps one copy of each of the ledger's few distinct strings
// (events, categories, countries, pricing types) for the entries held in
// memory.
type interner map[string]string

func newInterner() interner { return interner{} }

func (in interner) of(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}
