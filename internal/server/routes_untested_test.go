package server_test

// Behaviour tests for the routes that no test called before the
// authorization matrix (which calls every route, but checks only who is
// let in): each is driven here as its client would, and what it does is
// checked. They share the matrix's fixtures (newAuthzWorld).

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRoutesBeyondTheMatrix(t *testing.T) {
	t.Parallel()
	w := newAuthzWorld(t)
	ctx := context.Background()
	ids := w.ids
	chID, _ := strconv.ParseInt(ids["channel"], 10, 64)
	tierID, _ := strconv.ParseInt(ids["tier"], 10, 64)

	t.Run("DELETE /v1/channels/{id}/tiers/{tier}", func(t *testing.T) {
		owner, follower := w.persons["chan-owner"].c, w.persons["follower"].c
		if ts := val(follower.Tiers(ctx, chID))(t); len(ts) != 1 || ts[0].ID != tierID {
			t.Fatalf("before: follower sees tiers %+v, want the one open tier", ts)
		}
		if err := w.persons["chan-admin"].c.CloseTier(ctx, chID, tierID); err == nil {
			t.Error("an admin who is not the owner closed a tier")
		}
		must1(t, owner.CloseTier(ctx, chID, tierID))
		if ts := val(follower.Tiers(ctx, chID))(t); len(ts) != 0 {
			t.Errorf("after: follower sees tiers %+v, want none open", ts)
		}
		if ts := val(owner.Tiers(ctx, chID))(t); len(ts) != 1 {
			t.Errorf("after: owner sees %d tiers, want the closed one still listed", len(ts))
		}
		if _, err := follower.Subscribe(ctx, chID, tierID, "card"); err == nil {
			t.Error("subscribed to a closed tier")
		}
		status, _, body := call(t, w.srv, "DELETE", fmt.Sprintf("/v1/channels/%d/tiers/999999", chID), w.tokens["chan-owner"], "", nil)
		if got := answerOf(status, body); got != "404:not_found" {
			t.Errorf("closing a tier that does not exist: got %s, want 404:not_found", got)
		}
	})

	t.Run("POST /admin/v1/businesses/{id}/app_secret", func(t *testing.T) {
		var before, rotated, after struct {
			AppSecret string `json:"app_secret"`
		}
		w.must(t, "operator", "GET", "/admin/v1/businesses/"+ids["biz"], "", &before)
		w.must(t, "operator", "POST", "/admin/v1/businesses/"+ids["biz"]+"/app_secret", "", &rotated)
		w.must(t, "operator", "GET", "/admin/v1/businesses/"+ids["biz"], "", &after)
		if before.AppSecret == "" || rotated.AppSecret == "" || rotated.AppSecret == before.AppSecret {
			t.Errorf("rotate: got %q after %q, want a new, non-empty secret", rotated.AppSecret, before.AppSecret)
		}
		if after.AppSecret != rotated.AppSecret {
			t.Errorf("the business reads back %q, want the rotated %q", after.AppSecret, rotated.AppSecret)
		}
	})

	t.Run("GET /admin/v1/usage", func(t *testing.T) {
		// The business sends an approved template to a person; the other
		// business sends nothing. The deployment-wide list has the one,
		// and so does the business's.
		w.must(t, "operator", "POST", "/admin/v1/templates/"+ids["template"]+"/review", `{"status":"APPROVED"}`, nil)
		w.must(t, "biz", "POST", "/v23.0/"+ids["number"]+"/messages", fmt.Sprintf(
			`{"messaging_product":"whatsapp","to":%q,"type":"template","template":{"name":"order_ready","language":{"code":"en_US"}}}`, w.phone["member"]), nil)
		// A template is charged when delivered: the member's device takes
		// and acknowledges its inbox.
		member := w.persons["member"].c
		deadline := time.Now().Add(10 * time.Second)
		for acked := false; !acked; {
			es := val(member.Pending(ctx, 0, 100))(t)
			var eids []int64
			for _, e := range es {
				eids = append(eids, e.ID)
			}
			if len(eids) > 0 {
				must1(t, member.Ack(ctx, eids...))
				acked = true
			}
			if time.Now().After(deadline) {
				t.Fatal("the template never reached the member")
			}
			time.Sleep(10 * time.Millisecond)
		}
		type usage struct {
			Usage []struct {
				NumberID    int64  `json:"number_id"`
				Event       string `json:"event"`
				AmountMinor int64  `json:"amount_minor"`
			} `json:"usage"`
		}
		var all, own, other usage
		for len(own.Usage) == 0 && time.Now().Before(deadline) {
			w.must(t, "operator", "GET", "/admin/v1/businesses/"+ids["biz"]+"/usage", "", &own)
			time.Sleep(10 * time.Millisecond)
		}
		w.must(t, "operator", "GET", "/admin/v1/businesses/"+ids["other-biz"]+"/usage", "", &other)
		// The template's later events (delivered, read) may still be
		// rated while this reads: compare the whole ledger with the
		// business's own when the latter held still across the read.
		for {
			var again usage
			w.must(t, "operator", "GET", "/admin/v1/usage", "", &all)
			w.must(t, "operator", "GET", "/admin/v1/businesses/"+ids["biz"]+"/usage", "", &again)
			settled := len(again.Usage) == len(own.Usage)
			own = again
			if settled || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(own.Usage) == 0 || len(other.Usage) != 0 {
			t.Fatalf("per business: got %d and %d records, want some and none", len(own.Usage), len(other.Usage))
		}
		// The whole ledger: the business's records, and the people's
		// money events (the world's channel subscription, premium and
		// donations), which belong to no number.
		numbered := 0
		for _, u := range all.Usage {
			switch {
			case u.NumberID == 0 && u.AmountMinor > 0:
			case itoa(u.NumberID) == ids["number"]:
				numbered++
			default:
				t.Errorf("deployment-wide: unexpected record %+v", u)
			}
		}
		if numbered != len(own.Usage) {
			t.Errorf("deployment-wide: got %d of the number's records, want %d", numbered, len(own.Usage))
		}
	})

	t.Run("POST /admin/v1/businesses/{id}/webhooks/{webhook}/replay", func(t *testing.T) {
		before := w.hookPosts.Load()
		w.must(t, "operator", "POST", "/admin/v1/businesses/"+ids["biz"]+"/webhooks/"+ids["delivery"]+"/replay", "", nil)
		deadline := time.Now().Add(10 * time.Second)
		for w.hookPosts.Load() == before {
			if time.Now().After(deadline) {
				t.Fatal("the replayed webhook never reached the endpoint")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// Another business's delivery id is not this business's.
		status, _, body := call(t, w.srv, "POST", "/admin/v1/businesses/"+ids["other-biz"]+"/webhooks/"+ids["delivery"]+"/replay", w.tokens["operator"], "", nil)
		if got := answerOf(status, body); got != "404:not_found" {
			t.Errorf("replay under the wrong business: got %s, want 404:not_found", got)
		}
	})

	t.Run("GET /admin/v1/billing/cards/{name}/{version}", func(t *testing.T) {
		status, h, body := call(t, w.srv, "GET", "/admin/v1/billing/cards/"+ids["card"]+"/"+ids["card-version"], w.tokens["operator"], "", nil)
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Fatalf("got %d %s, want 200 text/plain", status, h.Get("Content-Type"))
		}
		for _, want := range []string{"card " + ids["card"] + "\n", "version " + ids["card-version"] + "\n"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("card text lacks %q:\n%s", want, body)
			}
		}
		for path, want := range map[string]string{
			"/admin/v1/billing/cards/" + ids["card"] + "/99":   "404:not_found",
			"/admin/v1/billing/cards/" + ids["card"] + "/zero": "400:invalid_argument",
			"/admin/v1/billing/cards/nope/1":                   "404:not_found",
		} {
			status, _, body := call(t, w.srv, "GET", path, w.tokens["operator"], "", nil)
			if got := answerOf(status, body); got != want {
				t.Errorf("GET %s: got %s, want %s", path, got, want)
			}
		}
	})

	t.Run("adjustments and transactions", func(t *testing.T) {
		// POST /admin/v1/billing/businesses/{id}/adjustments, then the
		// business's GET /{version}/{id}/billing/transactions.
		type wallet struct {
			Balance int64 `json:"balance_micros"`
		}
		var w0, w1, w2 wallet
		w.must(t, "operator", "GET", "/admin/v1/billing/businesses/"+ids["biz"], "", &w0)
		adj := `{"amount_micros":2500000,"note":"goodwill","idempotency_key":"beyond-1"}`
		w.must(t, "operator", "POST", "/admin/v1/billing/businesses/"+ids["biz"]+"/adjustments", adj, nil)
		w.must(t, "operator", "GET", "/admin/v1/billing/businesses/"+ids["biz"], "", &w1)
		if w1.Balance != w0.Balance+2500000 {
			t.Errorf("balance: got %d after %d, want 2,500,000 more", w1.Balance, w0.Balance)
		}
		w.must(t, "operator", "POST", "/admin/v1/billing/businesses/"+ids["biz"]+"/adjustments", adj, nil)
		w.must(t, "operator", "GET", "/admin/v1/billing/businesses/"+ids["biz"], "", &w2)
		if w2.Balance != w1.Balance {
			t.Errorf("the same idempotency key twice: balance %d, want %d", w2.Balance, w1.Balance)
		}
		var txs struct {
			Data []struct {
				Kind   string `json:"kind"`
				Amount int64  `json:"amount_micros"`
				Note   string `json:"note"`
			} `json:"data"`
		}
		w.must(t, "biz", "GET", "/v23.0/"+ids["biz"]+"/billing/transactions", "", &txs)
		n := 0
		for _, tx := range txs.Data {
			if tx.Kind == "adjustment" && tx.Amount == 2500000 && tx.Note == "goodwill" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the business sees %d such adjustments in %+v, want 1", n, txs.Data)
		}
		var others struct {
			Data []json.RawMessage `json:"data"`
		}
		w.must(t, "other-biz", "GET", "/v23.0/"+ids["other-biz"]+"/billing/transactions", "", &others)
		if len(others.Data) != 0 {
			t.Errorf("the other business sees %d transactions, want none", len(others.Data))
		}
	})

	t.Run("GET /admin/v1/billing/businesses/{id}/charges", func(t *testing.T) {
		// The charges the operator sees for a business and month are the
		// ones the business sees for itself.
		var op, own struct {
			Data []json.RawMessage `json:"data"`
		}
		w.must(t, "operator", "GET", "/admin/v1/billing/businesses/"+ids["biz"]+"/charges?period="+ids["month"], "", &op)
		w.must(t, "biz", "GET", "/v23.0/"+ids["biz"]+"/charges?period="+ids["month"], "", &own)
		if len(op.Data) != len(own.Data) {
			t.Errorf("operator sees %d charges, the business %d", len(op.Data), len(own.Data))
		}
		status, _, body := call(t, w.srv, "GET", "/admin/v1/billing/businesses/"+ids["biz"]+"/charges", w.tokens["operator"], "", nil)
		if got := answerOf(status, body); got != "400:invalid_argument" {
			t.Errorf("no period: got %s, want 400:invalid_argument", got)
		}
	})
}
