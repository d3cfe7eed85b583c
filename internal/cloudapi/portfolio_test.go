package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/adminapi"
)

// TestPortfolioTier: the messaging limit is the business portfolio's,
// shared by its numbers: a customer reached by one number counts for the
// other, a new number takes the portfolio's limit, and an upgrade moves
// every number.
func TestPortfolioTier(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBulkLogins(), withTimeout(3*time.Minute)) // 12 and 125 customers log in
	var n2 adminapi.Number
	e.adminDo("POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", e.biz.ID), map[string]any{"phone": "+14155550102", "display_name": "Acme Two"}, &n2)
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/numbers/%d", e.num.ID), map[string]any{"tier_limit": 250}, nil)
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/numbers/%d", n2.ID), map[string]any{"tier_limit": 2}, nil)
	var n3 adminapi.Number
	e.adminDo("POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", e.biz.ID), map[string]any{"phone": "+14155550103", "display_name": "Acme Three"}, &n3)
	if n3.TierLimit != 2 {
		t.Errorf("a new number's limit: got %d, want the portfolio's 2", n3.TierLimit)
	}
	e.createTemplate(map[string]any{"name": "notice", "category": "UTILITY", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "Your order was updated"}}})
	from := func(numberID int64, to string) (int, string) {
		code, b := e.cloud("POST", fmt.Sprintf("/%d/messages", numberID), map[string]any{"messaging_product": "whatsapp", "to": to,
			"type": "template", "template": map[string]any{"name": "notice", "language": map[string]any{"code": "en"}}})
		var out sendResponse
		_ = json.Unmarshal(b, &out)
		if len(out.Messages) != 1 {
			return code, ""
		}
		return code, out.Messages[0].ID
	}
	for _, p := range []string{"+14155550122", "+14155550133", "+14155550144"} {
		e.login(p, "C")
	}
	if code, _ := from(e.num.ID, "+14155550122"); code != 200 {
		t.Fatalf("number 1 to a first customer: got %d", code)
	}
	if code, _ := from(n2.ID, "+14155550133"); code != 200 {
		t.Fatalf("number 2 to a second customer: got %d", code)
	}
	// The portfolio has reached its 2 customers: a third is refused on
	// every number (accepted, then failed with 131048 as Meta does), and
	// the ones reached go on, from either number.
	for _, id := range []int64{e.num.ID, n2.ID, n3.ID} {
		code, wamid := from(id, "+14155550144")
		if code != 200 {
			t.Fatalf("number %d to a third customer: got %d, want 200 then a failed status", id, code)
		}
		e.failedStatus(wamid, 131048)
	}
	if code, _ := from(n2.ID, "+14155550122"); code != 200 {
		t.Errorf("number 2 to the customer number 1 reached: got %d, want 200", code)
	}
	// Having reached half of its limit at GREEN quality, the portfolio went
	// up one step (2 is not a step: the operator's limit stays); from the
	// default steps it would: 250 → 1000 on all numbers.
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/numbers/%d", e.num.ID), map[string]any{"tier_limit": 250}, nil)
	e.clock.Advance(25 * time.Hour)
	var reached int
	for i := range 125 {
		p := fmt.Sprintf("+1415556%04d", i)
		e.login(p, "C")
		if code, _ := from([]int64{e.num.ID, n2.ID}[i%2], p); code == 200 {
			reached++
		}
	}
	if reached != 125 {
		t.Fatalf("125 customers under a limit of 250: %d accepted", reached)
	}
	var list struct {
		Numbers []adminapi.Number `json:"numbers"`
	}
	e.adminDo("GET", fmt.Sprintf("/admin/v1/businesses/%d/numbers", e.biz.ID), nil, &list)
	if len(list.Numbers) != 3 {
		t.Fatalf("numbers: got %d, want 3", len(list.Numbers))
	}
	for _, n := range list.Numbers {
		if n.TierLimit != 1000 {
			t.Errorf("number %d after the portfolio reached half of 250: limit %d, want 1000", n.ID, n.TierLimit)
		}
	}
}
