package web_test

import (
	"fmt"
	"testing"

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
// approved, pauses it and opens its report.
func TestConsoleAds(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	e := newConsoleEnv(t, servertest.WithOptions(func(o *server.Options) { o.Ads = ads.Config{Enabled: true} }))
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
	typeInto(biz, "#ad-countries", "us, gb")
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
	op.WaitText(fmt.Sprintf("tr.ar-%d", id), "US, GB")
	// A rejection needs reasons: the page says so and sends nothing.
	op.Click(fmt.Sprintf("#ar-reject-%d", id))
	op.WaitText(fmt.Sprintf("#ar-reason-%d-err", id), "reasons")
	op.Click(fmt.Sprintf("#ar-approve-%d", id))
	op.WaitText("#view", "No campaign is waiting for review.")

	// The business sees it approved and pauses it.
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
	// Its report: no closed day yet.
	biz.Click(fmt.Sprintf("#ad-report-%d", id))
	biz.WaitText("#ad-report", "No closed day yet.")
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
