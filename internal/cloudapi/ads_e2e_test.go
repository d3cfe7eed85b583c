package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/billing"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/wire"
)

// withAds switches the ads product on with c.
func withAds(c ads.Config) envOption {
	return func(e *env) {
		e.extra = append(e.extra, servertest.WithOptions(func(o *server.Options) { c.Enabled = true; o.Ads = c }))
	}
}

// TestAdsEndToEnd: a business's click-to-chat campaign from creation and
// review to impressions in the Updates tab, a click that starts a chat
// with the referral, a reported conversion, the aggregated report (k = 3:
// a country of one person is suppressed), the settlement and the invoice.
func TestAdsEndToEnd(t *testing.T) {
	t.Parallel()
	// ε = 1000 makes the noise vanish (P(noise ≠ 0) < e^-249), so that the
	// counts can be checked; the noise itself is tested in ads/dpnoise.
	e := newEnv(t, withBulkLogins(), withAds(ads.Config{K: 3, Epsilon: "1000"}))
	ctx := e.ctx
	get := func(c *client.Client, path string, out any) int {
		t.Helper()
		code, b := e.do("GET", path, c.Token(), nil)
		if out != nil && code == 200 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("GET %s: %v: %s", path, err, b)
			}
		}
		return code
	}
	post := func(c *client.Client, path string, in, out any) (int, []byte) {
		t.Helper()
		code, b := e.do("POST", path, c.Token(), in)
		if out != nil && code/100 == 2 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("POST %s: %v: %s", path, err, b)
			}
		}
		return code, b
	}

	// The business's click-to-chat link, and its campaign.
	code, b := e.cloud("POST", fmt.Sprintf("/%d/ctwa_links", e.biz.ID), map[string]any{"phone_number_id": fmt.Sprint(e.num.ID),
		"prefilled_message": "I saw your ad", "source": map[string]any{"source_type": "ad", "headline": "Autumn sale"}})
	if code != 200 {
		t.Fatalf("create link: %d %s", code, b)
	}
	var link struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(b, &link)
	campaign := wire.AdCampaign{Name: "Autumn boots", Objective: "chat", LinkCode: link.Code,
		Creatives: []wire.AdCreative{{Headline: "Autumn sale", Text: "Boots from 49, ask us in a chat", CTA: "chat"}},
		Targeting: wire.AdTargeting{Placements: []string{"updates_feed"}, Countries: []string{"US", "GB"}},
		BidKind:   "cpm", Bid: 2_000_000, Daily: 100_000_000, Lifetime: 1_000_000_000}
	// The automatic rules reject a misleading ad, with reasons.
	bad := campaign
	bad.Creatives = []wire.AdCreative{{Headline: "Miracle boots", Text: "a miracle", CTA: "chat"}}
	code, b = e.cloud("POST", fmt.Sprintf("/%d/ad_campaigns", e.biz.ID), bad)
	var rejected wire.AdCampaign
	if err := json.Unmarshal(b, &rejected); code != 200 || err != nil || rejected.Status != "rejected" || len(rejected.Reasons) == 0 {
		t.Fatalf("a misleading ad: %d %s", code, b)
	}
	code, b = e.cloud("POST", fmt.Sprintf("/%d/ad_campaigns", e.biz.ID), campaign)
	var c wire.AdCampaign
	if err := json.Unmarshal(b, &c); code != 200 || err != nil || c.Status != "pending_review" {
		t.Fatalf("create campaign: %d %s", code, b)
	}
	// Pending review, it shows nowhere; the operator's queue has it.
	carla := e.cust
	var cands wire.AdCandidates
	if get(carla, "/v1/ads?placement=updates_feed&lang=en", &cands); len(cands.Ads) != 0 {
		t.Fatalf("an ad pending review was served: %+v", cands)
	}
	var queue struct {
		Campaigns []wire.AdCampaign `json:"campaigns"`
	}
	e.adminDo("GET", "/admin/v1/ads/review", nil, &queue)
	if len(queue.Campaigns) != 1 || queue.Campaigns[0].ID != c.ID {
		t.Fatalf("review queue: %+v", queue)
	}
	if code, b := e.do("POST", fmt.Sprintf("/admin/v1/ads/campaigns/%d/review", c.ID), adminToken, map[string]any{"approve": false}); code != 400 {
		t.Fatalf("a rejection without reasons: %d %s", code, b)
	}
	e.adminDo("POST", fmt.Sprintf("/admin/v1/ads/campaigns/%d/review", c.ID), map[string]any{"approve": true}, &c)
	if c.Status != "active" {
		t.Fatalf("approved: %+v", c)
	}

	// Four people in the US and one in the UK see it in the Updates tab;
	// one in Brazil does not (the campaign does not target BR).
	people := []*client.Client{carla}
	for i, ph := range []string{"+14155550121", "+14155550122", "+14155550123", "+442071234567"} {
		p, _ := e.login(ph, fmt.Sprintf("Person %d", i))
		people = append(people, p)
	}
	br, _ := e.login("+5511987650125", "Bia")
	if get(br, "/v1/ads?placement=updates_feed&lang=pt", &cands); len(cands.Ads) != 0 {
		t.Fatalf("a person in BR got an ad for US and GB: %+v", cands)
	}
	var fran wire.Ad
	for i, p := range people {
		var got wire.AdCandidates
		if code := get(p, "/v1/ads?placement=updates_feed&lang=en", &got); code != 200 || len(got.Ads) != 1 {
			t.Fatalf("person %d: %d %+v", i, code, got)
		}
		ad := got.Ads[0]
		wantCountry := "US"
		if i == 4 {
			wantCountry = "GB"
		}
		if ad.Label != "Sponsored" || ad.CampaignID != c.ID || ad.Why.Placement != "updates_feed" || ad.Why.Country != wantCountry ||
			ad.Why.Language != "" || !strings.Contains(ad.Why.Text, "your phone number is from "+wantCountry) || got.FrequencyCap != 3 {
			t.Fatalf("person %d: the ad or its why: %+v", i, ad)
		}
		for range 2 { // a repeat counts the person once
			if code, b := post(p, "/v1/ads/events", wire.AdEvent{Token: ad.Token, Kind: "impression"}, nil); code != 200 {
				t.Fatalf("impression: %d %s", code, b)
			}
		}
		if i == 1 {
			fran = ad
		}
	}
	// Not in a chat, ever: there is no such placement.
	if code := get(carla, "/v1/ads?placement=group_chat", nil); code != 400 {
		t.Fatalf("a chat placement: got %d, want 400", code)
	}
	// A forged token is refused.
	if code, _ := post(carla, "/v1/ads/events", wire.AdEvent{Token: fran.Token + "x", Kind: "impression"}, nil); code != 400 {
		t.Fatalf("a forged token: got %d", code)
	}

	// Fran clicks: the click opens the business's click-to-chat link, and
	// her first message carries the click id as its referral.
	var click wire.AdClick
	if code, b := post(people[1], "/v1/ads/events", wire.AdEvent{Token: fran.Token, Kind: "click"}, &click); code != 200 ||
		click.ClickID == "" || click.AccountID != e.num.AccountID || click.Prefill != "I saw your ad" {
		t.Fatalf("click: %d %s", code, b)
	}
	chatWith, err := people[1].OpenDirect(ctx, click.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	in := e.customerSends(people[1], chatWith.ID, chat.KindMessage, "", client.Body{Text: click.Prefill, Referral: &wire.Referral{CtwaClid: click.ClickID}})
	if m := e.hooks.message(in); m.Referral == nil || m.Referral.CtwaClid != click.ClickID || m.Referral.Headline != "Autumn sale" {
		t.Fatalf("the first message's referral: %+v", m.Referral)
	}
	// The business reports an order placed after that chat.
	if code, b := e.cloud("POST", fmt.Sprintf("/%d/ad_conversions", e.biz.ID), wire.AdConversion{ClickID: click.ClickID, Event: "purchase"}); code != 200 {
		t.Fatalf("conversion: %d %s", code, b)
	}
	if code, b := e.cloud("POST", fmt.Sprintf("/%d/ad_conversions", e.biz.ID), wire.AdConversion{ClickID: "ctwa.000000000000"}); code != 400 {
		t.Fatalf("a conversion of an unknown click: %d %s", code, b)
	}

	// Today's report is not released yet; two days after the day ends it is.
	day := ads.DayString(ads.DayOf(e.clock.Now()))
	var rep wire.AdReport
	code, b = e.cloud("GET", fmt.Sprintf("/%d/ad_campaigns/%d/report", e.biz.ID, c.ID), nil)
	if err := json.Unmarshal(b, &rep); code != 200 || err != nil || len(rep.Rows) != 0 {
		t.Fatalf("today's report: %d %s", code, b)
	}
	e.clock.Advance(3 * 24 * time.Hour)
	code, b = e.cloud("GET", fmt.Sprintf("/%d/ad_campaigns/%d/report", e.biz.ID, c.ID), nil)
	if err := json.Unmarshal(b, &rep); code != 200 || err != nil {
		t.Fatalf("report: %d %s", code, b)
	}
	checkAdvertiserVisible(t, b, e.custPh, "+442071234567", "+14155550121")
	// Every impression is billed (a person's first MaxBilled = 3 a day
	// are): 5 people × 2 impressions. Alone in its auction, the campaign
	// pays the floor (second price): 500000 micros per thousand, 500 each.
	// The spend is exact: the advertiser's own money, for the whole day.
	if len(rep.Days) != 1 || rep.Days[0].Day != day || rep.Days[0].Spent != 10*500 || !rep.Days[0].Suppressed || rep.K != 3 ||
		rep.Days[0].Epsilon != "1000" {
		t.Fatalf("report days: %+v", rep.Days)
	}
	if len(rep.Rows) != 1 {
		t.Fatalf("report rows: got %+v, want the US cell only (GB, one person, is under k and suppressed)", rep.Rows)
	}
	row := rep.Rows[0]
	if row.Country != "US" || row.Placement != "updates_feed" || row.Creative != "1" || row.Day != day ||
		row.Impressions != 4 || row.Clicks != 1 || row.Chats != 1 || row.Conversions != 1 {
		t.Fatalf("the US cell: %+v", row)
	}
	// Released once: the same noisy numbers on every read.
	_, again := e.cloud("GET", fmt.Sprintf("/%d/ad_campaigns/%d/report", e.biz.ID, c.ID), nil)
	if string(again) != string(b) {
		t.Fatalf("a second read released again:\n%s\n%s", b, again)
	}

	// Settlement: the closed day becomes one ads charge, invoiced with the month.
	if err := e.srv.Ads().Settle(ctx); err != nil {
		t.Fatal(err)
	}
	period := billing.PeriodOf(e.clock.Now().Add(-3 * 24 * time.Hour))
	if now := e.clock.Now(); !now.After(period.End()) {
		e.clock.Advance(period.End().Sub(now) + time.Hour)
	}
	var run struct {
		Invoices int   `json:"invoices"`
		Total    int64 `json:"total_micros"`
	}
	e.adminDo("POST", "/admin/v1/billing/invoice_runs", map[string]any{"period": period.String()}, &run)
	code, b = e.cloud("GET", fmt.Sprintf("/%d/invoices", e.biz.ID), nil)
	var invs struct {
		Data []billing.Invoice `json:"data"`
	}
	if err := json.Unmarshal(b, &invs); code != 200 || err != nil || len(invs.Data) != 1 {
		t.Fatalf("invoices: %d %s", code, b)
	}
	i := slices.IndexFunc(invs.Data[0].Lines, func(l billing.Line) bool { return l.Category == billing.CategoryAds })
	if i < 0 || invs.Data[0].Lines[i].Amount != 10*500 {
		t.Fatalf("the invoice's ads line: %+v", invs.Data[0].Lines)
	}
	// The operator's dashboard counts it as ads; the what-if simulator keeps
	// it unchanged under another card (the auction, not a card, prices ads).
	var dash struct {
		ByModel map[string]int64 `json:"by_model"`
	}
	e.adminDo("GET", "/admin/v1/billing/dashboard?from="+period.String()+"&to="+period.String(), nil, &dash)
	if dash.ByModel["ads"] != 10*500 {
		t.Fatalf("dashboard: got %+v, want ads 5000", dash.ByModel)
	}
	var sim struct {
		Base, Alt struct {
			ByCategory map[string]int64 `json:"by_category"`
		}
	}
	e.adminDo("POST", "/admin/v1/billing/simulate", map[string]any{"from": period.String(), "to": period.String(), "model": "conversation"}, &sim)
	if sim.Base.ByCategory["ads"] != 10*500 || sim.Alt.ByCategory["ads"] != 10*500 {
		t.Fatalf("simulation: base %+v, alt %+v, want ads 5000 in both", sim.Base.ByCategory, sim.Alt.ByCategory)
	}
	// The public ad library lists it, with a spend range and no exact amount.
	code, b = e.do("GET", "/v1/ads/library", "", nil)
	if code != 200 || !strings.Contains(string(b), `"spend_range":"USD 0–100"`) || !strings.Contains(string(b), `"advertiser":"Acme Shoes"`) ||
		strings.Contains(string(b), "Miracle") {
		t.Fatalf("ad library: %d %s", code, b)
	}
	if code, page := e.do("GET", "/ads/library", "", nil); code != 200 || !strings.Contains(string(page), "Autumn sale") {
		t.Fatalf("ad library page: %d %s", code, page)
	}
}

// checkAdvertiserVisible fails if an advertiser-visible response holds a
// phone number, or a field that could name a person, a device or an
// exact time.
func checkAdvertiserVisible(t *testing.T, body []byte, phones ...string) {
	t.Helper()
	for _, p := range phones {
		if strings.Contains(string(body), p) || strings.Contains(string(body), strings.TrimPrefix(p, "+")) {
			t.Errorf("the response holds the phone %s: %s", p, body)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				for _, bad := range []string{"account", "device", "person", "phone", "user", "_at", "time"} {
					if strings.Contains(k, bad) {
						t.Errorf("the response has a field %q: %s", k, body)
					}
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	walk(v)
}

// TestAdsOff: without --ads every ads route answers ads_disabled (the
// library stays readable).
func TestAdsOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, b := e.do("GET", "/v1/ads?placement=updates_feed", e.cust.Token(), nil)
	if code != http.StatusForbidden || !strings.Contains(string(b), "ads_disabled") {
		t.Fatalf("ads off: %d %s", code, b)
	}
	code, b = e.cloud("POST", fmt.Sprintf("/%d/ad_campaigns", e.biz.ID), wire.AdCampaign{Name: "x"})
	if code != 400 || !strings.Contains(string(b), "ads_disabled") {
		t.Fatalf("ads off, Cloud API: %d %s", code, b)
	}
	if code, _ := e.do("GET", "/v1/ads/library", "", nil); code != 200 {
		t.Fatalf("library with ads off: %d", code)
	}
}

// TestAdsInChannelPremiumNonprofit: an ad inside a channel whose owner
// opted in, the owner's share on their statement; a premium member sees
// no ads; a nonprofit server serves none.
func TestAdsInChannelPremiumNonprofit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBulkLogins(), withAds(ads.Config{MinFollowers: 1, Floor: 100_000_000}), func(e *env) {
		e.extra = append(e.extra, servertest.WithOptions(func(o *server.Options) { o.Revenue.Premium.Enabled = true }))
	})
	ctx := e.ctx
	owner, _ := e.login("+14155550131", "Olga")
	ch, err := owner.CreateChannel(ctx, wire.ChannelInput{Handle: "boots_news", Name: "Boots news"})
	if err != nil {
		t.Fatal(err)
	}
	viewer, premium := e.cust, func() *client.Client { p, _ := e.login("+14155550132", "Pia"); return p }()
	for _, p := range []*client.Client{viewer, premium} {
		if _, err := p.Follow(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Only the owner opts in; then the channel shows ads.
	if code, b := e.do("PUT", fmt.Sprintf("/v1/channels/%d/ads", ch.ID), viewer.Token(), nil); code != http.StatusForbidden {
		t.Fatalf("a follower opting in: %d %s", code, b)
	}
	var opt wire.AdChannelOptIn
	code, b := e.do("PUT", fmt.Sprintf("/v1/channels/%d/ads", ch.ID), owner.Token(), nil)
	if err := json.Unmarshal(b, &opt); code != 200 || err != nil || !opt.OptIn || opt.ShareBP != 5000 {
		t.Fatalf("opt in: %d %s", code, b)
	}
	camp := wire.AdCampaign{Name: "Boots", Objective: "link", URL: "https://acme.example/boots",
		Creatives: []wire.AdCreative{{Headline: "New boots", Text: "In store now", CTA: "shop"}},
		Targeting: wire.AdTargeting{Placements: []string{"in_channel"}, Channels: []int64{ch.ID}},
		BidKind:   "cpm", Bid: 200_000_000, Daily: 100_000_000, Lifetime: 100_000_000}
	code, b = e.cloud("POST", fmt.Sprintf("/%d/ad_campaigns", e.biz.ID), camp)
	var c wire.AdCampaign
	if err := json.Unmarshal(b, &c); code != 200 || err != nil {
		t.Fatalf("campaign: %d %s", code, b)
	}
	e.adminDo("POST", fmt.Sprintf("/admin/v1/ads/campaigns/%d/review", c.ID), map[string]any{"approve": true}, nil)

	if _, err := premium.SubscribePremium(ctx, "month", "card"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/v1/ads?placement=in_channel&channel=%d", ch.ID)
	var got wire.AdCandidates
	code, b = e.do("GET", path, premium.Token(), nil)
	if err := json.Unmarshal(b, &got); code != 200 || err != nil || len(got.Ads) != 0 {
		t.Fatalf("a premium member got ads: %d %s", code, b)
	}
	code, b = e.do("GET", path, viewer.Token(), nil)
	if err := json.Unmarshal(b, &got); code != 200 || err != nil || len(got.Ads) != 1 || got.Ads[0].Why.ChannelID != ch.ID {
		t.Fatalf("the in-channel ad: %d %s", code, b)
	}
	if code, b := e.do("POST", "/v1/ads/events", viewer.Token(), wire.AdEvent{Token: got.Ads[0].Token, Kind: "impression"}); code != 200 {
		t.Fatalf("impression: %d %s", code, b)
	}
	// The owner opts out: no more ads there.
	if code, _ := e.do("DELETE", fmt.Sprintf("/v1/channels/%d/ads", ch.ID), owner.Token(), nil); code != 200 {
		t.Fatalf("opt out: %d", code)
	}
	code, b = e.do("GET", path, viewer.Token(), nil)
	if err := json.Unmarshal(b, &got); code != 200 || err != nil || len(got.Ads) != 0 {
		t.Fatalf("an ad in a channel that opted out: %d %s", code, b)
	}

	// The day closes: one impression at the floor (100000 micros), half
	// of it (5 cents) the owner's, on their statement.
	month := e.clock.Now().UTC().Format("2006-01")
	e.clock.Advance(24 * time.Hour)
	if err := e.srv.Ads().Settle(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := owner.Statement(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, cs := range st.Channels {
		for _, l := range cs.Lines {
			if strings.HasPrefix(l.Ref, "ads:") && l.Gross == 5 && l.Net == 5 {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("the owner's ad share is not on the statement: %+v", st)
	}

	// A nonprofit server serves no ads, whatever --ads says.
	np := newEnv(t, withAds(ads.Config{}), func(e *env) {
		e.extra = append(e.extra, servertest.WithOptions(func(o *server.Options) { o.Revenue.Nonprofit = true }))
	})
	if code, b := np.do("GET", "/v1/ads?placement=updates_feed", np.cust.Token(), nil); code != http.StatusForbidden || !strings.Contains(string(b), "ads_disabled") {
		t.Fatalf("nonprofit: %d %s", code, b)
	}
}
