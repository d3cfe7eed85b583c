// Package billing is the load generator behind `parley bench billing`: it
// seeds a synthetic usage ledger into a fresh store by bulk insert and
// measures the rating engine (in memory, and read from the store), the
// monthly invoice run and the simulator replay (docs/PERFORMANCE.md,
// section Billing). It also holds the ledger reader that `parley revenue
// simulate` shares.
//
// It talks to the store directly (internal/server.OpenStore), and imports
// the domain package, the rating engine (internal/billing) and the cards
// and markets of internal/bench.
package billing

import (
	"context"
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
	"github.com/parleyhq/parley/internal/bench/procstat"
	"github.com/parleyhq/parley/internal/server"
)

// usageSeeder is what the billing bench needs of a store beyond
// chat.Store: both stores implement it (SeedUsage).
type usageSeeder interface {
	SeedUsage(ctx context.Context, first, n, businesses int, markets []string, start time.Time, step time.Duration) (int64, error)
	SeedBusinesses(ctx context.Context, n int) error
}

// Config is the run of `parley bench billing`; its fields are the flags.
type Config struct {
	Entries, Businesses, Months, Chunk int
	Postgres, CPUProfile               string
	SkipInvoice                        bool
	// Log gets the progress lines; nil discards them.
	Log io.Writer
}

// Result is what the bench measured.
type Result struct {
	Seed, Retry, Read, Engine, ReadRate, Invoice, Simulate time.Duration
	StoreCharges                                           time.Duration
	Retried, RetryInserted, Duplicates                     int64
	Invoices, Lines                                        int
	InvoiceEntries                                         int64
	InvoiceTotal                                           int64
	Report                                                 billing.Report
}

// Run seeds a store in a temporary directory (or cfg.Postgres), measures
// and writes the report to out.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.Entries < 1 || cfg.Businesses < 1 || cfg.Months < 1 || cfg.Chunk < 1 {
		return fmt.Errorf("bench billing: -entries, -businesses, -months and -chunk must be positive")
	}
	dir, err := os.MkdirTemp("", "parley-bench-billing-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	loadStart := procstat.LoadAvg()
	res, err := Measure(ctx, cfg, dir, func(format string, a ...any) { fmt.Fprintf(log, format+"\n", a...) })
	if err != nil {
		return err
	}
	WriteReport(out, cfg, res, loadStart, procstat.LoadAvg())
	return nil
}

// measurement is one run of Measure: the store, the period and the
// catalog its steps share.
type measurement struct {
	cfg         Config
	st          server.Store
	first, last billing.Period
	cat         *billing.Catalog
	logf        func(string, ...any)
	res         Result
}

// cardOf is the bench's pricing: every tenth business (the seeder's
// conversation-priced ones) on the conversation card, the rest per message.
func cardOf(biz int64) string {
	if biz%10 == 0 {
		return loadgen.BenchCardConversation
	}
	return loadgen.BenchCardPerMessage26
}

// Measure seeds a store under dir and measures; logf gets progress.
func Measure(ctx context.Context, cfg Config, dir string, logf func(string, ...any)) (Result, error) {
	st, err := server.OpenStore(ctx, server.Options{DataDir: dir, PostgresDSN: cfg.Postgres, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return Result{}, err
	}
	defer st.Close()
	first := billing.Period(2026*12 + 8) // 2026-09
	m := &measurement{cfg: cfg, st: st, first: first, last: first + billing.Period(cfg.Months-1), logf: logf}
	if err := m.seed(ctx); err != nil {
		return m.res, err
	}
	cards, err := loadgen.BillingCards(loadgen.Markets)
	if err != nil {
		return m.res, err
	}
	if m.cat, err = billing.NewCatalog(cards...); err != nil {
		return m.res, err
	}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return m.res, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return m.res, err
		}
		defer pprof.StopCPUProfile()
	}
	us, err := m.readLedger(ctx)
	if err != nil {
		return m.res, err
	}
	if err := m.rateInMemory(us); err != nil {
		return m.res, err
	}
	us = nil
	runtime.GC()
	if err := m.readAndRate(ctx); err != nil {
		return m.res, err
	}
	if !cfg.SkipInvoice {
		if err := m.invoiceRun(ctx); err != nil {
			return m.res, err
		}
	}
	if err := m.simulate(ctx); err != nil {
		return m.res, err
	}
	return m.res, nil
}

// seed bulk-inserts the businesses and the ledger, then presents 1 % of
// the keys again, as retried deliveries: the ledger keeps one of each.
func (m *measurement) seed(ctx context.Context) error {
	seeder, ok := m.st.(usageSeeder)
	if !ok {
		return fmt.Errorf("bench billing: the store cannot seed usage")
	}
	o := m.cfg
	start := m.first.Start()
	step := m.last.End().Sub(start) / time.Duration(o.Entries)
	t0 := time.Now()
	if err := seeder.SeedBusinesses(ctx, o.Businesses); err != nil {
		return err
	}
	for i := 0; i < o.Entries; i += o.Chunk {
		n := min(o.Chunk, o.Entries-i)
		if _, err := seeder.SeedUsage(ctx, i, n, o.Businesses, loadgen.Markets, start, step); err != nil {
			return err
		}
		m.logf("seeded %d of %d entries (%s)", i+n, o.Entries, time.Since(t0).Round(time.Millisecond))
	}
	m.res.Seed = time.Since(t0)
	m.res.Retried = int64(max(1, o.Entries/100))
	t0 = time.Now()
	ins, err := seeder.SeedUsage(ctx, o.Entries/3, int(m.res.Retried), o.Businesses, loadgen.Markets, start, step)
	if err != nil {
		return err
	}
	m.res.Retry, m.res.RetryInserted = time.Since(t0), ins
	return nil
}

// readLedger reads the whole ledger into memory: the baseline of the
// rating phases.
func (m *measurement) readLedger(ctx context.Context) ([]billing.Usage, error) {
	runtime.GC()
	t0 := time.Now()
	var readErr error
	in := newInterner()
	us := make([]billing.Usage, 0, m.cfg.Entries)
	for page := range billing.LedgerPages(ctx, m.st, &readErr) {
		for i := range page {
			u := page[i].Usage()
			u.Event, u.Category = billing.Event(in.of(string(u.Event))), billing.Category(in.of(string(u.Category)))
			u.Country, u.PricingType = in.of(u.Country), in.of(u.PricingType)
			us = append(us, u)
		}
	}
	if readErr != nil {
		return nil, readErr
	}
	m.res.Read = time.Since(t0)
	m.logf("read %d entries in %s", len(us), m.res.Read.Round(time.Millisecond))
	if len(us) != m.cfg.Entries {
		return nil, fmt.Errorf("bench billing: the ledger has %d entries, want %d", len(us), m.cfg.Entries)
	}
	return us, nil
}

// rateInMemory times the engine alone over us; every 100th entry is
// presented twice, as a replayed event would be.
func (m *measurement) rateInMemory(us []billing.Usage) error {
	runtime.GC()
	t0 := time.Now()
	r := billing.NewRater(m.cat, cardOf)
	var cur billing.Period
	for i, u := range us {
		if p := billing.PeriodOf(u.At); p > cur {
			r.Forget(p) // the ledger is in time order: earlier months are done
			cur = p
		}
		if _, err := r.Rate(u); err != nil {
			return err
		}
		if i%100 == 0 {
			c, err := r.Rate(u)
			if err != nil {
				return err
			}
			if c.Reason == billing.ReasonDuplicate {
				m.res.Duplicates++
			}
		}
	}
	m.res.Engine = time.Since(t0)
	m.logf("rated %d entries in memory in %s", len(us), m.res.Engine.Round(time.Millisecond))
	return nil
}

// readAndRate times reading the ledger from the store and rating it.
func (m *measurement) readAndRate(ctx context.Context) error {
	t0 := time.Now()
	r := billing.NewRater(m.cat, cardOf)
	var n int64
	var cur billing.Period
	var readErr error
	for page := range billing.LedgerPages(ctx, m.st, &readErr) {
		for i := range page {
			if p := billing.PeriodOf(page[i].At); p > cur {
				r.Forget(p)
				cur = p
			}
			if _, err := r.Rate(page[i].Usage()); err != nil {
				return err
			}
			n++
		}
	}
	if readErr != nil {
		return readErr
	}
	m.res.ReadRate = time.Since(t0)
	m.logf("read and rated %d entries in %s", n, m.res.ReadRate.Round(time.Millisecond))
	r = nil
	runtime.GC()
	return nil
}

// invoiceRun times the monthly invoice run of the last month, as the
// server runs it: live rating has stored one charge per entry (written
// here in batches through CommitBusiness, timed apart), then the run sums
// the month's charges in the database (ChargeTotals), builds the invoices
// and closes the period (RunInvoices' steps).
func (m *measurement) invoiceRun(ctx context.Context) error {
	t0 := time.Now()
	r := billing.NewRater(m.cat, cardOf)
	last := m.last
	mStart, mEnd := last.Start(), last.End()
	batch := &business.Batch{}
	var readErr error
	for page := range billing.LedgerPages(ctx, m.st, &readErr) {
		for i := range page {
			e := &page[i]
			if e.At.Before(mStart) || !e.At.Before(mEnd) {
				continue
			}
			c, err := r.Rate(e.Usage())
			if err != nil {
				return err
			}
			m.res.InvoiceEntries++
			batch.Charges = append(batch.Charges, c)
			if len(batch.Charges) == 20000 {
				if err := m.st.CommitBusiness(ctx, batch); err != nil {
					return err
				}
				batch.Charges = batch.Charges[:0]
			}
		}
	}
	if readErr != nil {
		return readErr
	}
	if err := m.st.CommitBusiness(ctx, batch); err != nil {
		return err
	}
	m.res.StoreCharges = time.Since(t0)
	m.logf("rated and stored %d charges of %s in %s", m.res.InvoiceEntries, last, m.res.StoreCharges.Round(time.Millisecond))
	r, batch = nil, nil
	runtime.GC()
	t0 = time.Now()
	totals, err := m.st.ChargeTotals(ctx, 0, last, last)
	if err != nil {
		return err
	}
	invs, total := billing.BuildInvoices(last, totals, time.Now())
	if err := m.st.CloseInvoicePeriod(ctx, last, invs, time.Now()); err != nil {
		return err
	}
	for _, in := range invs {
		m.res.Lines += len(in.Lines)
	}
	m.res.Invoices, m.res.InvoiceTotal = len(invs), total
	m.res.Invoice = time.Since(t0)
	m.logf("invoiced %d businesses (%d lines) in %s", m.res.Invoices, m.res.Lines, m.res.Invoice.Round(time.Millisecond))
	return nil
}

// simulate times the simulator over the whole period under the three
// regimes.
func (m *measurement) simulate(ctx context.Context) error {
	t0 := time.Now()
	var readErr error
	usage, perMessage := billing.LedgerUsage(ctx, m.st, m.first, m.last, &readErr)
	rep, err := billing.BuildReport(m.cat, usage, billing.ReportOptions{
		Base: loadgen.BenchCardPerMessage26, Alt: loadgen.BenchCardConversation, Others: []string{loadgen.BenchCardPerMessage25},
		From: m.first, To: m.last, Synthesize: perMessage,
	})
	m.res.Report = rep
	if readErr != nil {
		return readErr
	}
	if err != nil {
		return err
	}
	m.res.Simulate = time.Since(t0)
	m.logf("simulated %d entries under %d cards in %s", rep.Entries, len(rep.Models), m.res.Simulate.Round(time.Millisecond))
	return nil
}

// WriteReport writes the report of `parley bench billing`; loadStart and
// loadEnd are the load averages at the start and at the end.
func WriteReport(w io.Writer, o Config, r Result, loadStart, loadEnd string) {
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
