package cloudapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/business"
)

// TestTemplatePauses: blocks and reports by customers who received a
// template pause it (132015) for 3 h, then it is reinstated; the operator
// pauses it again (6 h) and a third pause disables it (132016). Each step
// is announced with a message_template_status_update webhook.
func TestTemplatePauses(t *testing.T) {
	t.Parallel()
	cfg := withBusinessConfig(business.Config{MarketingCap: 100, QualityYellow: 100, QualityRed: 200})
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); testTemplatePauses(t, newEnv(t, cfg)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); testTemplatePauses(t, newEnv(t, cfg, withPostgres(t))) })
}

func testTemplatePauses(t *testing.T, e *env) {
	id, status := e.createTemplate(map[string]any{"name": "weekly_deals", "category": "MARKETING", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "This week's deals are in."}}})
	if status != "APPROVED" {
		t.Fatalf("template: %s", status)
	}
	tmpl := map[string]any{"type": "template", "template": map[string]any{"name": "weekly_deals", "language": map[string]any{"code": "en_US"}}}
	send := func(to string) string {
		m := map[string]any{"to": to}
		for k, v := range tmpl {
			m[k] = v
		}
		return e.send(m)
	}
	sendErr := func(code int) metaError {
		m := map[string]any{}
		for k, v := range tmpl {
			m[k] = v
		}
		return e.sendErr(m, 400, code)
	}
	waitEvent := func(event, title string) {
		t.Helper()
		e.hooks.wait("template "+event, func(f string, v hookValue) bool {
			return f == "message_template_status_update" && v.TemplateID.String() == id && v.Event == event &&
				(title == "" || fmt.Sprint(v.OtherInfo["title"]) == title)
		})
	}
	// Three customers get it; two block the business and one reports it.
	for i, kind := range []string{"block", "report", "block"} {
		phone := fmt.Sprintf("+1415555012%d", i)
		c, _ := e.login(phone, fmt.Sprintf("C%d", i))
		e.receive(c, send(phone))
		var err error
		if kind == "block" {
			err = c.BlockBusiness(e.ctx, e.num.AccountID)
		} else {
			err = c.ReportBusiness(e.ctx, e.num.AccountID)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	waitEvent("PAUSED", "FIRST_PAUSE")
	me := sendErr(business.MetaTemplatePaused)
	if me.Error.Message != "Template is Paused" {
		t.Errorf("paused: got %+v", me)
	}
	e.clock.Advance(3*time.Hour + time.Minute)
	send(e.custPh)
	waitEvent("APPROVED", "UNPAUSED")
	// The operator pauses it (the second pause, 6 h), then again: disabled.
	e.adminDo("POST", "/admin/v1/templates/"+id+"/review", map[string]any{"status": "PAUSED"}, nil)
	waitEvent("PAUSED", "SECOND_PAUSE")
	sendErr(business.MetaTemplatePaused)
	e.clock.Advance(5 * time.Hour)
	sendErr(business.MetaTemplatePaused)
	e.adminDo("POST", "/admin/v1/templates/"+id+"/review", map[string]any{"status": "PAUSED"}, nil)
	waitEvent("DISABLED", "DISABLED")
	e.clock.Advance(24 * time.Hour)
	if me := sendErr(business.MetaTemplateDisabled); me.Error.Message != "Template is Disabled" {
		t.Errorf("disabled: got %+v", me)
	}
	code, b := e.cloud("GET", fmt.Sprintf("/%d/message_templates?name=weekly_deals", e.biz.ID), nil)
	if code != 200 || !strings.Contains(string(b), `"status":"DISABLED"`) {
		t.Errorf("template list: %d %s", code, b)
	}
}
