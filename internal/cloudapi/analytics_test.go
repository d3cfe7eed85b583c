package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// TestAnalytics: the analytics, pricing_analytics and
// conversation_analytics fields of the business account, in Meta's
// shapes, agree with the usage ledger and its charges: two service
// replies and one marketing template are two SERVICE and one MARKETING
// points, whose costs add up to the ledger's charges; the
// message analytics count the three per day; filters and bad queries.
func TestAnalytics(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testAnalytics(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testAnalytics(t, newEnv(t, withPostgres(t))) })
}

func testAnalytics(t *testing.T, e *env) {
	e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "¿hay descuentos?"}))
	for _, text := range []string{"Sí 👍", "20% hoy"} {
		e.receive(e.cust, e.send(map[string]any{"type": "text", "text": map[string]any{"body": text}}))
	}
	if _, status := e.createTemplate(map[string]any{"name": "promo", "category": "MARKETING", "language": "es",
		"components": []any{map[string]any{"type": "BODY", "text": "¡Ofertas de otoño!"}}}); status != "APPROVED" {
		t.Fatalf("template: %s", status)
	}
	tw := e.send(map[string]any{"type": "template", "template": map[string]any{"name": "promo", "language": map[string]any{"code": "es"}}})
	e.receive(e.cust, tw)
	e.hooks.status(tw, "delivered")
	if n := len(e.usage()); n != 3 {
		t.Fatalf("ledger: %d entries, want 3", n)
	}
	var charged int64
	_, cb := e.cloud("GET", fmt.Sprintf("/%d/charges", e.biz.ID), nil)
	var charges struct {
		Data []struct {
			Amount int64 `json:"amount_micros"`
		} `json:"data"`
	}
	if err := json.Unmarshal(cb, &charges); err != nil {
		t.Fatalf("charges: %v: %s", err, cb)
	}
	for _, c := range charges.Data {
		charged += c.Amount
	}
	if charged == 0 {
		t.Fatalf("charges: nothing charged: %s", cb)
	}

	now := e.clock.Now().Unix()
	// An hour either side, but inside today (UTC): the daily points below
	// count the days the range touches, and a run near midnight must not
	// touch tomorrow or yesterday.
	day := now - now%86400
	start, end := max(now-3600, day), min(now+3600, day+86400)
	get := func(fields string) (int, map[string]json.RawMessage) {
		t.Helper()
		status, b := e.cloud("GET", fmt.Sprintf("/%d?fields=%s", e.biz.ID, url.QueryEscape(fields)), nil)
		var out map[string]json.RawMessage
		_ = json.Unmarshal(b, &out)
		if status == http.StatusOK && string(out["id"]) != fmt.Sprintf("%q", fmt.Sprint(e.biz.ID)) {
			t.Errorf("%s: no id: %s", fields, b)
		}
		return status, out
	}

	type point struct {
		Start, End           int64
		Volume, Conversation int64
		Cost                 float64
		PricingCategory      string `json:"pricing_category"`
		PricingType          string `json:"pricing_type"`
		Country              string
		PhoneNumber          string `json:"phone_number"`
		Sent, Delivered      *int64
	}
	status, out := get(fmt.Sprintf(`pricing_analytics.start(%d).end(%d).granularity(DAILY).dimensions(["PRICING_CATEGORY","PRICING_TYPE","COUNTRY","PHONE"])`, start, end))
	var pa struct {
		Data []struct {
			DataPoints []point `json:"data_points"`
		} `json:"data"`
	}
	if status != http.StatusOK || json.Unmarshal(out["pricing_analytics"], &pa) != nil || len(pa.Data) != 1 {
		t.Fatalf("pricing_analytics: status %d: %s", status, out["pricing_analytics"])
	}
	var cost float64
	byCat := map[string]point{}
	for _, p := range pa.Data[0].DataPoints {
		cost += p.Cost
		byCat[p.PricingCategory] = p
		if p.Country != "US" || p.PhoneNumber != "14155550100" || p.End-p.Start != 86400 || p.Start > now || p.End <= now {
			t.Errorf("pricing point: got %+v", p)
		}
	}
	if s, m := byCat["SERVICE"], byCat["MARKETING"]; len(byCat) != 2 || s.Volume != 2 || s.PricingType != "REGULAR" || s.Cost <= 0 || // charged under the October 2026 card, and said so

		m.Volume != 1 || m.Cost <= 0 || m.PricingType != "REGULAR" {
		t.Errorf("pricing points by category: got %+v", byCat)
	}
	if got := int64(cost*1e6 + 0.5); got != charged {
		t.Errorf("pricing_analytics cost: got %d micros, want the ledger's %d", got, charged)
	}

	// Without dimensions: one point for the day.
	_, out = get(fmt.Sprintf(`pricing_analytics.start(%d).end(%d).granularity(DAILY)`, start, end))
	pa.Data = nil
	_ = json.Unmarshal(out["pricing_analytics"], &pa)
	if dps := pa.Data[0].DataPoints; len(dps) != 1 || dps[0].Volume != 3 || dps[0].PricingCategory != "" {
		t.Errorf("pricing_analytics without dimensions: got %+v", dps)
	}
	// A filter on another number or country: nothing.
	_, out = get(fmt.Sprintf(`pricing_analytics.start(%d).end(%d).granularity(DAILY).country_codes(["BR"])`, start, end))
	pa.Data = nil
	_ = json.Unmarshal(out["pricing_analytics"], &pa)
	if dps := pa.Data[0].DataPoints; len(dps) != 0 {
		t.Errorf("pricing_analytics for BR: got %+v", dps)
	}

	// Message analytics: every day of the range, with the day's messages.
	status, out = get(fmt.Sprintf(`analytics.start(%d).end(%d).granularity(DAY).phone_numbers(["14155550100"]),name`, now-2*86400, end))
	var an struct {
		PhoneNumbers []string `json:"phone_numbers"`
		Granularity  string
		DataPoints   []point `json:"data_points"`
	}
	if status != http.StatusOK || json.Unmarshal(out["analytics"], &an) != nil || an.Granularity != "DAY" || len(an.DataPoints) != 3 || string(out["name"]) != `"Acme Shoes"` {
		t.Fatalf("analytics: status %d: %s", status, out["analytics"])
	}
	if last := an.DataPoints[2]; last.Sent == nil || *last.Sent != 3 || *last.Delivered != 3 || *an.DataPoints[0].Sent != 0 {
		t.Errorf("analytics points: got %+v", an.DataPoints)
	}
	if _, ok := out["currency"]; ok {
		t.Errorf("fields= not honoured: currency in %v", out)
	}

	// Conversation analytics: per-message pricing opens no conversations.
	status, out = get(fmt.Sprintf(`conversation_analytics.start(%d).end(%d).granularity(DAILY).dimensions(["CONVERSATION_CATEGORY"])`, start, end))
	if status != http.StatusOK || string(out["conversation_analytics"]) != `{"data":[{"data_points":[]}]}` {
		t.Errorf("conversation_analytics under PMP: status %d: %s", status, out["conversation_analytics"])
	}

	for name, fields := range map[string]string{
		"no start":         fmt.Sprintf(`analytics.end(%d).granularity(DAY)`, end),
		"no granularity":   fmt.Sprintf(`analytics.start(%d).end(%d)`, start, end),
		"bad granularity":  fmt.Sprintf(`analytics.start(%d).end(%d).granularity(WEEK)`, start, end),
		"end before start": fmt.Sprintf(`analytics.start(%d).end(%d).granularity(DAY)`, end, start),
		"start not a time": fmt.Sprintf(`analytics.start(yesterday).end(%d).granularity(DAY)`, end),
		"bad dimension":    fmt.Sprintf(`pricing_analytics.start(%d).end(%d).granularity(DAILY).dimensions(["COLOUR"])`, start, end),
		"unknown modifier": fmt.Sprintf(`analytics.start(%d).end(%d).granularity(DAY).colour(red)`, start, end),
		"unbalanced":       fmt.Sprintf(`analytics.start(%d.end(%d).granularity(DAY)`, start, end),
		"twice":            fmt.Sprintf(`analytics.start(%d).start(%d).end(%d).granularity(DAY)`, start, start, end),
		"too many halves":  fmt.Sprintf(`analytics.start(0).end(%d).granularity(HALF_HOUR)`, end),
	} {
		if status, out := get(fields); status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %v", name, status, out)
		}
	}
}
