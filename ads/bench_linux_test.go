package ads

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parleyhq/parley/wire"
)

// The benchmarks of docs/PERFORMANCE.md, "Ads":
//
//	go test ./ads -run '^$' -bench . -benchtime 20000x
//
// BenchmarkSelect runs a placement's selection (eligibility, pacing, the
// top-k and the auction) among 10,000 active campaigns and reports its
// p99. BenchmarkAggregate aggregates impression events into report cells:
// 1 million events by default, 10 million (a busy day) with
// PARLEY_ADS_BENCH_FULL=1.

var (
	benchCountries = []string{"US", "BR", "IN", "GB", "DE", "FR", "ES", "MX", "NG", "ID", "PK", "EG", "TR", "IT", "AR", "ZA", "KE", "PH", "VN", "JP"}
	benchLanguages = []string{"en", "pt", "hi", "de", "fr", "es", "id", "ar", "tr", "it"}
)

// benchService is a Service whose index holds n active campaigns with
// mixed targeting, as Refresh would build it.
func benchService(n int, now time.Time) *Service {
	r := rand.New(rand.NewPCG(1, 1))
	s, _ := New(Config{Enabled: true}, Deps{})
	var ls []*live
	for i := range n {
		t := wire.AdTargeting{Placements: []string{Placements[r.IntN(len(Placements))]}}
		if r.IntN(2) == 0 {
			t.Placements = append(t.Placements, PlacementUpdatesFeed)
		}
		for range r.IntN(4) {
			t.Countries = append(t.Countries, benchCountries[r.IntN(len(benchCountries))])
		}
		if r.IntN(3) == 0 {
			t.Languages = []string{benchLanguages[r.IntN(len(benchLanguages))]}
		}
		c := Campaign{ID: int64(i + 1), Advertiser: Advertiser{AdvertiserBusiness, int64(i%500 + 1)}, Objective: ObjectiveLink,
			Creatives: []wire.AdCreative{{Headline: "h", CTA: "open"}}, Targeting: t, BidKind: BidCPM, Bid: int64(500+r.IntN(5000)) * 1000,
			Daily: 50_000_000, Lifetime: 1_000_000_000, Status: StatusActive, Start: now.Add(-time.Hour)}
		if r.IntN(4) == 0 {
			c.BidKind, c.Bid = BidCPC, int64(50_000+r.IntN(500_000))
		}
		ls = append(ls, &live{c: c, daySpent: int64(r.IntN(10_000_000)), funded: true})
	}
	s.setLive(ls, DayOf(now))
	return s
}

func BenchmarkSelect(b *testing.B) {
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	s := benchService(10_000, now)
	cxs := []Context{{Placement: PlacementUpdatesFeed, Language: "en", Country: "US"}, {Placement: PlacementDirectory, Language: "pt", Country: "BR"},
		{Placement: PlacementUpdatesList, Country: "IN"}}
	// Wall time per selection, and the CPU time of the selecting thread
	// (CLOCK_THREAD_CPUTIME_ID): on a machine shared with other work the wall time's
	// tail is the scheduler's, the CPU time's is the selection's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	lat := make([]time.Duration, 0, b.N)
	cpu := make([]time.Duration, 0, b.N)
	won := 0
	var c0, c1 unix.Timespec
	b.ResetTimer()
	for i := range b.N {
		_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &c0)
		t0 := time.Now()
		won += len(s.selectAds(cxs[i%len(cxs)], now))
		lat = append(lat, time.Since(t0))
		_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &c1)
		cpu = append(cpu, time.Duration(c1.Nano()-c0.Nano()))
	}
	b.StopTimer()
	if won == 0 {
		b.Fatal("no ad selected")
	}
	slices.Sort(lat)
	slices.Sort(cpu)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds()), "cpu-p99-µs")
}

func BenchmarkAggregate(b *testing.B) {
	n := 1_000_000
	if os.Getenv("PARLEY_ADS_BENCH_FULL") != "" {
		n = 10_000_000
	}
	// A day of events: 2,000 campaigns, 3 creatives, 4 placements, 20
	// countries; people seen a few times each. The store gives a
	// campaign-day's events together (AdEvents), so they come by campaign.
	r := rand.New(rand.NewPCG(2, 2))
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{Campaign: int64(i*2000/n + 1), Day: 20429, Kind: KindImpression,
			Cell:   CellKey{Creative: r.IntN(3), Placement: Placements[r.IntN(4)], Country: benchCountries[r.IntN(20)]},
			Person: uint64(r.IntN(n / 3))}
	}
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for range b.N {
		days := Aggregate(slices.Values(evs))
		cells := 0
		for _, cs := range days {
			f, _ := Fold(cs, 50)
			cells += len(f)
		}
		if cells == 0 {
			b.Fatal("no cells")
		}
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(n), "events")
	b.ReportMetric(cpu.Seconds(), "cpu-s/op") // the process's CPU time: what a loaded machine's wall time hides
}
