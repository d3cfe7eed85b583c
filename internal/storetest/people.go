package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/channel"
	"github.com/parleyhq/parley/money"
	"github.com/parleyhq/parley/revenue"
	"github.com/parleyhq/parley/wire"
)

// runPeople runs the conformance tests of PeopleStore.
func runPeople(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"CountPeople", testCountPeople},
		{"Recurring", testRecurring},
		{"PinChats", testPinChats},
		{"PinChatsConcurrent", testPinChatsConcurrent},
		{"OperatingCosts", testOperatingCosts},
		{"LedgerRange", testLedgerRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each on its own database
			tt.fn(t, open(t))
		})
	}
}

func testCountPeople(t *testing.T, s Store) {
	ctx := context.Background()
	n, err := s.CountPeople(ctx)
	ok(t, "count people", err)
	if n != 0 {
		t.Fatalf("empty store: got %d people, want 0", n)
	}
	newAccount(t, s, "+14155550101")
	newAccount(t, s, "+14155550102")
	n, err = s.CountPeople(ctx)
	ok(t, "count people", err)
	if n != 2 {
		t.Fatalf("got %d people, want 2", n)
	}
}

func testRecurring(t *testing.T, s Store) {
	ctx := context.Background()
	a := newAccount(t, s, "+14155550101")
	b := newAccount(t, s, "+14155550102")
	_, err := s.GetRecurring(ctx, a.ID, revenue.RecurringPremium)
	wantCode(t, "get missing", err, parley.ENotFound)
	prem := revenue.Recurring{AccountID: a.ID, Kind: revenue.RecurringPremium, Plan: "month", PriceMinor: 499, Currency: "USD",
		Method: "card", Status: channel.SubActive, Period: 1, PeriodEnd: at(30 * 24 * time.Hour), CreatedAt: t0}
	ok(t, "put premium", s.PutRecurring(ctx, &prem))
	don := revenue.Recurring{AccountID: a.ID, Kind: revenue.RecurringDonation, Plan: "month", PriceMinor: 1000, Currency: "USD",
		Method: "card", Status: channel.SubActive, Period: 1, PeriodEnd: at(10 * 24 * time.Hour), CreatedAt: t0}
	ok(t, "put donation", s.PutRecurring(ctx, &don))
	other := revenue.Recurring{AccountID: b.ID, Kind: revenue.RecurringPremium, Plan: "year", PriceMinor: 4999, Currency: "USD",
		Status: channel.SubLapsed, Period: 1, PeriodEnd: at(time.Hour), CreatedAt: t0}
	ok(t, "put other", s.PutRecurring(ctx, &other))
	if prem.ID == 0 || prem.ID == don.ID {
		t.Fatalf("ids: got %d and %d, want distinct non-zero", prem.ID, don.ID)
	}
	got, err := s.GetRecurring(ctx, a.ID, revenue.RecurringPremium)
	ok(t, "get premium", err)
	wantDiff(t, "premium", got, prem)

	// Replacing keeps the id and changes the period.
	next := prem
	next.Period, next.PeriodEnd, next.CancelAtEnd = 2, at(60*24*time.Hour), true
	ok(t, "replace premium", s.PutRecurring(ctx, &next))
	if next.ID != prem.ID {
		t.Errorf("replace: got id %d, want %d", next.ID, prem.ID)
	}
	got, err = s.GetRecurring(ctx, a.ID, revenue.RecurringPremium)
	ok(t, "get premium", err)
	wantDiff(t, "replaced premium", got, next)

	// Due: active ones whose period ended, by period end.
	due, err := s.DueRecurring(ctx, at(365*24*time.Hour), 10)
	ok(t, "due", err)
	if len(due) != 2 || due[0].ID != don.ID || due[1].ID != prem.ID {
		t.Fatalf("due: got %+v, want the donation then the premium (the lapsed one is not due)", due)
	}
	due, err = s.DueRecurring(ctx, at(20*24*time.Hour), 10)
	ok(t, "due", err)
	if len(due) != 1 || due[0].ID != don.ID {
		t.Fatalf("due at day 20: got %+v, want the donation", due)
	}
	due, err = s.DueRecurring(ctx, at(365*24*time.Hour), 1)
	ok(t, "due limit", err)
	if len(due) != 1 {
		t.Fatalf("due limit 1: got %d", len(due))
	}
}

func testPinChats(t *testing.T, s Store) {
	ctx := context.Background()
	a := newAccount(t, s, "+14155550101")
	ids, err := s.PinnedChats(ctx, a.ID)
	ok(t, "pinned", err)
	if len(ids) != 0 {
		t.Fatalf("no pins: got %v", ids)
	}
	ok(t, "pin 10", s.PinChat(ctx, a.ID, 10, at(0), 2))
	ok(t, "pin 20", s.PinChat(ctx, a.ID, 20, at(time.Second), 2))
	ok(t, "pin 20 again", s.PinChat(ctx, a.ID, 20, at(2*time.Second), 2))
	wantCode(t, "pin over limit", s.PinChat(ctx, a.ID, 30, at(3*time.Second), 2), parley.ELimit)
	ids, err = s.PinnedChats(ctx, a.ID)
	ok(t, "pinned", err)
	wantDiff(t, "pinned", ids, []int64{20, 10})
	// A lower limit keeps the pins but takes no new ones.
	wantCode(t, "pin under a lower limit", s.PinChat(ctx, a.ID, 30, at(3*time.Second), 1), parley.ELimit)
	ok(t, "unpin", s.UnpinChat(ctx, a.ID, 10))
	wantCode(t, "unpin twice", s.UnpinChat(ctx, a.ID, 10), parley.ENotFound)
	ok(t, "pin 30", s.PinChat(ctx, a.ID, 30, at(4*time.Second), 2))
	ids, err = s.PinnedChats(ctx, a.ID)
	ok(t, "pinned", err)
	wantDiff(t, "pinned", ids, []int64{30, 20})
}

func testPinChatsConcurrent(t *testing.T, s Store) {
	ctx := context.Background()
	a := newAccount(t, s, "+14155550101")
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.PinChat(ctx, a.ID, int64(100+i), at(time.Duration(i)*time.Second), 5)
			if err != nil && parley.ErrorCode(err) != parley.ELimit {
				t.Errorf("pin: %v", err)
			}
		}()
	}
	wg.Wait()
	ids, err := s.PinnedChats(ctx, a.ID)
	ok(t, "pinned", err)
	if len(ids) != 5 {
		t.Fatalf("got %d pins after concurrent pinning, want the limit 5", len(ids))
	}
}

func testOperatingCosts(t *testing.T, s Store) {
	ctx := context.Background()
	costs := []wire.OperatingCost{
		{Month: "2026-02", Category: "infrastructure", Description: "servers", Minor: 120000, Currency: "USD", CreatedAt: t0},
		{Month: "2026-03", Category: "infrastructure", Description: "servers", Minor: 125000, Currency: "USD", CreatedAt: t0},
		{Month: "2026-03", Category: "staff", Minor: 900000, Currency: "USD", CreatedAt: t0},
		{Month: "2026-05", Category: "staff", Minor: 1, Currency: "USD", CreatedAt: t0},
	}
	for i := range costs {
		ok(t, "add cost", s.AddOperatingCost(ctx, &costs[i]))
	}
	got, err := s.OperatingCosts(ctx, "2026-03", "2026-04")
	ok(t, "costs", err)
	wantDiff(t, "costs of March and April", got, costs[1:3])
}

func testLedgerRange(t *testing.T, s Store) {
	ctx := context.Background()
	es := []*money.LedgerEntry{
		{Key: "a", ChannelID: 0, Kind: "donation", Minor: 500, Currency: "USD", Ref: "account:1", At: at(0)},
		{Key: "b", ChannelID: 7, Kind: "subscription_charge", Minor: 499, Currency: "USD", At: at(time.Hour)},
		{Key: "c", ChannelID: 7, Kind: "operator_share", Minor: 150, Currency: "USD", At: at(time.Hour)},
		{Key: "d", ChannelID: 0, Kind: "donation", Minor: 700, Currency: "USD", At: at(48 * time.Hour)},
	}
	_, err := s.AppendLedger(ctx, es)
	ok(t, "append", err)
	keys := func(es []money.LedgerEntry) []string {
		out := []string{}
		for _, e := range es {
			out = append(out, e.Key)
		}
		return out
	}
	tests := []struct {
		name     string
		channel  int64
		kind     string
		from, to time.Time
		want     []string
	}{
		{"all", 0, "", at(0), at(72 * time.Hour), []string{"a", "b", "c", "d"}},
		{"donations", 0, "donation", at(0), at(72 * time.Hour), []string{"a", "d"}},
		{"channel", 7, "", at(0), at(72 * time.Hour), []string{"b", "c"}},
		{"to is exclusive", 0, "", at(0), at(time.Hour), []string{"a"}},
		{"from is inclusive", 0, "donation", at(48 * time.Hour), at(49 * time.Hour), []string{"d"}},
		{"none", 8, "", at(0), at(72 * time.Hour), []string{}},
	}
	for _, tt := range tests {
		got, err := s.LedgerRange(ctx, tt.channel, tt.kind, tt.from, tt.to)
		ok(t, tt.name, err)
		wantDiff(t, tt.name, keys(got), tt.want)
	}
}
