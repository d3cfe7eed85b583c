package client_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/servertest"
	"github.com/parleyhq/parley/revenue"
	"github.com/parleyhq/parley/wire"
)

// sweep runs the sweeper that renews subscriptions, premium and monthly
// donations and records payouts.
func sweep(t *testing.T, srv *servertest.Server) {
	t.Helper()
	if err := srv.SweepChannels(ctxT(t)); err != nil {
		t.Fatalf("sweep: %v", err)
	}
}

// linkDevice links another device for p's number and returns its error.
func linkDevice(t *testing.T, srv *servertest.Server, phone, name string) error {
	t.Helper()
	c := client.New(srv.URL)
	if err := c.RequestCode(ctxT(t), phone); err != nil {
		t.Fatal(err)
	}
	_, err := c.Verify(ctxT(t), phone, srv.Code(phone), name, nil)
	return err
}

// pngOf returns a PNG-sniffing file of n bytes.
func pngOf(n int) []byte {
	return append(append([]byte{}, pngBytes...), make([]byte, n-len(pngBytes))...)
}

// ledgerSum sums the operator's ledger by kind.
func ledgerSum(t *testing.T, op *client.Operator) (map[string]int64, map[string]int) {
	t.Helper()
	es := must(op.Ledger(ctxT(t), 0)).get(t)
	sum, n := map[string]int64{}, map[string]int{}
	for _, e := range es {
		sum[e.Kind] += e.Minor
		n[e.Kind]++
		if (e.Kind == "premium_charge" || e.Kind == "donation") && e.ChannelID != 0 {
			t.Errorf("ledger entry %+v: got channel %d, want 0", e, e.ChannelID)
		}
	}
	return sum, n
}

// TestModelsOff: without the operator's switches there is no premium,
// no donation and no transparency page; pins keep their free limit.
func TestModelsOff(t *testing.T) {
	t.Parallel()
	revenueStores(t, nil, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		alice := login(t, env.srv, alicePhone, "phone")
		_, err := alice.Premium(ctx)
		wantCode(t, err, "revenue_model_disabled")
		_, err = alice.SubscribePremium(ctx, "month", "card")
		wantCode(t, err, "revenue_model_disabled")
		_, err = alice.Donate(ctx, client.Donation{AmountMinor: 500, PaymentMethod: "card"})
		wantCode(t, err, "revenue_model_disabled")
		_, err = client.New(env.srv.URL).Transparency(ctx, "", "")
		wantCode(t, err, "revenue_model_disabled")
		resp, err := http.Get(env.srv.URL + "/transparency")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /transparency: got %d, want 404", resp.StatusCode)
		}
		// Pins exist without premium, up to the free limit (3).
		for i := range 4 {
			peer := login(t, env.srv, fmt.Sprintf("+1415555%04d", 200+i), "phone")
			chat := must(alice.OpenDirect(ctx, peer.AccountID)).get(t)
			_, err := alice.PinChat(ctx, chat.ID)
			if i < 3 && err != nil {
				t.Fatalf("pin %d: %v", i, err)
			}
			if i == 3 {
				wantCode(t, err, "limit_exceeded")
			}
		}
		if n := env.pay.Charges(); n != 0 {
			t.Errorf("got %d charges, want none", n)
		}
	})
}

// TestPremium: the plans, the first charge, the perks the server
// enforces (uploads, devices, pins, the badge), renewal, lapse on a
// declined renewal that keeps every device and pin but withdraws the
// perks, and cancellation at the period's end.
func TestPremium(t *testing.T) {
	t.Parallel()
	revenueStores(t, func(t *testing.T, o *server.Options) {
		o.Config.MaxDevices = 2
		o.Config.MaxMedia = 1000
		o.Revenue.Premium = revenue.PremiumConfig{Enabled: true, MaxMedia: 4000, MaxDevices: 3, FreePins: 2, MaxPins: 3}
	}, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		alice := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		carol := login(t, env.srv, carolPhone, "phone")
		chats := []wire.ChatView{must(alice.OpenDirect(ctx, bob.AccountID)).get(t), must(alice.OpenDirect(ctx, carol.AccountID)).get(t),
			must(alice.CreateGroup(ctx, "trio", bob.AccountID, carol.AccountID)).get(t)}

		v := must(alice.Premium(ctx)).get(t)
		if v.Active || len(v.Plans) != 2 || v.Plans[0].Price.Minor != 499 || v.Plans[1].Price.Minor != 4999 ||
			v.Perks != (wire.Perks{MaxMediaBytes: 1000, MaxDevices: 2, MaxPins: 2}) {
			t.Fatalf("free view: got %+v", v)
		}

		// Free limits: premium_required, with both limits in the details.
		if err := linkDevice(t, env.srv, alicePhone, "laptop"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, linkDevice(t, env.srv, alicePhone, "tablet"), "premium_required")
		_, err := alice.UploadMedia(ctx, chats[0].ID, "image/png", bytes.NewReader(pngOf(2000)))
		wantCode(t, err, "premium_required")
		must(alice.UploadMedia(ctx, chats[0].ID, "image/png", bytes.NewReader(pngOf(900)))).get(t)
		must(alice.PinChat(ctx, chats[0].ID)).get(t)
		must(alice.PinChat(ctx, chats[1].ID)).get(t)
		must(alice.PinChat(ctx, chats[1].ID)).get(t) // again: no change
		_, err = alice.PinChat(ctx, chats[2].ID)
		wantCode(t, err, "premium_required")
		if p := must(bob.Profile(ctx, alice.AccountID)).get(t); p.Premium {
			t.Fatalf("badge before premium: %+v", p)
		}

		// Subscribing: a bad plan, a declined card, then paid.
		_, err = alice.SubscribePremium(ctx, "week", "card")
		wantCode(t, err, "invalid_argument")
		_, err = alice.SubscribePremium(ctx, "month", "decline")
		wantCode(t, err, "payment_declined")
		if v := must(alice.Premium(ctx)).get(t); v.Active {
			t.Fatalf("after a declined charge: got %+v, want inactive", v)
		}
		v = must(alice.SubscribePremium(ctx, "month", "card")).get(t)
		if !v.Active || v.Plan != "month" || v.Price.Minor != 499 || v.Status != wire.SubActive || v.Perks.MaxMediaBytes != 4000 {
			t.Fatalf("subscribed: got %+v", v)
		}
		_, err = alice.SubscribePremium(ctx, "year", "card")
		wantCode(t, err, "conflict")
		firstEnd := *v.PeriodEnd

		// The perks.
		if err := linkDevice(t, env.srv, alicePhone, "tablet"); err != nil {
			t.Fatalf("a premium member's third device: %v", err)
		}
		wantCode(t, linkDevice(t, env.srv, alicePhone, "watch"), "limit_exceeded") // the premium limit
		must(alice.UploadMedia(ctx, chats[0].ID, "image/png", bytes.NewReader(pngOf(2000)))).get(t)
		_, err = alice.UploadMedia(ctx, chats[0].ID, "image/png", bytes.NewReader(pngOf(5000)))
		wantCode(t, err, "too_large")
		pins := must(alice.PinChat(ctx, chats[2].ID)).get(t)
		if len(pins.ChatIDs) != 3 || pins.ChatIDs[0] != chats[2].ID || pins.Limit != 3 {
			t.Fatalf("pins: got %+v", pins)
		}
		if p := must(bob.Profile(ctx, alice.AccountID)).get(t); !p.Premium {
			t.Fatalf("bob does not see alice's badge: %+v", p)
		}
		if me := must(alice.Me(ctx)).get(t); !me.Premium {
			t.Fatalf("alice does not see her own badge: %+v", me)
		}

		// Renewal: a month on, the sweeper charges the next period.
		env.clock.Advance(32 * 24 * time.Hour)
		sweep(t, env.srv)
		v = must(alice.Premium(ctx)).get(t)
		if !v.Active || !v.PeriodEnd.After(firstEnd) {
			t.Fatalf("renewed: got %+v, want active past %v", v, firstEnd)
		}
		sweep(t, env.srv) // nothing due: no second charge
		sum, n := ledgerSum(t, env.op)
		if sum["premium_charge"] != 998 || n["premium_charge"] != 2 {
			t.Fatalf("ledger: got %v %v, want two premium charges of 499", sum, n)
		}

		// Lapse: the card is declined at the next renewal.
		env.pay.Decline(alice.AccountID, true)
		env.clock.Advance(32 * 24 * time.Hour)
		sweep(t, env.srv)
		v = must(alice.Premium(ctx)).get(t)
		if v.Active || v.Status != wire.SubLapsed || v.Perks.MaxPins != 2 {
			t.Fatalf("lapsed: got %+v", v)
		}
		// Everything made while premium stays; new things beyond the free limits are refused.
		if ds := must(alice.Devices(ctx)).get(t); len(ds) != 3 {
			t.Fatalf("devices after the lapse: got %d, want 3", len(ds))
		}
		if pins := must(alice.PinnedChats(ctx)).get(t); len(pins.ChatIDs) != 3 || pins.Limit != 2 {
			t.Fatalf("pins after the lapse: got %+v, want 3 kept, limit 2", pins)
		}
		wantCode(t, linkDevice(t, env.srv, alicePhone, "watch"), "premium_required")
		_, err = alice.UploadMedia(ctx, chats[0].ID, "image/png", bytes.NewReader(pngOf(2000)))
		wantCode(t, err, "premium_required")
		if err := alice.UnpinChat(ctx, chats[2].ID); err != nil {
			t.Fatal(err)
		}
		_, err = alice.PinChat(ctx, chats[2].ID)
		wantCode(t, err, "premium_required") // two pins are the free limit
		wantCode(t, alice.UnpinChat(ctx, chats[2].ID), "not_found")
		if p := must(bob.Profile(ctx, alice.AccountID)).get(t); p.Premium {
			t.Fatalf("badge after the lapse: %+v", p)
		}
		if _, n := ledgerSum(t, env.op); n["premium_charge"] != 2 {
			t.Fatalf("a declined renewal was booked: %v", n)
		}

		// A new card brings the perks back.
		env.pay.Decline(alice.AccountID, false)
		must(alice.SubscribePremium(ctx, "month", "card2")).get(t)
		must(alice.PinChat(ctx, chats[2].ID)).get(t)

		// Cancel at period end: the perks last to the end, then stop; no charge.
		y := must(bob.SubscribePremium(ctx, "year", "card")).get(t)
		if y.Price.Minor != 4999 || y.PeriodEnd.Sub(env.clock.Now()) < 364*24*time.Hour {
			t.Fatalf("yearly: got %+v", y)
		}
		y = must(bob.CancelPremium(ctx)).get(t)
		if !y.Active || !y.CancelAtEnd {
			t.Fatalf("cancelled: got %+v, want active to the period end", y)
		}
		env.clock.Advance(200 * 24 * time.Hour)
		sweep(t, env.srv)
		if y := must(bob.Premium(ctx)).get(t); !y.Active {
			t.Fatalf("mid-year after cancelling: got %+v, want active", y)
		}
		env.clock.Advance(200 * 24 * time.Hour)
		sweep(t, env.srv)
		y = must(bob.Premium(ctx)).get(t)
		if y.Active || y.Status != wire.SubCancelled {
			t.Fatalf("after the year: got %+v, want cancelled", y)
		}
		_, err = bob.CancelPremium(ctx)
		wantCode(t, err, "not_found")
	})
}

// TestDonationsAndTransparency: one-off and monthly donations, the
// minimum, idempotency, renewal and cancellation, the operator's costs,
// and the public transparency page as JSON and as HTML.
func TestDonationsAndTransparency(t *testing.T) {
	t.Parallel()
	revenueStores(t, func(t *testing.T, o *server.Options) {
		o.Revenue.Donations = true
	}, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		alice := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		month := env.clock.Now().UTC().Format("2006-01")

		_, err := alice.Donate(ctx, client.Donation{AmountMinor: 99, PaymentMethod: "card"})
		wantCode(t, err, "invalid_argument")
		_, err = alice.Donate(ctx, client.Donation{AmountMinor: 500, PaymentMethod: "decline"})
		wantCode(t, err, "payment_declined")
		for range 2 { // the same key donates once
			d := must(alice.Donate(ctx, client.Donation{AmountMinor: 500, PaymentMethod: "card", Key: "gift-1"})).get(t)
			if d.Amount.Minor != 500 || d.Monthly {
				t.Fatalf("donation: got %+v", d)
			}
		}
		m := must(bob.Donate(ctx, client.Donation{AmountMinor: 300, PaymentMethod: "card", Monthly: true})).get(t)
		if !m.Monthly || m.Status != wire.SubActive || m.PeriodEnd == nil {
			t.Fatalf("monthly: got %+v", m)
		}
		_, err = bob.Donate(ctx, client.Donation{AmountMinor: 300, PaymentMethod: "card", Monthly: true})
		wantCode(t, err, "conflict")
		_, err = alice.MonthlyDonation(ctx)
		wantCode(t, err, "not_found")

		// The operator's costs.
		_, err = env.op.AddCost(ctx, wire.OperatingCost{Month: "2026-13", Category: "servers", Minor: 1})
		wantCode(t, err, "invalid_argument")
		must(env.op.AddCost(ctx, wire.OperatingCost{Month: month, Category: "infrastructure", Description: "servers & <bandwidth>", Minor: 1000})).get(t)
		if cs := must(env.op.Costs(ctx, month, month)).get(t); len(cs) != 1 || cs[0].Minor != 1000 || cs[0].Currency == "" {
			t.Fatalf("costs: got %+v", cs)
		}
		_, err = client.NewOperator(env.srv.AdminURL, alice.Session.Token).AddCost(ctx, wire.OperatingCost{Month: month, Category: "x", Minor: 1})
		if err == nil {
			t.Fatal("a person added an operating cost")
		}

		// The public page: no token.
		anon := client.New(env.srv.URL)
		tr := must(anon.Transparency(ctx, month, month)).get(t)
		if len(tr.Months) != 1 || tr.Months[0].Donations != 800 || tr.Months[0].Donors != 2 || tr.Months[0].Costs != 1000 ||
			tr.Balance != -200 || len(tr.Months[0].CostItems) != 1 {
			t.Fatalf("transparency: got %+v", tr)
		}
		if tr := must(anon.Transparency(ctx, "", "")).get(t); len(tr.Months) != 12 || tr.To != month || tr.Donations != 800 {
			t.Fatalf("default transparency: got %d months to %s, %d donated", len(tr.Months), tr.To, tr.Donations)
		}
		_, err = anon.Transparency(ctx, month, "2001-01")
		wantCode(t, err, "invalid_argument")
		resp, err := http.Get(env.srv.URL + "/transparency?from=" + month + "&to=" + month)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("page: %d %v", resp.StatusCode, resp.Header)
		}
		for _, want := range []string{"<table", month, "8.00", "10.00", "-2.00", "servers &amp; &lt;bandwidth&gt;"} {
			if !strings.Contains(string(page), want) {
				t.Errorf("page lacks %q:\n%s", want, page)
			}
		}
		for _, bad := range []string{"<script", "style=", "<style", alicePhone} {
			if strings.Contains(string(page), bad) {
				t.Errorf("page has %q", bad)
			}
		}

		// The monthly donation renews, then ends once cancelled.
		env.clock.Advance(32 * 24 * time.Hour)
		sweep(t, env.srv)
		next := env.clock.Now().UTC().Format("2006-01")
		_, n := ledgerSum(t, env.op)
		if n["donation"] != 3 {
			t.Fatalf("donations in the ledger: got %d, want 3", n["donation"])
		}
		tr = must(anon.Transparency(ctx, month, next)).get(t)
		if tr.Donations != 1100 {
			t.Fatalf("after the renewal: got %+v, want 1100 donated", tr)
		}
		if m := must(bob.CancelMonthlyDonation(ctx)).get(t); !m.CancelAtEnd {
			t.Fatalf("cancel: got %+v", m)
		}
		env.clock.Advance(32 * 24 * time.Hour)
		sweep(t, env.srv)
		if m := must(bob.MonthlyDonation(ctx)).get(t); m.Status != wire.SubCancelled {
			t.Fatalf("after cancelling: got %+v, want cancelled", m)
		}
		if _, n := ledgerSum(t, env.op); n["donation"] != 3 {
			t.Fatalf("a cancelled donation was charged: %v", n)
		}
	})
}

// TestNonprofit: nonprofit mode shows no ads: channel promotions are
// refused, promotions bought before are not shown in the directory, and
// click-to-chat links with an ad source are neither made nor opened.
func TestNonprofit(t *testing.T) {
	t.Parallel()
	revenueStores(t, nil, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		ch := newChannel(t, owner, "charity_news")
		must(owner.Promote(ctx, ch.ID, 7, 1000, "card")).get(t)
		if cs := must(bob.Directory(ctx, client.DirectoryQuery{})).get(t); len(cs) == 0 || !cs[0].Promoted {
			t.Fatalf("with ads: got %+v, want a promoted result first", cs)
		}
		biz := newBusiness(t, env.srv.AdminURL)
		adLink := biz.link(t, env.srv.URL, true)
		if status, _ := openLink(t, env.srv.URL, adLink); status != 200 {
			t.Fatalf("open an ad link with ads: %d", status)
		}

		// The operator turns nonprofit mode on.
		env.srv.Opts.Revenue.Nonprofit = true
		srv := env.srv.Restart(t)
		owner.Client = client.New(srv.URL, client.WithToken(owner.Session.Token))
		bob.Client = client.New(srv.URL, client.WithToken(bob.Session.Token))
		_, err := owner.Promote(ctx, ch.ID, 7, 1000, "card")
		wantCode(t, err, "ads_disabled")
		for _, c := range must(bob.Directory(ctx, client.DirectoryQuery{})).get(t) {
			if c.Promoted {
				t.Fatalf("nonprofit directory shows a promoted result: %+v", c)
			}
		}
		status, body := openLink(t, srv.URL, adLink)
		if status != http.StatusForbidden || !strings.Contains(string(body), "ads_disabled") {
			t.Fatalf("open an ad link in nonprofit mode: %d %s", status, body)
		}
		if status, body := biz.createLink(t, srv.URL, true); status/100 == 2 || !strings.Contains(string(body), "ads_disabled") {
			t.Fatalf("create an ad link in nonprofit mode: %d %s", status, body)
		}
		plain := biz.link(t, srv.URL, false)
		if status, body := openLink(t, srv.URL, plain); status != 200 {
			t.Fatalf("open a link without an ad: %d %s", status, body)
		}
	})
}

// testBusiness is a business with one number and a Cloud API token.
type testBusiness struct {
	id, number int64
	token      string
}

func call(t *testing.T, method, url, token string, in, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctxT(t), method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode, b
}

func newBusiness(t *testing.T, base string) testBusiness {
	t.Helper()
	var biz, num struct {
		ID int64 `json:"id"`
	}
	var tok struct {
		Secret string `json:"token"`
	}
	for _, c := range []struct {
		path string
		in   any
		out  any
	}{
		{"/admin/v1/businesses", map[string]any{"name": "Acme Shoes", "category": "RETAIL"}, &biz},
		{"", map[string]any{"phone": "+14155550190", "display_name": "Acme"}, &num},
		{"", map[string]any{"name": "ci"}, &tok},
	} {
		path := c.path
		switch {
		case c.out == &num:
			path = fmt.Sprintf("/admin/v1/businesses/%d/numbers", biz.ID)
		case c.out == &tok:
			path = fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz.ID)
		}
		if status, b := call(t, "POST", base+path, operatorToken, c.in, c.out); status/100 != 2 {
			t.Fatalf("POST %s: %d %s", path, status, b)
		}
	}
	return testBusiness{id: biz.ID, number: num.ID, token: tok.Secret}
}

func (b testBusiness) createLink(t *testing.T, base string, ad bool) (int, []byte) {
	t.Helper()
	in := map[string]any{"phone_number_id": fmt.Sprint(b.number), "prefilled_message": "Hi"}
	if ad {
		in["source"] = map[string]any{"source_id": "ad-1", "source_type": "ad", "headline": "Sale"}
	}
	return call(t, "POST", fmt.Sprintf("%s/v23.0/%d/ctwa_links", base, b.id), b.token, in, nil)
}

func (b testBusiness) link(t *testing.T, base string, ad bool) string {
	t.Helper()
	status, body := b.createLink(t, base, ad)
	var l struct {
		Code string `json:"code"`
	}
	if status != 200 || json.Unmarshal(body, &l) != nil || l.Code == "" {
		t.Fatalf("create link: %d %s", status, body)
	}
	return l.Code
}

func openLink(t *testing.T, base, code string) (int, []byte) {
	t.Helper()
	return call(t, "GET", base+"/c/"+code, "", nil, nil)
}

// TestOwnerStatements: a channel owner's monthly statement (gross,
// operator's share, net, per channel, with lines), and the payouts of a
// closed month, recorded once by the sweeper or the operator; an open
// month is refused.
func TestOwnerStatements(t *testing.T) {
	t.Parallel()
	revenueStores(t, func(t *testing.T, o *server.Options) {
		o.Channels.RevenueShareBP = 1250 // 12.5%: shares that round
	}, func(t *testing.T, env revenueEnv) {
		ctx := ctxT(t)
		owner := login(t, env.srv, alicePhone, "phone")
		bob := login(t, env.srv, bobPhone, "phone")
		carol := login(t, env.srv, carolPhone, "phone")
		news := newChannel(t, owner, "owner_news")
		deals := newChannel(t, owner, "owner_deals")
		gold := must(owner.CreateTier(ctx, news.ID, "Gold", 499)).get(t)
		vip := must(owner.CreateTier(ctx, deals.ID, "VIP", 1000)).get(t)
		for _, p := range []person{bob, carol} {
			must(p.Follow(ctx, news.ID)).get(t)
			must(p.Subscribe(ctx, news.ID, gold.ID, "card")).get(t)
		}
		must(bob.Follow(ctx, deals.ID)).get(t)
		must(bob.Subscribe(ctx, deals.ID, vip.ID, "card")).get(t)
		now := env.clock.Now().UTC()
		month := now.Format("2006-01")

		st := must(owner.Statement(ctx, month)).get(t)
		if st.Closed || len(st.Channels) != 2 || st.Gross.Minor != 1998 || st.OperatorShare.Minor != 62+62+125 || st.Net.Minor != 1998-249 {
			t.Fatalf("statement: got %+v", st)
		}
		byID := map[int64]wire.ChannelStatement{}
		for _, c := range st.Channels {
			byID[c.ChannelID] = c
		}
		if c := byID[news.ID]; c.Handle != "owner_news" || len(c.Lines) != 2 || c.Gross.Minor != 998 || c.OperatorShare.Minor != 124 ||
			c.Net.Minor != 874 || c.Lines[0].Net != 437 || c.Payout != nil {
			t.Fatalf("news: got %+v", c)
		}
		if c := byID[deals.ID]; len(c.Lines) != 1 || c.Gross.Minor != 1000 || c.OperatorShare.Minor != 125 || c.Net.Minor != 875 {
			t.Fatalf("deals: got %+v", c)
		}
		if st := must(bob.Statement(ctx, month)).get(t); len(st.Channels) != 0 || st.Gross.Minor != 0 {
			t.Fatalf("a subscriber sees a statement: %+v", st)
		}
		_, err := owner.Statement(ctx, "last month")
		wantCode(t, err, "invalid_argument")
		_, err = env.op.RecordPayouts(ctx, month)
		wantCode(t, err, "invalid_argument") // the month has not ended

		// Into the next month: the sweeper pays the closed month out once.
		next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		env.clock.Advance(next.Sub(now) + time.Hour)
		sweep(t, env.srv)
		st = must(owner.Statement(ctx, month)).get(t)
		if !st.Closed || st.Net.Minor != 1749 {
			t.Fatalf("closed statement: got %+v", st)
		}
		for _, c := range st.Channels {
			if c.Payout == nil || c.Payout.Amount.Minor != c.Net.Minor || c.Payout.Month != month {
				t.Fatalf("channel %d: got payout %+v, want %d", c.ChannelID, c.Payout, c.Net.Minor)
			}
		}
		ps := must(env.op.RecordPayouts(ctx, month)).get(t) // again: the same payouts
		sum, n := ledgerSum(t, env.op)
		if len(ps) != 2 || n["owner_payout"] != 2 || sum["owner_payout"] != 1749 {
			t.Fatalf("payouts: got %+v, ledger %v %v; want 2 payouts of 1749 in all", ps, sum, n)
		}
		sweep(t, env.srv)
		if _, n := ledgerSum(t, env.op); n["owner_payout"] != 2 {
			t.Fatalf("a second sweep paid out again: %v", n)
		}
		st = must(owner.Statement(ctx, next.Format("2006-01"))).get(t)
		if st.Closed {
			t.Fatalf("the running month is closed: %+v", st)
		}
		for _, c := range st.Channels {
			for _, l := range c.Lines {
				if l.At.Before(next) {
					t.Fatalf("the next month's statement has a line of %v", l.At)
				}
			}
		}
		_, err = env.op.RecordPayouts(ctx, "2026-99")
		wantCode(t, err, "invalid_argument")
	})
}
