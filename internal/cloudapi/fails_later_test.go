package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
)

// rawSend posts a send as given and returns the status, the body and the
// Parley-Price header.
func (e *env) rawSend(path string, msg map[string]any) (int, []byte, string) {
	e.t.Helper()
	msg["messaging_product"] = "whatsapp"
	b, _ := json.Marshal(msg)
	req, _ := http.NewRequestWithContext(e.ctx, "POST", fmt.Sprintf("%s/v23.0/%d/%s", e.srv.URL, e.num.ID, path), strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body, resp.Header.Get("Parley-Price")
}

// TestErrorsReportedInStatuses: the errors Meta reports through a failed
// status (a closed window, an unknown or invalid-looking number, the
// marketing cap...) answer 200 with a wamid, as on Meta, and a failed
// status carries the error with its href; the dry run says the same
// (allowed, with the failure to come), and the price header agrees, a
// marketing template's category included. Sends refused at once carry a
// Parley-Price too.
func TestErrorsReportedInStatuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBusinessConfig(business.Config{MarketingCap: 1}))
	e.createTemplate(map[string]any{"name": "promo", "category": "MARKETING", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "New arrivals"}}})
	promo := func(to string) map[string]any {
		return map[string]any{"to": to, "type": "template", "biz_opaque_callback_data": "camp-7",
			"template": map[string]any{"name": "promo", "language": map[string]any{"code": "en"}}}
	}
	text := func(to string) map[string]any {
		return map[string]any{"to": to, "type": "text", "text": map[string]any{"body": "hello?"}}
	}
	for _, c := range []struct {
		name      string
		msg       map[string]any
		code      int
		category  string
		recipient string
	}{
		{"free-form outside the window", text(e.custPh), 131047, "service", "14155550111"},
		{"marketing template to a number not on the server", promo("+14155550999"), 131026, "marketing", "14155550999"},
		{"an invalid-looking number", text("+1 555"), 131026, "service", "1555"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, b, _ := e.rawSend("message_quotes", c.msg)
			var q struct {
				Allowed  bool           `json:"allowed"`
				Amount   int64          `json:"amount_micros"`
				Category string         `json:"category"`
				Reason   string         `json:"reason"`
				Failure  map[string]any `json:"failure"`
				Refusal  map[string]any `json:"refusal"`
			}
			if err := json.Unmarshal(b, &q); code != 200 || err != nil {
				t.Fatalf("dry run: %d %s", code, b)
			}
			if !q.Allowed || q.Refusal != nil || q.Failure == nil || q.Failure["code"] != float64(c.code) || q.Amount != 0 ||
				q.Category != c.category || q.Reason != business.ReasonUndeliverable {
				t.Errorf("dry run: got %s, want allowed with failure %d, nothing charged, category %s", b, c.code, c.category)
			}
			code, b, price := e.rawSend("messages", c.msg)
			var out sendResponse
			if code != 200 {
				t.Fatalf("send: got %d %s, want 200 as Meta answers", code, b)
			}
			strict(t, b, &out)
			if len(out.Messages) != 1 || !strings.HasPrefix(out.Messages[0].ID, "wamid.") || out.Contacts[0].WaID != c.recipient {
				t.Fatalf("send: got %s", b)
			}
			want := fmt.Sprintf(`micros=0, amount="0.00", currency="USD", category="%s", billable=?0, reason="undeliverable"`, c.category)
			if price != want {
				t.Errorf("Parley-Price: got %q, want %q", price, want)
			}
			st := e.failedStatus(out.Messages[0].ID, c.code)
			if st.RecipientID != c.recipient {
				t.Errorf("failed status recipient: got %q, want %q", st.RecipientID, c.recipient)
			}
		})
	}
	// The per-recipient marketing cap: the first promo goes, the second
	// fails later with 131049 and its callback data.
	e.send(promo(e.custPh))
	st := e.sendFails(promo(e.custPh), 131049)
	if st.BizOpaqueCallbackData != "camp-7" {
		t.Errorf("callback data of the failed status: got %q", st.BizOpaqueCallbackData)
	}
	// Nothing failed was recorded in the ledger nor held.
	if us := e.usage(); len(us) != 0 {
		t.Errorf("ledger after failed sends: got %+v, want nothing", us)
	}

	// Refused at once: the header says so, with the category when known.
	for _, c := range []struct {
		name  string
		msg   map[string]any
		code  int
		price string
	}{
		{"not a number at all", text("call me"), 100, `category="service", billable=?0, reason="refused"`},
		{"no such template", map[string]any{"to": e.custPh, "type": "template", "template": map[string]any{"name": "nope", "language": map[string]any{"code": "en"}}},
			132001, `category="", billable=?0, reason="refused"`},
		{"an unknown message type", map[string]any{"to": e.custPh, "type": "hologram"}, 100, `category="", billable=?0, reason="refused"`},
	} {
		code, b, price := e.rawSend("messages", c.msg)
		var me metaError
		strict(t, b, &me)
		if code != 400 || me.Error.Code != c.code {
			t.Errorf("%s: got %d %s, want 400 %d", c.name, code, b, c.code)
		}
		if !strings.HasPrefix(price, `micros=0, amount="0.00", currency="USD", `) || !strings.HasSuffix(price, c.price) {
			t.Errorf("%s: Parley-Price %q, want nothing charged and %s", c.name, price, c.price)
		}
	}
	// A payment refusal (131042) stays synchronous, with the category.
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/billing/businesses/%d", e.biz.ID), map[string]any{"mode": "prepaid"}, nil)
	e.clock.Advance(25 * 60 * 60 * 1e9) // past the marketing cap's day
	code, b, price := e.rawSend("messages", promo(e.custPh))
	if code != 400 || !strings.Contains(string(b), "131042") ||
		price != `micros=0, amount="0.00", currency="USD", category="marketing", billable=?0, reason="refused"` {
		t.Errorf("payment refusal: got %d %s, Parley-Price %q", code, b, price)
	}
}
