package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
)

// adCampaigns is the part of GET /{v}/{waba}/ad_campaigns the test reads.
type adCampaigns struct {
	Data []struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"data"`
}

// TestConsoleAds: the business creates a click-to-chat campaign in the
// Ads section (a lifetime budget under the daily one is refused first,
// the API's error shown at its field); the campaign waits in the
// operator's Ad review queue, where a rejection without reasons is
// refused in the page; the operator approves it; the business sees it
// approved, pauses it and opens its report, where GB and FR, one person
// each, are folded into "other".
func TestConsoleAds(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	// k = 2 and ε = 1000 (no noise in practice): two people in the US make
	// a cell of their own; one in GB and one in FR fold into "other".
	clock := &servertest.Clock{}
	e := newConsoleEnv(t, servertest.WithClock(clock), servertest.WithOptions(func(o *server.Options) {
		o.Ads = ads.Config{Enabled: true, K: 2, Epsilon: "1000"}
	}))
	var link struct {
		Code string `json:"code"`
	}
	e.call("POST", fmt.Sprintf("/v23.0/%d/ctwa_links", e.bizID), e.token, map[string]any{"phone_number_id": fmt.Sprint(e.numID),
		"prefilled_message": "I saw your ad"}, &link)

	b := webtest.Start(t)
	biz := b.NewPage(t)
	signIn(biz, e.srv.URL+"/business/", e.token)
	goTo(biz, "ads")
	biz.WaitText("#view", "No campaigns yet.")
	typeInto(biz, "#ad-name", "Autumn boots")
	biz.Select("#ad-link", link.Code)
	typeInto(biz, "#ad-headline", "Autumn sale")
	typeInto(biz, "#ad-text", "Boots from 49, ask us in a chat")
	typeInto(biz, "#ad-bid", "2")
	typeInto(biz, "#ad-daily", "100")
	typeInto(biz, "#ad-lifetime", "50")
	typeInto(biz, "#ad-countries", "us, gb, fr")
	typeInto(biz, "#ad-languages", "en")
	biz.Click("#ad-submit")
	biz.WaitText("#ad-lifetime-err", "lifetime budget")
	biz.WaitText("#ad-error", "not created")
	typeInto(biz, "#ad-lifetime", "1000")
	biz.Click("#ad-submit")

	biz.WaitText("#view table", "Autumn boots")
	var list adCampaigns
	e.call("GET", fmt.Sprintf("/v23.0/%d/ad_campaigns", e.bizID), e.token, nil, &list)
	if len(list.Data) != 1 || list.Data[0].Name != "Autumn boots" || list.Data[0].Status != "pending_review" {
		t.Fatalf("campaigns after submitting the form: %+v", list)
	}
	id := list.Data[0].ID
	row := fmt.Sprintf("tr.ad-%d", id)
	biz.WaitText(row, "Pending review")
	biz.WaitText(row, "In review")

	// The operator's queue has it.
	op := b.NewPage(t)
	signIn(op, e.srv.AdminURL+"/admin/", consoleAdminToken)
	goTo(op, "adreview")
	op.WaitText(fmt.Sprintf("tr.ar-%d", id), "Autumn sale")
	op.WaitText(fmt.Sprintf("tr.ar-%d", id), "US, GB, FR")
	// A rejection needs reasons: the page says so and sends nothing.
	op.Click(fmt.Sprintf("#ar-reject-%d", id))
	op.WaitText(fmt.Sprintf("#ar-reason-%d-err", id), "reasons")
	op.Click(fmt.Sprintf("#ar-approve-%d", id))
	op.WaitText("#view", "No campaign is waiting for review.")

	// Four people see it once each; three days later the day is reported.
	for _, phone := range []string{"+14155550131", "+14155550132", "+442071234568", "+33612345678"} {
		p := e.person(phone)
		var got struct {
			Ads []struct {
				Token string `json:"token"`
			} `json:"ads"`
		}
		e.call("GET", "/v1/ads?placement=updates_feed&lang=en", p.Token(), nil, &got)
		if len(got.Ads) != 1 {
			t.Fatalf("%s: ads %+v, want the campaign", phone, got)
		}
		e.call("POST", "/v1/ads/events", p.Token(), map[string]any{"token": got.Ads[0].Token, "kind": "impression"}, nil)
	}
	clock.Advance(3 * 24 * time.Hour)

	// The business sees it approved, opens its report and pauses it.
	goTo(biz, "overview")
	goTo(biz, "ads")
	biz.WaitText(row, "Approved")
	biz.WaitText(row, "Active")
	biz.Click(fmt.Sprintf("#ad-pause-%d", id))
	biz.WaitText(row, "Paused")
	e.call("GET", fmt.Sprintf("/v23.0/%d/ad_campaigns", e.bizID), e.token, nil, &list)
	if list.Data[0].Status != "paused" {
		t.Errorf("status after pausing in the console: %q, want paused", list.Data[0].Status)
	}
	biz.WaitVisible(fmt.Sprintf("#ad-resume-%d", id))
	// Its report: the US cell, and GB and FR folded into "other".
	biz.Click(fmt.Sprintf("#ad-report-%d", id))
	biz.WaitText("#ad-report tbody tr", "US")
	biz.WaitText("#ad-report tbody tr", "Updates feed")
	biz.WaitText("#ad-report tbody tr", "Other")
	if webtest.Eval[bool](biz, `[...document.querySelectorAll('#ad-report tr')].some(r => /\b(GB|FR)\b/.test(r.textContent))`) {
		t.Error("the report shows a GB or FR cell of one person")
	}
}

// TestConsoleAdsOff: on a server without ads the Ads section says so with
// the API's reason instead of an empty form.
func TestConsoleAdsOff(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	e := newConsoleEnv(t)
	b := webtest.Start(t)
	biz := b.NewPage(t)
	signIn(biz, e.srv.URL+"/business/", e.token)
	goTo(biz, "ads")
	biz.WaitText("#ad-off", "Ads are not available")
	biz.WaitText("#ad-off", "ads_disabled")
}
