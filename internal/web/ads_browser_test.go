package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/ads"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/internal/web/webtest"
	"github.com/parleyhq/parley/wire"
)

// TestSponsoredCard: in the Updates tab a person sees the Sponsored card
// of an approved campaign, with why it was shown; turning personalisation
// on is kept on the device and said in the why; hiding the ad removes it
// and keeps it hidden after a reload.
func TestSponsoredCard(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	const admin = "ads-admin-token"
	srv := startServer(t, servertest.WithOptions(func(o *server.Options) {
		o.Ads = ads.Config{Enabled: true}
		o.AdminToken = admin
	}))
	ctx := context.Background()
	owner, _ := goClient(t, srv, "+14155550401", "Olga")
	ch, err := owner.CreateChannel(ctx, wire.ChannelInput{Handle: "bootnews", Name: "Boot news"})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token string, in, out any) {
		t.Helper()
		b, _ := json.Marshal(in)
		req, _ := http.NewRequestWithContext(ctx, method, srv.Endpoint(path), bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
	}
	var c wire.AdCampaign
	call("POST", "/v1/ads/campaigns", owner.Token(), wire.AdCampaign{Name: "Boots", Objective: "follow", ChannelID: ch.ID,
		Creatives: []wire.AdCreative{{Headline: "Boot news, daily", Text: "Follow for the best boots", CTA: "follow"}},
		Targeting: wire.AdTargeting{Placements: []string{"updates_list"}}, BidKind: "cpm", Bid: 2_000_000,
		Daily: 10_000_000, Lifetime: 10_000_000, PaymentMethod: "card"}, &c)
	call("POST", fmt.Sprintf("/admin/v1/ads/campaigns/%d/review", c.ID), admin, wire.AdReview{Approve: true}, nil)

	b := webtest.Start(t)
	p := b.NewPage(t)
	signUp(t, p, srv, "+14155550402", "Dora")
	p.Click("#tab-updates")
	p.WaitText(".sponsored .sponsored-label", "Sponsored")
	p.WaitText(".sponsored .sponsored-headline", "Boot news, daily")
	why := webtest.Eval[string](p, `document.querySelector(".sponsored .ad-why-text").textContent`)
	if !strings.Contains(why, "in the channel list of the Updates tab") || !strings.Contains(why, "did not use your messages") ||
		strings.Contains(why, "device ranked") {
		t.Fatalf("why this ad: %q", why)
	}
	screenshot(t, p, "sponsored-card")

	// Personalisation: off by default, kept on the device when turned on.
	if webtest.Eval[bool](p, `document.getElementById('ad-personalise').checked`) {
		t.Fatal("personalisation is on by default")
	}
	p.Click("#ad-personalise")
	p.WaitJS(`JSON.parse(localStorage.getItem('parley.ads')).personalised === true`, "personalisation on, on the device")
	p.WaitJS(`document.querySelector('.sponsored .ad-why-text').textContent.includes('Your device ranked it')`, "the why says so")
	p.Click("#ad-personalise")
	p.WaitJS(`JSON.parse(localStorage.getItem('parley.ads')).personalised === false`, "personalisation off")

	// Hiding it: gone now and after a reload.
	p.Click(".sponsored .ad-hide")
	p.WaitGone(".sponsored")
	p.Navigate(srv.URL + "/#/updates")
	p.WaitJS(`document.getElementById('root').dataset.ready === 'true'`, "app ready")
	p.WaitVisible("#find-channels")
	p.WaitJS(`JSON.parse(localStorage.getItem('parley.ads')).hiddenAds.includes(`+fmt.Sprint(c.ID)+`)`, "hidden on the device")
	if n := webtest.Eval[int](p, `document.querySelectorAll('.sponsored').length`); n != 0 {
		t.Fatalf("a hidden ad came back: %d cards", n)
	}
}
