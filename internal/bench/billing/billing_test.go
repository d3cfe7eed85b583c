package billing

import (
	"context"
	"strings"
	"testing"
)

// TestMeasureSmoke runs the billing bench at 10,000 entries: the seeding,
// the three measured paths and the report (a few seconds).
func TestMeasureSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("the billing bench runs without -short")
	}
	o := Config{Entries: 10_000, Businesses: 100, Months: 3, Chunk: 4_000}
	res, err := Measure(context.Background(), o, t.TempDir(), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if res.RetryInserted != 0 || res.Duplicates != 100 || res.Invoices == 0 || res.Report.Entries != 10_000 || len(res.Report.Models) != 3 {
		t.Errorf("got %d retried keys inserted, %d duplicates, %d invoices, %d entries replayed, %d models; want 0, 100, >0, 10000, 3",
			res.RetryInserted, res.Duplicates, res.Invoices, res.Report.Entries, len(res.Report.Models))
	}
	var b strings.Builder
	WriteReport(&b, o, res, "0 0 0", "0 0 0")
	if !strings.Contains(b.String(), "rate in memory (engine alone)") {
		t.Errorf("report:\n%s", b.String())
	}
}
