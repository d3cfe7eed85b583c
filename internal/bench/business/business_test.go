package business

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"
)

// TestRunSmoke runs the business bench with 2 businesses and 10 customers
// for two short phases: every message must be accepted, and the report
// must have both rows.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("the business bench runs without -short")
	}
	var out, log bytes.Buffer
	cfg := Config{Businesses: 2, Customers: 10, Concurrency: 4, Duration: 500 * time.Millisecond, Templates: 0.3, Log: &log}
	if err := Run(context.Background(), cfg, &out); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, log.String())
	}
	for _, want := range []string{
		`parley bench business: 2 businesses, 10 customers, 30% templates, store sqlite`,
		`(?m)^maximum\s+[1-9]\d*\s+0\s`,
		`(?m)^paced \(half\)\s+[1-9]\d*\s+0\s`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("report does not match %q:\n%s", want, out.String())
		}
	}
}
