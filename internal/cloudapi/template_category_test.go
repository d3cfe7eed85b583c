package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/wire"
)

// createTemplateFull creates a template and returns Meta's whole answer.
func (e *env) createTemplateFull(tpl map[string]any) (id, status, category string) {
	e.t.Helper()
	code, b := e.cloud("POST", fmt.Sprintf("/%d/message_templates", e.biz.ID), tpl)
	if code != 200 {
		e.t.Fatalf("create template: %d %s", code, b)
	}
	var out struct{ ID, Status, Category string }
	strict(e.t, b, &out)
	return out.ID, out.Status, out.Category
}

// listedTemplate returns the template named name from the list endpoint.
type listedTemplate struct {
	ID, Name, Language, Status, Category string
	PreviousCategory                     string `json:"previous_category"`
	RejectedReason                       string `json:"rejected_reason"`
	ParameterFormat                      string `json:"parameter_format"`
	Components                           json.RawMessage
}

func (e *env) listedTemplate(name string) listedTemplate {
	e.t.Helper()
	code, b := e.cloud("GET", fmt.Sprintf("/%d/message_templates?name=%s", e.biz.ID, name), nil)
	var list struct {
		Data   []listedTemplate `json:"data"`
		Paging json.RawMessage  `json:"paging"`
	}
	strict(e.t, b, &list)
	if code != 200 || len(list.Data) != 1 {
		e.t.Fatalf("list templates named %s: got %d %s", name, code, b)
	}
	return list.Data[0]
}

// hookIndex is the position of the first received webhook that matches, or -1.
func (r *receiver) hookIndex(match func(field string, v hookValue) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, h := range r.got {
		if f, v := h.change(); match(f, v) {
			return i
		}
	}
	return -1
}

// TestTemplateCategoryChangeByReview: with TemplateRecategorize on, a
// UTILITY template with promotional wording is approved as MARKETING, as
// Meta does since April 2025: the business gets template_category_update
// (previous_category, new_category) before the APPROVED status update,
// the list shows both categories, and a send is priced, capped and
// refused on opt-out as marketing.
func TestTemplateCategoryChangeByReview(t *testing.T) {
	t.Parallel()
	cfg := withBusinessConfig(business.Config{TemplateRecategorize: true})
	t.Run("sqlite", func(t *testing.T) { testTemplateCategoryChangeByReview(t, newEnv(t, cfg)) })
	t.Run("postgres", func(t *testing.T) { testTemplateCategoryChangeByReview(t, newEnv(t, cfg, withPostgres(t))) })
}

func testTemplateCategoryChangeByReview(t *testing.T, e *env) {
	id, status, category := e.createTemplateFull(map[string]any{"name": "flash_sale", "category": "UTILITY", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Huge discount today only, {{1}}!"}}})
	if status != "APPROVED" || category != "MARKETING" {
		t.Fatalf("promotional utility template: got %s %s, want APPROVED MARKETING", status, category)
	}
	isCategory := func(f string, v hookValue) bool {
		return f == "template_category_update" && v.TemplateID.String() == id
	}
	isApproved := func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == id && v.Event == "APPROVED"
	}
	v := e.hooks.wait("category update", isCategory)
	if v.PreviousCategory != "UTILITY" || v.NewCategory != "MARKETING" || v.TemplateName != "flash_sale" || v.TemplateLanguage != "en_US" {
		t.Errorf("template_category_update: got %+v", v)
	}
	e.hooks.wait("approval", isApproved)
	if c, a := e.hooks.hookIndex(isCategory), e.hooks.hookIndex(isApproved); c > a {
		t.Errorf("template_category_update came at %d, after the approval at %d", c, a)
	}
	if l := e.listedTemplate("flash_sale"); l.Status != "APPROVED" || l.Category != "MARKETING" || l.PreviousCategory != "UTILITY" {
		t.Errorf("listed: got %+v, want APPROVED MARKETING, previous UTILITY", l)
	}

	// The business asked to keep its category: rejected, as before.
	kid, status, category := e.createTemplateFull(map[string]any{"name": "keep_utility", "category": "UTILITY", "language": "en_US",
		"allow_category_change": false, "components": []any{map[string]any{"type": "BODY", "text": "A coupon for order {{1}}"}}})
	if status != "REJECTED" || category != "UTILITY" {
		t.Errorf("allow_category_change false: got %s %s, want REJECTED UTILITY", status, category)
	}
	e.hooks.wait("rejection with allow_category_change false", func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == kid && v.Event == "REJECTED" && v.Reason == "INCORRECT_CATEGORY"
	})
	// Authentication never becomes marketing.
	aid, status, category := e.createTemplateFull(map[string]any{"name": "login_code", "category": "AUTHENTICATION", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "{{1}} is your code. Shop now for a free gift"}}})
	if status != "REJECTED" || category != "AUTHENTICATION" {
		t.Errorf("promotional authentication template: got %s %s, want REJECTED AUTHENTICATION", status, category)
	}
	e.hooks.wait("authentication rejected", func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == aid && v.Event == "REJECTED" && v.Reason == "INCORRECT_CATEGORY"
	})
	// A clean utility template keeps its category, and no category update comes for it.
	uid, _, category := e.createTemplateFull(map[string]any{"name": "order_update", "category": "UTILITY", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Order {{1}} shipped"}}})
	if category != "UTILITY" {
		t.Errorf("clean utility template: got %s, want UTILITY", category)
	}
	e.hooks.wait("utility approved", func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == uid && v.Event == "APPROVED"
	})
	for _, x := range []string{kid, aid, uid} {
		if i := e.hooks.hookIndex(func(f string, v hookValue) bool { return f == "template_category_update" && v.TemplateID.String() == x }); i >= 0 {
			t.Errorf("template %s: a template_category_update came, want none", x)
		}
	}

	// Sends are marketing: priced so, and under the marketing cap.
	send := map[string]any{"type": "template", "template": map[string]any{"name": "flash_sale", "language": map[string]any{"code": "en_US"},
		"components": []any{map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": "Carla"}}}}}}
	wamid := e.send(send)
	if got := e.receive(e.cust, wamid); got.Template == nil || got.Template.Body != "Huge discount today only, Carla!" {
		t.Errorf("customer got %+v", got.Template)
	}
	st := e.hooks.status(wamid, "delivered")
	if want := (wire.Pricing{Billable: true, PricingModel: "PMP", Category: "marketing", Type: "regular"}); st.Pricing == nil || *st.Pricing != want {
		t.Errorf("pricing of the recategorized template: got %+v, want %+v", st.Pricing, want)
	}
	if us := e.usage(); len(us) != 1 || us[0].Category != "marketing" || !us[0].Billable {
		t.Errorf("ledger: got %+v, want one billable marketing entry", us)
	}
	e.send(send)
	e.sendFails(send, 131049) // the marketing cap (2 per 24 h) holds
}

// TestTemplateCategoryChangeOff: with the policy off (the default), a
// promotional UTILITY template is REJECTED with INCORRECT_CATEGORY even
// when the request says allow_category_change: true, and no category
// update is sent.
func TestTemplateCategoryChangeOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id, status, category := e.createTemplateFull(map[string]any{"name": "flash_sale", "category": "UTILITY", "language": "en_US",
		"allow_category_change": true, "components": []any{map[string]any{"type": "BODY", "text": "Huge discount today"}}})
	if status != "REJECTED" || category != "UTILITY" {
		t.Fatalf("policy off: got %s %s, want REJECTED UTILITY", status, category)
	}
	e.hooks.wait("rejection", func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == id && v.Reason == "INCORRECT_CATEGORY"
	})
	if i := e.hooks.hookIndex(func(f string, _ hookValue) bool { return f == "template_category_update" }); i >= 0 {
		t.Errorf("policy off: a template_category_update came")
	}
	if l := e.listedTemplate("flash_sale"); l.Category != "UTILITY" || l.PreviousCategory != "" || l.RejectedReason != "INCORRECT_CATEGORY" {
		t.Errorf("listed: got %+v", l)
	}
}

// TestManualTemplateCategoryChange: the operator's review may change the
// category too; the business gets template_category_update, then the
// APPROVED status update, and the queue shows the previous category.
func TestManualTemplateCategoryChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBusinessConfig(business.Config{TemplatePolicy: "manual"}))
	id, status, _ := e.createTemplateFull(map[string]any{"name": "welcome", "category": "UTILITY", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "Welcome aboard, see what is new"}}})
	if status != "PENDING" {
		t.Fatalf("manual policy: got %s, want PENDING", status)
	}
	path := fmt.Sprintf("/admin/v1/templates/%s/review", id)
	for _, body := range []map[string]any{{"category": "PROMOTIONS"}, {}} {
		if code, b := e.do("POST", path, adminToken, body); code != http.StatusBadRequest {
			t.Errorf("review %v: got %d %s, want 400", body, code, b)
		}
	}
	e.adminDo("POST", path, map[string]any{"status": "APPROVED", "category": "marketing"}, nil)
	isCategory := func(f string, v hookValue) bool {
		return f == "template_category_update" && v.TemplateID.String() == id
	}
	isApproved := func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == id && v.Event == "APPROVED"
	}
	v := e.hooks.wait("category update", isCategory)
	if v.PreviousCategory != "UTILITY" || v.NewCategory != "MARKETING" || v.TemplateName != "welcome" || v.TemplateLanguage != "en" {
		t.Errorf("template_category_update: got %+v", v)
	}
	e.hooks.wait("approval", isApproved)
	if c, a := e.hooks.hookIndex(isCategory), e.hooks.hookIndex(isApproved); c > a {
		t.Errorf("template_category_update came at %d, after the approval at %d", c, a)
	}
	var q struct {
		Templates []adminapi.Template `json:"templates"`
	}
	e.adminDo("GET", "/admin/v1/templates?status=APPROVED", nil, &q)
	if len(q.Templates) != 1 || q.Templates[0].Category != "MARKETING" || q.Templates[0].PreviousCategory != "UTILITY" {
		t.Errorf("approved queue: got %+v", q.Templates)
	}
	// A category alone, back to UTILITY: one more update, no status change.
	e.adminDo("POST", path, map[string]any{"category": "UTILITY"}, nil)
	e.hooks.wait("second category update", func(f string, v hookValue) bool {
		return isCategory(f, v) && v.PreviousCategory == "MARKETING" && v.NewCategory == "UTILITY"
	})
	if l := e.listedTemplate("welcome"); l.Status != "APPROVED" || l.Category != "UTILITY" || l.PreviousCategory != "MARKETING" {
		t.Errorf("listed: got %+v", l)
	}
	wamid := e.send(map[string]any{"type": "template", "template": map[string]any{"name": "welcome", "language": map[string]any{"code": "en"}}})
	if st := e.hooks.status(wamid, "sent"); st.Pricing == nil || st.Pricing.Category != "utility" {
		t.Errorf("pricing after the change back: got %+v, want utility", st.Pricing)
	}
}
