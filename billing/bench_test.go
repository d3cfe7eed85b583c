package billing

import (
	"fmt"
	"testing"
	"time"
)

// benchUsage makes n entries across 100 businesses and 10 markets.
func benchUsage(n int) []Usage {
	markets := []string{"BR", "IN", "GB", "DE", "MX", "FR", "US", "NG", "ID", "ZA"}
	cats := []Category{Marketing, Utility, Authentication, Service}
	out := make([]Usage, n)
	for i := range out {
		cat := cats[i%4]
		ev, pt := TemplateDelivered, TypeRegular
		if cat == Service {
			ev, pt = ServiceMessage, TypeFreeCustomerService
		}
		out[i] = Usage{Key: fmt.Sprintf("msg:%d", i), BusinessID: int64(i % 100), Event: ev, Category: cat,
			Country: markets[(i/7)%len(markets)], PricingType: pt, At: nov2026.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}

func BenchmarkRate(b *testing.B) {
	us := benchUsage(100_000)
	cat := BuiltinCatalog()
	for _, card := range []string{CardPerMessage25, CardPerMessage26, CardConversation} {
		b.Run(card, func(b *testing.B) {
			b.ReportAllocs()
			var r *Rater
			for i := range b.N {
				if i%len(us) == 0 {
					r = NewRater(cat, func(int64) string { return card }) // fresh months: no duplicates
				}
				if _, err := r.Rate(us[i%len(us)]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
