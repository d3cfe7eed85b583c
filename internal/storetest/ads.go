package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/wire"
)

// runAds runs the conformance tests of ads.Store.
func runAds(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"AdCampaigns", testAdCampaigns},
		{"AdEventsBilling", testAdEventsBilling},
		{"AdEventsBudgetConcurrent", testAdEventsBudgetConcurrent},
		{"AdClicks", testAdClicks},
		{"AdReleases", testAdReleases},
		{"AdSettlement", testAdSettlement},
		{"AdOptIns", testAdOptIns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each on its own database
			tt.fn(t, open(t))
		})
	}
}

func newAdCampaign(t testing.TB, s Store, adv ads.Advertiser, daily, lifetime int64) ads.Campaign {
	t.Helper()
	c := ads.Campaign{Advertiser: adv, Name: "spring", Objective: ads.ObjectiveLink, URL: "https://shop.example",
		Creatives: []wire.AdCreative{{Headline: "Spring", Text: "20% off", CTA: "shop"}},
		Targeting: wire.AdTargeting{Placements: []string{ads.PlacementUpdatesFeed}, Countries: []string{"BR"}},
		BidKind:   ads.BidCPM, Bid: 2_000_000, Daily: daily, Lifetime: lifetime, Currency: "USD",
		Start: t0, End: at(72 * time.Hour), Status: ads.StatusPending, CreatedAt: t0}
	ok(t, "create ad campaign", s.CreateAdCampaign(context.Background(), &c))
	return c
}

func testAdCampaigns(t *testing.T, s Store) {
	ctx := context.Background()
	biz := ads.Advertiser{Kind: ads.AdvertiserBusiness, ID: 7}
	c := newAdCampaign(t, s, biz, 10_000, 100_000)
	if c.ID == 0 {
		t.Fatal("no id")
	}
	got, err := s.GetAdCampaign(ctx, c.ID)
	ok(t, "get", err)
	wantDiff(t, "campaign", got, c)
	c2 := newAdCampaign(t, s, biz, 10_000, 100_000)
	other := newAdCampaign(t, s, ads.Advertiser{Kind: ads.AdvertiserAccount, ID: 7}, 10_000, 100_000)
	mine, err := s.AdCampaigns(ctx, biz)
	ok(t, "list", err)
	if len(mine) != 2 || mine[0].ID != c2.ID || mine[1].ID != c.ID {
		t.Fatalf("got %d campaigns, want %d then %d", len(mine), c2.ID, c.ID)
	}
	ok(t, "approve", s.UpdateAdCampaignStatus(ctx, c.ID, ads.StatusActive, nil, at(time.Hour)))
	ok(t, "reject", s.UpdateAdCampaignStatus(ctx, c2.ID, ads.StatusRejected, []string{"misleading"}, at(time.Hour)))
	wantCode(t, "update missing", s.UpdateAdCampaignStatus(ctx, 9999, ads.StatusActive, nil, t0), parley.ENotFound)
	_, err = s.GetAdCampaign(ctx, 9999)
	wantCode(t, "get missing", err, parley.ENotFound)
	got, err = s.GetAdCampaign(ctx, c2.ID)
	ok(t, "get rejected", err)
	if got.Status != ads.StatusRejected || len(got.Reasons) != 1 || !got.ReviewedAt.Equal(at(time.Hour)) {
		t.Fatalf("got %+v", got)
	}
	pend, err := s.AdCampaignsByStatus(ctx, []string{ads.StatusPending}, 0, 10)
	ok(t, "pending", err)
	if len(pend) != 1 || pend[0].ID != other.ID {
		t.Fatalf("pending: got %v, want %d", pend, other.ID)
	}
	act, err := s.AdCampaignsByStatus(ctx, []string{ads.StatusActive, ads.StatusRejected}, c.ID, 10)
	ok(t, "after", err)
	if len(act) != 1 || act[0].ID != c2.ID {
		t.Fatalf("after %d: got %v", c.ID, act)
	}
}

func adEvent(c ads.Campaign, kind ads.Kind, person uint64, country string) ads.Event {
	return ads.Event{Campaign: c.ID, Day: 20000, Kind: kind, Person: person,
		Cell: ads.CellKey{Creative: 0, Placement: ads.PlacementUpdatesFeed, Country: country}}
}

func testAdEventsBilling(t *testing.T, s Store) {
	ctx := context.Background()
	c := newAdCampaign(t, s, ads.Advertiser{Kind: ads.AdvertiserBusiness, ID: 1}, 10_000, 25_000)
	// One person is billed at most MaxBilled = 2 times a day; the others
	// until the daily budget (10000 = 5 impressions at 2000).
	var billed []int64
	for i, p := range []uint64{1, 1, 1, 2, 3, 4, 5} {
		b, err := s.RecordAdEvent(ctx, ads.EventRecord{Event: adEvent(c, ads.KindImpression, p, "BR"), Cost: 2000, MaxBilled: 2, ChannelID: int64(i % 2)})
		ok(t, "record", err)
		billed = append(billed, b)
	}
	wantDiff(t, "billed", billed, []int64{2000, 2000, 0, 2000, 2000, 2000, 0})
	sp, err := s.AdDaySpend(ctx, 20000)
	ok(t, "day spend", err)
	wantDiff(t, "day spend", sp, []ads.DaySpend{{CampaignID: c.ID, Day: 20000, Spent: 10_000, Impressions: 5}})
	// Another day: the lifetime budget (25000) stops it after 7500 more... in
	// whole impressions: 2 more.
	var more int64
	for p := range uint64(10) {
		e := adEvent(c, ads.KindImpression, 100+p, "BR")
		e.Day = 20001
		b, err := s.RecordAdEvent(ctx, ads.EventRecord{Event: e, Cost: 2000, MaxBilled: 2})
		ok(t, "record", err)
		more += b
	}
	if more != 14_000 && more != 10_000 {
		t.Fatalf("day 2 billed %d", more)
	}
	got, _ := s.GetAdCampaign(ctx, c.ID)
	if got.Spent > got.Lifetime || got.Spent != 10_000+more {
		t.Fatalf("spent %d of lifetime %d (billed %d)", got.Spent, got.Lifetime, 10_000+more)
	}
	// The events count people once per cell, in insertion order.
	var evs []ads.Event
	ok(t, "events", s.AdEvents(ctx, c.ID, 20000, func(e ads.Event) { evs = append(evs, e) }))
	if len(evs) != 5 || evs[0].Person != 1 || evs[4].Person != 5 || evs[0].Kind != ads.KindImpression {
		t.Fatalf("got %+v", evs)
	}
	cs, err := s.AdCampaignSpend(ctx, c.ID)
	ok(t, "campaign spend", err)
	if len(cs) != 2 || cs[0].Day != 20000 || cs[1].Day != 20001 {
		t.Fatalf("got %+v", cs)
	}
}

// testAdEventsBudgetConcurrent: concurrent billing never spends past the
// daily budget.
func testAdEventsBudgetConcurrent(t *testing.T, s Store) {
	ctx := context.Background()
	c := newAdCampaign(t, s, ads.Advertiser{Kind: ads.AdvertiserBusiness, ID: 1}, 20_000, 1_000_000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total int64
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				b, err := s.RecordAdEvent(ctx, ads.EventRecord{Event: adEvent(c, ads.KindImpression, uint64(w*100+i), "BR"), Cost: 1000, MaxBilled: 1})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += b
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sp, _ := s.AdDaySpend(ctx, 20000)
	if total != 20_000 || len(sp) != 1 || sp[0].Spent != 20_000 {
		t.Fatalf("billed %d, stored %+v, want exactly the daily budget 20000", total, sp)
	}
}

func testAdClicks(t *testing.T, s Store) {
	ctx := context.Background()
	c := newAdCampaign(t, s, ads.Advertiser{Kind: ads.AdvertiserBusiness, ID: 1}, 10_000, 100_000)
	e := adEvent(c, ads.KindClick, 42, "BR")
	_, err := s.RecordAdEvent(ctx, ads.EventRecord{Event: e, ClickID: "ctwa.abc"})
	ok(t, "click", err)
	_, err = s.RecordAdEvent(ctx, ads.EventRecord{Event: e, ClickID: "ctwa.abc"})
	wantCode(t, "same click id", err, parley.EConflict)
	cl, err := s.AdClick(ctx, "ctwa.abc")
	ok(t, "get click", err)
	wantDiff(t, "click", cl, ads.Click{ID: "ctwa.abc", CampaignID: c.ID, Day: 20000, Cell: e.Cell, Person: 42})
	_, err = s.AdClick(ctx, "nope")
	wantCode(t, "missing click", err, parley.ENotFound)
	first, err := s.MarkAdClick(ctx, "ctwa.abc", ads.KindConversion)
	ok(t, "convert", err)
	again, err := s.MarkAdClick(ctx, "ctwa.abc", ads.KindConversion)
	ok(t, "convert again", err)
	chat, err := s.MarkAdClick(ctx, "ctwa.abc", ads.KindChat)
	ok(t, "chat", err)
	if !first || again || !chat {
		t.Fatalf("first %v again %v chat %v, want true false true", first, again, chat)
	}
	_, err = s.MarkAdClick(ctx, "nope", ads.KindChat)
	wantCode(t, "mark missing", err, parley.ENotFound)
	// A person's huge pseudonym survives the round trip.
	big := adEvent(c, ads.KindImpression, 1<<63+5, "BR")
	_, err = s.RecordAdEvent(ctx, ads.EventRecord{Event: big})
	ok(t, "big pseudonym", err)
	var got []uint64
	ok(t, "events", s.AdEvents(ctx, c.ID, 20000, func(e ads.Event) { got = append(got, e.Person) }))
	wantDiff(t, "people", got, []uint64{42, 1<<63 + 5})
}

func testAdReleases(t *testing.T, s Store) {
	ctx := context.Background()
	c := newAdCampaign(t, s, ads.Advertiser{Kind: ads.AdvertiserBusiness, ID: 1}, 10_000, 100_000)
	_, err := s.RecordAdEvent(ctx, ads.EventRecord{Event: adEvent(c, ads.KindImpression, 1, "BR")})
	ok(t, "record", err)
	r := ads.Released{CampaignID: c.ID, Day: 20000, Rows: `[{"day":"2024-10-04"}]`, Suppressed: true, Epsilon: "1", At: t0}
	got, err := s.PutAdRelease(ctx, r)
	ok(t, "release", err)
	wantDiff(t, "release", got, r)
	// A second release of the same day returns the first: the budget is spent once.
	again, err := s.PutAdRelease(ctx, ads.Released{CampaignID: c.ID, Day: 20000, Rows: `[]`, Epsilon: "1", At: at(time.Hour)})
	ok(t, "release again", err)
	wantDiff(t, "release again", again, r)
	n := 0
	ok(t, "events", s.AdEvents(ctx, c.ID, 20000, func(ads.Event) { n++ }))
	if n != 0 {
		t.Fatalf("%d events kept after the release, want none", n)
	}
	rs, err := s.AdReleases(ctx, c.ID)
	ok(t, "releases", err)
	wantDiff(t, "releases", rs, []ads.Released{r})
}

func testAdSettlement(t *testing.T, s Store) {
	ctx := context.Background()
	c := newAdCampaign(t, s, ads.Advertiser{Kind: ads.AdvertiserBusiness, ID: 1}, 10_000, 100_000)
	for day := int64(20000); day <= 20001; day++ {
		e := adEvent(c, ads.KindImpression, 1, "BR")
		e.Day = day
		_, err := s.RecordAdEvent(ctx, ads.EventRecord{Event: e, Cost: 3000, MaxBilled: 1, ChannelID: 9})
		ok(t, "record", err)
	}
	ds, cs, err := s.UnsettledAdSpend(ctx, 20001, 10)
	ok(t, "unsettled", err)
	wantDiff(t, "days", ds, []ads.DaySpend{{CampaignID: c.ID, Day: 20000, Spent: 3000, Impressions: 1}})
	wantDiff(t, "channel days", cs, []ads.ChannelSpend{{ChannelID: 9, Day: 20000, Spent: 3000}})
	ok(t, "settle", s.MarkAdSpendSettled(ctx, c.ID, 0, 20000))
	ok(t, "settle channel", s.MarkAdSpendSettled(ctx, 0, 9, 20000))
	wantCode(t, "settle missing", s.MarkAdSpendSettled(ctx, c.ID, 0, 1), parley.ENotFound)
	ds, cs, err = s.UnsettledAdSpend(ctx, 20002, 10)
	ok(t, "unsettled", err)
	if len(ds) != 1 || ds[0].Day != 20001 || len(cs) != 1 || cs[0].Day != 20001 {
		t.Fatalf("got %+v %+v, want day 20001 only", ds, cs)
	}
}

func testAdOptIns(t *testing.T, s Store) {
	ctx := context.Background()
	_, err := s.AdOptIn(ctx, 5)
	wantCode(t, "none", err, parley.ENotFound)
	ok(t, "opt in", s.PutAdOptIn(ctx, ads.OptIn{ChannelID: 5, ShareBP: 5000, At: t0}))
	ok(t, "opt in again", s.PutAdOptIn(ctx, ads.OptIn{ChannelID: 5, ShareBP: 6000, At: at(time.Hour)}))
	o, err := s.AdOptIn(ctx, 5)
	ok(t, "get", err)
	wantDiff(t, "opt-in", o, ads.OptIn{ChannelID: 5, ShareBP: 6000, At: at(time.Hour)})
	ok(t, "opt out", s.DeleteAdOptIn(ctx, 5))
	wantCode(t, "opt out again", s.DeleteAdOptIn(ctx, 5), parley.ENotFound)
}
