package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestTemplateAnalytics is Meta's GET /{waba-id}/template_analytics: per
// template and day, the messages sent and delivered and what they cost,
// from the ledger and its charges; Meta's parameters validated with 100.
func TestTemplateAnalytics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	promoID, _ := e.createTemplate(map[string]any{"name": "promo", "category": "MARKETING", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Autumn sale"}}})
	orderID, _ := e.createTemplate(map[string]any{"name": "order_ready", "category": "UTILITY", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Your order is ready"}}})
	tpl := func(name string) map[string]any {
		return map[string]any{"type": "template", "template": map[string]any{"name": name, "language": map[string]any{"code": "en_US"}}}
	}
	for _, name := range []string{"promo", "promo", "order_ready"} {
		id := e.send(tpl(name))
		e.receive(e.cust, id)
		e.hooks.status(id, "delivered")
	}
	now := e.clock.Now().Unix()
	type point struct {
		TemplateID string `json:"template_id"`
		Start, End int64
		Sent       *int64 `json:"sent"`
		Delivered  *int64 `json:"delivered"`
		Cost       []struct {
			Type  string  `json:"type"`
			Value float64 `json:"value"`
		} `json:"cost"`
	}
	get := func(params url.Values) (int, []point, []byte) {
		t.Helper()
		status, b := e.cloud("GET", fmt.Sprintf("/%d/template_analytics?%s", e.biz.ID, params.Encode()), nil)
		var out struct {
			Data []struct {
				Granularity string  `json:"granularity"`
				DataPoints  []point `json:"data_points"`
			} `json:"data"`
		}
		if status == 200 {
			if err := json.Unmarshal(b, &out); err != nil || len(out.Data) != 1 || out.Data[0].Granularity != "DAILY" {
				t.Fatalf("template_analytics: %s", b)
			}
			return status, out.Data[0].DataPoints, b
		}
		return status, nil, b
	}
	params := func(ids string, edit func(url.Values)) url.Values {
		v := url.Values{"start": {fmt.Sprint(now - 86400)}, "end": {fmt.Sprint(now + 3600)}, "granularity": {"DAILY"}, "template_ids": {ids}}
		if edit != nil {
			edit(v)
		}
		return v
	}
	status, ps, b := get(params(fmt.Sprintf("[%s,%q]", promoID, orderID), nil))
	if status != 200 || len(ps) < 4 { // two templates, two days at least
		t.Fatalf("template_analytics: %d %s", status, b)
	}
	sent, delivered, spent := map[string]int64{}, map[string]int64{}, map[string]float64{}
	for _, p := range ps {
		if p.Sent == nil || p.Delivered == nil || len(p.Cost) == 0 || p.Cost[0].Type != "amount_spent" || p.End-p.Start != 86400 {
			t.Fatalf("point: %+v", p)
		}
		sent[p.TemplateID] += *p.Sent
		delivered[p.TemplateID] += *p.Delivered
		spent[p.TemplateID] += p.Cost[0].Value
	}
	// The US customer on the October 2026 card: marketing 0.05 each.
	if sent[promoID] != 2 || delivered[promoID] != 2 || spent[promoID] != 0.1 || delivered[orderID] != 1 || spent[orderID] <= 0 {
		t.Errorf("template_analytics: sent %v delivered %v spent %v", sent, delivered, spent)
	}
	// metric_types keeps to what it names.
	_, ps, _ = get(params(promoID, func(v url.Values) { v.Set("metric_types", `["DELIVERED"]`) }))
	for _, p := range ps {
		if p.Sent != nil || p.Cost != nil || p.Delivered == nil {
			t.Errorf("metric_types DELIVERED: got %+v", p)
		}
	}
	// Meta's parameters, checked.
	many := strings.TrimSuffix(strings.Repeat(promoID+",", 11), ",")
	for name, v := range map[string]url.Values{
		"no granularity":      params(promoID, func(v url.Values) { v.Del("granularity") }),
		"half hours":          params(promoID, func(v url.Values) { v.Set("granularity", "HALF_HOUR") }),
		"no start":            params(promoID, func(v url.Values) { v.Del("start") }),
		"start not a number":  params(promoID, func(v url.Values) { v.Set("start", "yesterday") }),
		"end before start":    params(promoID, func(v url.Values) { v.Set("end", fmt.Sprint(now-2*86400)) }),
		"over 90 days":        params(promoID, func(v url.Values) { v.Set("start", fmt.Sprint(now-100*86400)) }),
		"no template_ids":     params("", nil),
		"eleven template_ids": params(many, nil),
		"not a template id":   params("abc", nil),
		"not this business's": params("999999", nil),
		"an unknown metric":   params(promoID, func(v url.Values) { v.Set("metric_types", "[\"VIEWS\"]") }),
		"a malformed list":    params("[1,", nil),
	} {
		if status, _, b := get(v); status != 400 || !strings.Contains(string(b), `"code":100`) {
			t.Errorf("%s: got %d %s, want 400 code 100", name, status, b)
		}
	}
}
