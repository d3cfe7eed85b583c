package ads

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/ads/dpnoise"
	"github.com/parleyhq/parley/wire"
)

func TestAuctionSecondPrice(t *testing.T) {
	bs := []Bidder{
		{CampaignID: 1, BidKind: BidCPM, Bid: 5_000_000},
		{CampaignID: 2, BidKind: BidCPM, Bid: 3_000_000},
		{CampaignID: 3, BidKind: BidCPC, Bid: 200_000, ClickRate: 20_000}, // eCPM 4_000_000
		{CampaignID: 4, BidKind: BidCPM, Bid: 500_000},                    // under the floor
	}
	got := Auction(bs, 1_000_000, 3)
	type w struct {
		id    int64
		price int64
	}
	var ids []w
	for _, g := range got {
		ids = append(ids, w{g.CampaignID, g.Price})
	}
	// 1 pays 3's eCPM; 3 pays 2's eCPM as a CPC price (3e6·1000/20000 = 150000);
	// 2 pays the floor; 4 never wins.
	want := []w{{1, 4_000_000}, {3, 150_000}, {2, 1_000_000}}
	if !slices.Equal(ids, want) {
		t.Fatalf("got %v, want %v", ids, want)
	}
	if one := Auction(bs[:1], 1_000_000, 1); one[0].Price != 1_000_000 {
		t.Fatalf("a lone bidder pays %d, want the floor", one[0].Price)
	}
	if none := Auction(bs[3:], 1_000_000, 1); len(none) != 0 {
		t.Fatalf("a bid under the floor won: %v", none)
	}
}

func TestTopKMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var bs []Bidder
	for i := range 500 {
		bs = append(bs, Bidder{CampaignID: int64(i + 1), BidKind: BidCPM, Bid: int64(r.IntN(50)) * 1000})
	}
	top := TopK(bs, 5)
	all := Auction(bs, 0, 5)
	for i := range top {
		if top[i].CampaignID != all[i].CampaignID {
			t.Fatalf("rank %d: got %d, want %d", i, top[i].CampaignID, all[i].CampaignID)
		}
	}
}

// TestPacingSimulatedDay runs a day of uniformly spread auctions in which
// a paced campaign outbids everyone: it must spend within 5 % of its
// daily budget, and spread over the day (no 6-hour block gets more than
// 40 % or less than 15 % of the spend).
func TestPacingSimulatedDay(t *testing.T) {
	const daily = 50_000_000 // 50 units
	const requests = 200_000
	r := rand.New(rand.NewPCG(7, 7))
	var spent int64
	var blocks [4]int64
	for i := range requests {
		at := time.Duration(i)*(24*time.Hour/requests) + time.Duration(r.Int64N(int64(time.Second)))
		bs := []Bidder{{CampaignID: 2, BidKind: BidCPM, Bid: 1_000_000}, {CampaignID: 3, BidKind: BidCPM, Bid: 2_000_000}}
		if Pace(daily, spent, at) {
			bs = append(bs, Bidder{CampaignID: 1, BidKind: BidCPM, Bid: 9_000_000})
		}
		w := Auction(bs, 500_000, 1)
		if w[0].CampaignID == 1 {
			price := w[0].Price / 1000 // one impression
			spent += price
			blocks[at/(6*time.Hour)] += price
		}
	}
	if spent > daily || spent < daily*95/100 {
		t.Fatalf("spent %d, want within 5 %% of %d", spent, daily)
	}
	for i, b := range blocks {
		if b*100 > spent*40 || b*100 < spent*15 {
			t.Errorf("block %d spent %d of %d: not spread", i, b, spent)
		}
	}
	// Unpaced, the same campaign would spend its budget in the first hours.
	if !Pace(daily, 0, 0) || Pace(daily, daily/10, time.Hour) {
		t.Fatal("pacing lets a campaign spend a tenth of its day in the first hour")
	}
}

func validCampaign() wire.AdCampaign {
	return wire.AdCampaign{Name: "Spring sale", Objective: ObjectiveLink, URL: "https://shop.example/spring",
		Creatives: []wire.AdCreative{{Headline: "Spring sale", Text: "Everything 20% off", CTA: "shop"}},
		Targeting: wire.AdTargeting{Placements: []string{PlacementUpdatesFeed}, Languages: []string{"EN"}, Countries: []string{"br"}},
		BidKind:   BidCPM, Bid: 2_000_000, Daily: 10_000_000, Lifetime: 100_000_000}
}

func TestValidate(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	c, err := Validate(validCampaign(), now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusPending || c.Targeting.Languages[0] != "en" || c.Targeting.Countries[0] != "BR" || !c.Start.Equal(now) {
		t.Fatalf("got %+v", c)
	}
	for name, f := range map[string]func(*wire.AdCampaign){
		"objective":     func(c *wire.AdCampaign) { c.Objective = "install" },
		"url":           func(c *wire.AdCampaign) { c.URL = "http://shop.example" },
		"cpm multiple":  func(c *wire.AdCampaign) { c.Bid = 1500 },
		"lifetime":      func(c *wire.AdCampaign) { c.Lifetime = 1 },
		"placement":     func(c *wire.AdCampaign) { c.Targeting.Placements = []string{"group_chat"} },
		"country":       func(c *wire.AdCampaign) { c.Targeting.Countries = []string{"BRA"} },
		"headline":      func(c *wire.AdCampaign) { c.Creatives[0].Headline = strings.Repeat("x", 61) },
		"cta":           func(c *wire.AdCampaign) { c.Creatives[0].CTA = "buy now" },
		"channels only": func(c *wire.AdCampaign) { c.Targeting.Channels = []int64{4} },
		"end":           func(c *wire.AdCampaign) { c.End = "2020-01-01T00:00:00Z" },
	} {
		in := validCampaign()
		in.Creatives = slices.Clone(in.Creatives)
		f(&in)
		if _, err := Validate(in, now); parley.ErrorCode(err) != parley.EInvalid {
			t.Errorf("%s: got %v, want invalid_argument", name, err)
		}
	}
}

func TestAutoReview(t *testing.T) {
	now := time.Now()
	in := validCampaign()
	c, _ := Validate(in, now)
	if r := AutoReview(&c); len(r) != 0 {
		t.Fatalf("a clean campaign: got reasons %q", r)
	}
	in.Creatives = []wire.AdCreative{{Headline: "MIRACLE DIET WORKS", Text: "a miracle", CTA: "follow"}}
	in.URL = "https://bit.ly/x"
	c, _ = Validate(in, now)
	r := AutoReview(&c)
	if len(r) != 4 {
		t.Fatalf("got %q, want the claim, the capitals, the call to action and the shortener", r)
	}
}

// TestExplainNamesExactlyTheSignals: "why this ad" names the placement,
// and the language and country only when the campaign targets them.
func TestExplainNamesExactlyTheSignals(t *testing.T) {
	cx := Context{Placement: PlacementUpdatesFeed, Language: "pt", Country: "BR"}
	for _, tc := range []struct {
		t          wire.AdTargeting
		lang, ctry string
	}{
		{wire.AdTargeting{Placements: []string{PlacementUpdatesFeed}}, "", ""},
		{wire.AdTargeting{Placements: []string{PlacementUpdatesFeed}, Languages: []string{"pt"}}, "pt", ""},
		{wire.AdTargeting{Placements: []string{PlacementUpdatesFeed}, Countries: []string{"BR", "PT"}}, "", "BR"},
	} {
		if !Matches(&tc.t, cx) {
			t.Fatalf("%+v does not match %+v", tc.t, cx)
		}
		w := Explain(&tc.t, cx)
		if w.Placement != PlacementUpdatesFeed || w.Language != tc.lang || w.Country != tc.ctry {
			t.Errorf("targeting %+v: got %+v", tc.t, w)
		}
		if strings.Contains(w.Text, "language is") != (tc.lang != "") || strings.Contains(w.Text, "is from") != (tc.ctry != "") {
			t.Errorf("targeting %+v: text %q names a signal not used, or misses one", tc.t, w.Text)
		}
	}
	if Matches(&wire.AdTargeting{Placements: []string{PlacementUpdatesFeed}, Countries: []string{"PT"}}, cx) {
		t.Fatal("a campaign for PT matched a viewer in BR")
	}
}

func TestRankOnDevice(t *testing.T) {
	ads := []wire.Ad{
		{CampaignID: 1, AdvertiserID: "business:1", Objective: ObjectiveLink},
		{CampaignID: 2, AdvertiserID: "business:2", Objective: ObjectiveFollow, ChannelID: 9},
		{CampaignID: 3, AdvertiserID: "business:3", Objective: ObjectiveLink},
		{CampaignID: 4, AdvertiserID: "business:4", Objective: ObjectiveLink},
	}
	ids := func(as []wire.Ad) (out []int64) {
		for _, a := range as {
			out = append(out, a.CampaignID)
		}
		return out
	}
	p := Profile{Followed: []int64{9}, ClickedAdvertiser: []string{"business:4"}, HiddenCampaigns: []int64{1},
		ShownToday: map[int64]int{3: 2}}
	if got := ids(Rank(ads, p, 2)); !slices.Equal(got, []int64{2, 4}) {
		t.Fatalf("personalisation off: got %v, want [2 4] (hidden and capped dropped, auction order kept)", got)
	}
	p.Personalised, p.HiddenAdvertisers = true, []string{"business:2"}
	got := Rank(ads, p, 3)
	if !slices.Equal(ids(got), []int64{4, 3}) || !strings.Contains(got[0].Why.Text, "on the device") {
		t.Fatalf("personalisation on: got %v", ids(got))
	}
}

func TestFoldSmallCells(t *testing.T) {
	cells := map[CellKey]*Counts{
		{0, PlacementUpdatesFeed, "BR"}: {60, 10, 2, 1},
		{0, PlacementUpdatesFeed, "PT"}: {30, 3, 0, 0},
		{0, PlacementDirectory, "BR"}:   {25, 1, 0, 0},
		{1, PlacementDirectory, "BR"}:   {2, 1, 1, 1},
	}
	out, sup := Fold(cells, 50)
	if sup || len(out) != 2 || out[1].Key != (CellKey{0, PlacementUpdatesFeed, "BR"}) || out[0].Key != OtherCell || out[0].Counts != (Counts{57, 5, 1, 1}) {
		t.Fatalf("got %+v suppressed=%v", out, sup)
	}
	out, sup = Fold(map[CellKey]*Counts{{0, PlacementDirectory, "BR"}: {49, 0, 0, 0}}, 50)
	if !sup || len(out) != 0 {
		t.Fatalf("a lone small cell: got %+v suppressed=%v, want nothing", out, sup)
	}
}

func TestAggregateBoundsContribution(t *testing.T) {
	a, b := CellKey{0, PlacementUpdatesFeed, "BR"}, CellKey{0, PlacementDirectory, "BR"}
	evs := []Event{
		{Campaign: 1, Day: 10, Kind: KindImpression, Cell: a, Person: 1},
		{Campaign: 1, Day: 10, Kind: KindImpression, Cell: a, Person: 1}, // again: counted once
		{Campaign: 1, Day: 10, Kind: KindImpression, Cell: b, Person: 1}, // another cell: not again
		{Campaign: 1, Day: 10, Kind: KindImpression, Cell: b, Person: 2},
		{Campaign: 1, Day: 11, Kind: KindImpression, Cell: b, Person: 2}, // another day
		{Campaign: 1, Day: 10, Kind: KindClick, Cell: b, Person: 1},
	}
	got := Aggregate(slices.Values(evs))
	d10 := got[CampaignDay{1, 10}]
	if *d10[a] != (Counts{1, 0, 0, 0}) || *d10[b] != (Counts{1, 1, 0, 0}) || *got[CampaignDay{1, 11}][b] != (Counts{1, 0, 0, 0}) {
		t.Fatalf("got %v %v", *d10[a], *d10[b])
	}
}

func TestReleaseAddsNoise(t *testing.T) {
	cells := []FoldedCell{{CellKey{0, PlacementUpdatesFeed, "BR"}, Counts{1000, 100, 10, 5}}}
	src := dpnoise.Seeded(1)
	same := 0
	for range 200 {
		rows, err := Release(20000, cells, 1, 1, src)
		if err != nil {
			t.Fatal(err)
		}
		r := rows[0]
		if r.Impressions == 1000 && r.Clicks == 100 {
			same++
		}
		if r.Day != "2024-10-04" || r.Creative != "1" || r.Impressions < 900 || r.Impressions > 1100 {
			t.Fatalf("got %+v", r)
		}
	}
	if same > 20 { // scale 4: P(both exact) ≈ 0.12²
		t.Fatalf("%d of 200 releases were exact: no noise", same)
	}
}
