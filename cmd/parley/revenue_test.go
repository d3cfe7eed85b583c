package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/server"
)

// seedLedger writes a tiny usage ledger into a fresh SQLite store in a
// temporary data directory and returns the directory.
func seedLedger(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := server.OpenStore(ctx, server.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	oct := time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)
	nov := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	e := func(key string, biz int64, model string, ev billing.Event, cat, country, pt string, at time.Time) *billing.UsageEntry {
		return &billing.UsageEntry{Key: key, BusinessID: biz, NumberID: biz, Event: ev, Category: cat, Country: country, PricingType: pt,
			Model: model, Billable: pt == business.PricingRegular, MessageID: key, At: at}
	}
	// Business 1 is on per-message pricing, business 2 on conversation pricing.
	us := []*billing.UsageEntry{
		e("msg:a", 1, "PMP", billing.TemplateDelivered, "marketing", "BR", business.PricingRegular, nov),
		e("msg:b", 1, "PMP", billing.ServiceMessage, "service", "BR", business.PricingFreeCustomerService, nov),
		e("conv:c", 2, "CBP", billing.ConversationOpened, "utility", "IN", business.PricingRegular, nov),
		e("msg:c", 2, "CBP", billing.TemplateDelivered, "utility", "IN", business.PricingRegular, nov),
		e("msg:e", 2, "CBP", billing.TemplateDelivered, "marketing", "DE", business.PricingRegular, oct),
		e("msg:a", 1, "PMP", billing.TemplateDelivered, "marketing", "BR", business.PricingRegular, nov), // a retried delivery: not appended
		e("msg:f", 1, "PMP", billing.TemplateDelivered, "marketing", "GB", business.PricingRegular, dec), // outside the period
	}
	n, err := st.AppendUsage(ctx, us)
	if err != nil || n != 6 {
		t.Fatalf("append usage: %d, %v; want 6 appended", n, err)
	}
	return dir
}

func runRevenue(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"revenue"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestRevenueSimulate(t *testing.T) {
	dir := seedLedger(t)
	chart := filepath.Join(t.TempDir(), "sim.svg")
	out, err := runRevenue(t, "simulate", "--data", dir, "--from", "2026-10", "--to", "2026-11", "--model", "conversation", "--chart", chart)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// By hand, from the built-in cards (base per-message-2026-10):
	//   October: DE marketing template 0.1502 (0 under conversation: inside business 2's conversation)
	//   November: BR marketing 0.0688 + BR service at the utility rate 0.0088 + IN utility 0.0017
	//   conversation: business 1's marketing message counted as a BR marketing conversation 0.0625, its
	//   service one as a service conversation (0 since 2024-11), business 2's IN utility conversation 0.0014
	//   per-message-2025-07: 0.1502 + 0.0688 + 0.0017
	for _, re := range []string{
		`5 usage entries of 2 businesses`,
		`revenue\s+0\.2295\s+0\.0639\*\s+0\.2207`,
		`change vs base\s+0\.00\s+-0\.1656\s+-0\.0088`,
		`marketing\s+0\.219\s+0\.0625\s+0\.219`,
		`DE\s+0\.1502\s+0\.00\s+0\.1502`,
		`2026-10\s+0\.1502\s+0\.00\s+0\.1502`,
		`2026-11\s+0\.0793\s+0\.0639\s+0\.0705`,
		`conversation-2024 is an upper bound: 1 business`,
		`0 businesses pay more, 2 pay less, 0 the same`,
		`\n\s+2\s+0\.1519\s+0\.0014\s+-0\.1505\n\s+1\s+0\.0776\s+0\.0625\s+-0\.0151\n`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %q:\n%s", re, out)
		}
	}
	b, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
	}
	if !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("business 2: -0.1505")) {
		t.Errorf("chart lacks the svg element or the change of business 2:\n%s", b)
	}

	// JSON, per_message_2025_07 against an explicit base.
	out, err = runRevenue(t, "simulate", "--data", dir, "--from", "2026-11", "--model", "per_message_2025_07", "--base", "per_message_2026_10", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep struct {
		Entries int
		Models  []struct {
			Card   string
			Total  int64 `json:"total_micros"`
			Change int64 `json:"change_micros"`
		}
		Losers []struct {
			BusinessID int64 `json:"business_id"`
			Change     int64 `json:"change_micros"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Entries != 4 || len(rep.Models) != 3 || rep.Models[1].Card != "per-message-2025-07" || rep.Models[1].Total != 70500 || rep.Models[1].Change != -8800 {
		t.Errorf("json report: %+v", rep)
	}
	if len(rep.Losers) != 1 || rep.Losers[0].BusinessID != 1 || rep.Losers[0].Change != -8800 {
		t.Errorf("losers: %+v", rep.Losers)
	}
}

func TestRevenueSimulateBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2026-11", "--model", "flat"}, `unknown model "flat"`},
		{[]string{"--from", "2026-11", "--model", "conversation", "--base", "nope"}, `--base: unknown model "nope"`},
		{[]string{"--from", "2026-11", "--to", "2026-10", "--model", "conversation"}, "--to 2026-10 is before --from 2026-11"},
		{[]string{"--from", "2026-13", "--model", "conversation"}, `period "2026-13" is not YYYY-MM`},
		{[]string{"--from", "Nov", "--model", "conversation"}, `period "Nov" is not YYYY-MM`},
		{[]string{"--model", "conversation"}, "--from and --model are required"},
		{[]string{"--from", "2026-11", "--model", "conversation", "--chart", "x.pdf"}, "only .svg"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := runRevenue(t, append([]string{"simulate", "--data", dir}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q\n%s", err, tc.want, out)
			}
		})
	}
	if _, err := runRevenue(t, "forecast"); err == nil || !strings.Contains(err.Error(), `unknown command "forecast"`) {
		t.Errorf("revenue forecast: got %v", err)
	}
}
