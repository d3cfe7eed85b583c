package cloudapi_test

import (
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/business"
	chatpkg "github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/internal/httpapi"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

func (e *env) createTemplate(tpl map[string]any) (id, status string) {
	e.t.Helper()
	code, b := e.cloud("POST", fmt.Sprintf("/%d/message_templates", e.biz.ID), tpl)
	if code != 200 {
		e.t.Fatalf("create template: %d %s", code, b)
	}
	var out struct{ ID, Status, Category string }
	strict(e.t, b, &out)
	return out.ID, out.Status
}

func TestTemplatesReviewAndSend(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testTemplatesReviewAndSend(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testTemplatesReviewAndSend(t, newEnv(t, withPostgres(t))) })
}

func testTemplatesReviewAndSend(t *testing.T, e *env) {
	// A UTILITY template with promotional wording is rejected as miscategorised.
	id, status := e.createTemplate(map[string]any{"name": "flash_sale", "category": "UTILITY", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Huge discount today only, {{1}}!"}}})
	if status != "REJECTED" {
		t.Errorf("promotional utility template: got %s, want REJECTED", status)
	}
	v := e.hooks.wait("template rejected", func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == id
	})
	if v.Event != "REJECTED" || v.Reason != "INCORRECT_CATEGORY" || v.TemplateName != "flash_sale" || v.TemplateLanguage != "en_US" {
		t.Errorf("rejection webhook: got %+v", v)
	}
	// A marketing template with positional parameters is approved.
	mid, status := e.createTemplate(map[string]any{"name": "new_collection", "category": "MARKETING", "language": "en_US",
		"components": []any{
			map[string]any{"type": "HEADER", "format": "TEXT", "text": "Hello {{1}}"},
			map[string]any{"type": "BODY", "text": "Our {{1}} collection is in, {{2}} off for you."},
			map[string]any{"type": "FOOTER", "text": "Reply STOP to opt out"},
			map[string]any{"type": "BUTTONS", "buttons": []any{map[string]any{"type": "QUICK_REPLY", "text": "Show me"}}},
		}})
	if status != "APPROVED" {
		t.Fatalf("marketing template: got %s, want APPROVED", status)
	}
	e.hooks.wait("template approved", func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.TemplateID.String() == mid && v.Event == "APPROVED"
	})
	// A named utility template.
	e.createTemplate(map[string]any{"name": "order_shipped", "category": "UTILITY", "language": "en", "parameter_format": "named",
		"components": []any{map[string]any{"type": "BODY", "text": "Order {{order}} ships {{when}}."}}})

	// Listing, with paging.
	code, b := e.cloud("GET", fmt.Sprintf("/%d/message_templates?limit=2", e.biz.ID), nil)
	var list struct {
		Data []struct {
			Name, Status, Category, ID, Language string
			Components                           json.RawMessage
			ParameterFormat                      string `json:"parameter_format"`
			RejectedReason                       string `json:"rejected_reason"`
		} `json:"data"`
		Paging struct {
			Cursors struct{ Before, After string } `json:"cursors"`
			Next    string                         `json:"next"`
		} `json:"paging"`
	}
	strict(t, b, &list)
	if code != 200 || len(list.Data) != 2 || list.Paging.Next == "" || list.Data[0].RejectedReason != "INCORRECT_CATEGORY" {
		t.Errorf("template page: got %d %s", code, b)
	}

	// Sending needs the customer? No: templates may open a conversation.
	tmpl := func(name, lang string, comps ...any) map[string]any {
		return map[string]any{"type": "template", "template": map[string]any{"name": name, "language": map[string]any{"code": lang}, "components": comps}}
	}
	body := func(ps ...string) map[string]any {
		var params []any
		for _, p := range ps {
			params = append(params, map[string]any{"type": "text", "text": p})
		}
		return map[string]any{"type": "body", "parameters": params}
	}
	header := map[string]any{"type": "header", "parameters": []any{map[string]any{"type": "text", "text": "Carla"}}}
	e.sendErr(tmpl("new_collection", "en_US", header, body("autumn")), 400, 132000)
	e.sendErr(tmpl("new_collection", "en_US", body("autumn", "20%")), 400, 132000)
	e.sendErr(tmpl("no_such_template", "en_US", body("x")), 400, 132001)
	e.sendErr(tmpl("new_collection", "pt_BR", header, body("autumn", "20%")), 400, 132001)
	e.sendErr(tmpl("flash_sale", "en_US", body("Carla")), 400, 132001) // rejected
	wamid := e.send(tmpl("new_collection", "en_US", header, body("autumn", "20%")))
	got := e.receive(e.cust, wamid)
	if got.Template == nil || got.Template.Body != "Our autumn collection is in, 20% off for you." || got.Template.Header != "Hello Carla" ||
		len(got.Template.Buttons) != 1 || got.Template.Buttons[0].Text != "Show me" || !strings.Contains(got.Text, "Our autumn collection") {
		t.Errorf("customer got template %+v", got)
	}
	st := e.hooks.status(wamid, "delivered")
	if want := (wire.Pricing{Billable: true, PricingModel: "PMP", Category: "marketing", Type: "regular"}); *st.Pricing != want {
		t.Errorf("template pricing: got %+v, want %+v", *st.Pricing, want)
	}
	// Named parameters, in any order.
	named := tmpl("order_shipped", "en", map[string]any{"type": "body", "parameters": []any{
		map[string]any{"type": "text", "parameter_name": "when", "text": "tomorrow"},
		map[string]any{"type": "text", "parameter_name": "order", "text": "#42"}}})
	nid := e.send(named)
	if got := e.receive(e.cust, nid); got.Template.Body != "Order #42 ships tomorrow." {
		t.Errorf("named template: got %q", got.Template.Body)
	}
	e.hooks.status(nid, "delivered")
	us := e.usage()
	if len(us) != 2 || us[0].Event != "template_delivered" || us[0].Category != "marketing" || !us[0].Billable || us[0].Country != "US" ||
		us[1].Category != "utility" || !us[1].Billable {
		t.Errorf("ledger: got %+v", us)
	}
	// Delete.
	code, b = e.cloud("DELETE", fmt.Sprintf("/%d/message_templates?name=order_shipped", e.biz.ID), nil)
	if code != 200 {
		t.Errorf("delete template: %d %s", code, b)
	}
	e.sendErr(named, 400, 132001)
}

func TestManualTemplateReview(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBusinessConfig(business.Config{TemplatePolicy: "manual"}))
	id, status := e.createTemplate(map[string]any{"name": "welcome", "category": "UTILITY", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "Welcome aboard"}}})
	if status != "PENDING" {
		t.Fatalf("manual policy: got %s, want PENDING", status)
	}
	var q struct {
		Templates []adminapi.Template `json:"templates"`
	}
	e.adminDo("GET", "/admin/v1/templates", nil, &q)
	if len(q.Templates) != 1 || fmt.Sprint(q.Templates[0].ID) != id {
		t.Fatalf("review queue: got %+v", q.Templates)
	}
	e.sendErr(map[string]any{"type": "template", "template": map[string]any{"name": "welcome", "language": map[string]any{"code": "en"}}}, 400, 132001)
	e.adminDo("POST", fmt.Sprintf("/admin/v1/templates/%s/review", id), map[string]any{"status": "APPROVED"}, nil)
	e.hooks.wait("approval", func(f string, v hookValue) bool {
		return f == "message_template_status_update" && v.Event == "APPROVED"
	})
	e.send(map[string]any{"type": "template", "template": map[string]any{"name": "welcome", "language": map[string]any{"code": "en"}}})
}

func TestMessageTypesBothWays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{Text: "hi"})
	e.hooks.message(first)

	// Business → customer.
	img := e.send(map[string]any{"type": "image", "image": map[string]any{"link": "https://cdn.acme.example/shoe.jpg", "caption": "Our best seller"}})
	if b := e.receive(e.cust, img); b.MediaKind != "image" || b.MediaURL != "https://cdn.acme.example/shoe.jpg" || b.Text != "Our best seller" {
		t.Errorf("image by link: got %+v", b)
	}
	loc := e.send(map[string]any{"type": "location", "location": map[string]any{"latitude": "52.52", "longitude": 13.405, "name": "Acme Berlin", "address": "Alexanderplatz 1"}})
	if b := e.receive(e.cust, loc); b.Location == nil || b.Location.Latitude != 52.52 || b.Location.Name != "Acme Berlin" {
		t.Errorf("location: got %+v", b)
	}
	react := e.send(map[string]any{"type": "reaction", "reaction": map[string]any{"message_id": first, "emoji": "👍"}})
	if b := e.receive(e.cust, react); b.Emoji != "👍" || b.ReplyTo != clientID(t, first) {
		t.Errorf("reaction: got %+v", b)
	}
	btn := e.send(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "button",
		"body": map[string]any{"text": "Pick a size"}, "footer": map[string]any{"text": "Free returns"},
		"action": map[string]any{"buttons": []any{
			map[string]any{"type": "reply", "reply": map[string]any{"id": "s42", "title": "42"}},
			map[string]any{"type": "reply", "reply": map[string]any{"id": "s43", "title": "43"}}}}}})
	b := e.receive(e.cust, btn)
	if b.Interactive == nil || b.Interactive.Type != "button" || len(b.Interactive.Action.Buttons) != 2 || b.Interactive.Action.Buttons[1].Reply.ID != "s43" {
		t.Errorf("buttons: got %+v", b.Interactive)
	}
	list := e.send(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "list",
		"body": map[string]any{"text": "Choose a store"}, "action": map[string]any{"button": "Stores", "sections": []any{
			map[string]any{"title": "Berlin", "rows": []any{map[string]any{"id": "ber-1", "title": "Mitte", "description": "Open till 8"}}}}}}})
	if b := e.receive(e.cust, list); b.Interactive == nil || b.Interactive.Action.Sections[0].Rows[0].Description != "Open till 8" {
		t.Errorf("list: got %+v", b.Interactive)
	}
	cta := e.send(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "cta_url",
		"body": map[string]any{"text": "Track your order"}, "action": map[string]any{"name": "cta_url",
			"parameters": map[string]any{"display_text": "Track", "url": "https://acme.example/t/42"}}}})
	if b := e.receive(e.cust, cta); b.Interactive == nil || b.Interactive.Action.Parameters.URL != "https://acme.example/t/42" {
		t.Errorf("cta_url: got %+v", b.Interactive)
	}
	// Limits of interactive messages.
	e.sendErr(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "button", "body": map[string]any{"text": "x"},
		"action": map[string]any{"buttons": []any{
			map[string]any{"type": "reply", "reply": map[string]any{"id": "1", "title": "a"}}, map[string]any{"type": "reply", "reply": map[string]any{"id": "2", "title": "b"}},
			map[string]any{"type": "reply", "reply": map[string]any{"id": "3", "title": "c"}}, map[string]any{"type": "reply", "reply": map[string]any{"id": "4", "title": "d"}}}}}}, 400, 100)
	e.sendErr(map[string]any{"type": "text", "text": map[string]any{"body": strings.Repeat("x", 4097)}}, 400, 100)
	// Uploaded media, by id; retrievable on the Cloud API paths.
	mid := e.uploadPNG()
	code, mb := e.cloud("GET", "/"+mid, nil)
	var media struct {
		MessagingProduct string `json:"messaging_product"`
		URL              string `json:"url"`
		MimeType         string `json:"mime_type"`
		SHA256           string `json:"sha256"`
		FileSize         int64  `json:"file_size"`
		ID               string `json:"id"`
	}
	strict(t, mb, &media)
	if code != 200 || media.MimeType != "image/png" || media.ID != mid {
		t.Fatalf("media info: %d %s", code, mb)
	}
	byID := e.send(map[string]any{"type": "image", "image": map[string]any{"id": mid}})
	if b := e.receive(e.cust, byID); b.MediaID != localMedia(t, mid) {
		t.Errorf("image by id: got %+v", b)
	}
	if dl, err := e.cust.Media(e.ctx, localMedia(t, mid)); err != nil {
		t.Errorf("the customer cannot download the business's media: %v", err)
	} else {
		dl.Body.Close()
	}

	// Customer → business.
	l := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{Location: &wire.Location{Latitude: 1.5, Longitude: 2.5, Name: "Home"}})
	if m := e.hooks.message(l); m.Type != "location" || m.Location.Name != "Home" {
		t.Errorf("location webhook: %+v", m)
	}
	r := e.customerSends(e.cust, e.chatID, chatpkg.KindReaction, btn, client.Body{Emoji: "❤️"})
	if m := e.hooks.message(r); m.Type != "reaction" || m.Reaction.MessageID != btn || m.Reaction.Emoji != "❤️" {
		t.Errorf("reaction webhook: %+v", m)
	}
	br := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{Text: "43", ReplyTo: btn,
		Reply: &wire.InteractiveReply{Type: "button_reply", ID: "s43", Title: "43"}})
	if m := e.hooks.message(br); m.Type != "interactive" || m.Interactive.ButtonReply.ID != "s43" || m.Context.ID != btn || m.Context.From != "14155550100" {
		t.Errorf("button reply webhook: %+v", m)
	}
	lr := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{Text: "Mitte", ReplyTo: list,
		Reply: &wire.InteractiveReply{Type: "list_reply", ID: "ber-1", Title: "Mitte", Description: "Open till 8"}})
	if m := e.hooks.message(lr); m.Type != "interactive" || m.Interactive.ListReply.Description != "Open till 8" || m.Context.ID != list {
		t.Errorf("list reply webhook: %+v", m)
	}
	qr := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{Text: "Show me", ReplyTo: btn,
		Reply: &wire.InteractiveReply{Type: "button", Title: "Show me", Payload: "more-boots"}})
	if m := e.hooks.message(qr); m.Type != "button" || m.Button == nil || m.Button.Text != "Show me" || m.Button.Payload != "more-boots" || m.Context.ID != btn {
		t.Errorf("template quick-reply webhook: %+v", m)
	}
	cm, err := e.cust.UploadMedia(e.ctx, e.chatID, "image/png", strings.NewReader(string(pngBytes)))
	if err != nil {
		t.Fatal(err)
	}
	im := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{MediaID: cm.ID, MediaType: "image/png", Text: "this one"})
	m := e.hooks.message(im)
	if m.Type != "image" || m.Image.ID != business.MediaGraphID(cm.ID) || m.Image.Caption != "this one" || m.Image.SHA256 == "" {
		t.Errorf("image webhook: %+v", m)
	}
	if strings.Trim(m.Image.ID, "0123456789") != "" {
		t.Errorf("inbound media id %q: want a digit string", m.Image.ID)
	}
	code, _ = e.cloud("GET", "/"+m.Image.ID+"/content", nil)
	if code != 200 {
		t.Errorf("the business cannot download the customer's image: %d", code)
	}
}

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)

func (e *env) uploadPNG() string {
	e.t.Helper()
	var buf strings.Builder
	mw := newMultipart(&buf)
	ct := mw.FormDataContentType()
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", "image/png")
	fw, _ := mw.CreateFormFile("file", "shoe.png")
	fw.Write(pngBytes)
	mw.Close()
	req, _ := http.NewRequestWithContext(e.ctx, "POST", fmt.Sprintf("%s/v23.0/%d/media", e.srv.URL, e.num.ID), strings.NewReader(buf.String()))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.ID == "" {
		e.t.Fatalf("upload: status %d, %v", resp.StatusCode, err)
	}
	return out.ID
}

func TestLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBusinessConfig(business.Config{MarketingCap: 1, QualityYellow: 1, QualityRed: 2}))
	in := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{Text: "hi"})
	e.hooks.message(in)
	// Throughput: 2 messages per second for this number.
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/numbers/%d", e.num.ID), map[string]any{"throughput": 2}, nil)
	text := map[string]any{"type": "text", "text": map[string]any{"body": "x"}}
	e.clock.Freeze() // a loaded machine takes over half a second a send, which refills the bucket
	e.send(map[string]any{"type": "text", "text": map[string]any{"body": "1"}})
	e.send(map[string]any{"type": "text", "text": map[string]any{"body": "2"}})
	e.sendErr(text, 429, 130429)
	e.clock.Advance(time.Second)
	e.send(map[string]any{"type": "text", "text": map[string]any{"body": "3"}})
	e.clock.Thaw()
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/numbers/%d", e.num.ID), map[string]any{"throughput": 0, "tier_limit": 1}, nil)

	// Messaging-limit tier: 1 unique customer outside the window per 24 h.
	e.createTemplate(map[string]any{"name": "promo", "category": "MARKETING", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "New arrivals"}}})
	e.createTemplate(map[string]any{"name": "notice", "category": "UTILITY", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "Your order was updated"}}})
	promo := map[string]any{"type": "template", "template": map[string]any{"name": "promo", "language": map[string]any{"code": "en"}}}
	notice := func(to string) map[string]any {
		return map[string]any{"to": to, "type": "template", "template": map[string]any{"name": "notice", "language": map[string]any{"code": "en"}}}
	}
	_, _ = e.login("+14155550122", "Dan")
	_, _ = e.login("+14155550133", "Eve")
	e.send(notice("+14155550122"))             // business-initiated: Dan is reached
	e.send(notice("+14155550122"))             // the same customer again is fine
	e.sendFails(notice("14155550133"), 131048) // a second unique customer is not
	e.send(notice(e.custPh))                   // inside Carla's window: does not count
	e.clock.Advance(25 * time.Hour)
	e.send(notice("+14155550133")) // a new day

	// Marketing cap per recipient (1 per 24 h here), then opt-out.
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/numbers/%d", e.num.ID), map[string]any{"tier_limit": 0}, nil)
	e.send(promo)
	e.sendFails(promo, 131049)
	e.clock.Advance(25 * time.Hour)
	if err := e.cust.SetMarketingOptOut(e.ctx, e.num.AccountID, true); err != nil {
		t.Fatalf("opt out: %v", err)
	}
	e.sendFails(promo, 131050)
	e.send(notice(e.custPh)) // utility still goes

	// The customer's client shows the business's profile with its badge.
	prof, err := e.cust.Business(e.ctx, e.num.AccountID)
	if err != nil || !prof.Verified || prof.Name != "Acme" || prof.Website != "https://acme.example" {
		t.Errorf("business profile: %+v, %v", prof, err)
	}
	if _, err := e.cust.Business(e.ctx, e.custID); client.ErrorCode(err) != "not_found" {
		t.Errorf("a person's account as a business: got %v, want not_found", err)
	}

	// Blocks and reports lower quality; at RED the number is paused (368).
	dan, _ := e.login("+14155550122", "Dan")
	if err := dan.ReportBusiness(e.ctx, e.num.AccountID); err != nil {
		t.Fatalf("report: %v", err)
	}
	var n adminapi.Number
	e.adminDo("GET", fmt.Sprintf("/admin/v1/businesses/%d/numbers", e.biz.ID), nil, &struct {
		Numbers *[]adminapi.Number `json:"numbers"`
	}{Numbers: &[]adminapi.Number{}})
	if err := e.cust.BlockBusiness(e.ctx, e.num.AccountID); err != nil {
		t.Fatalf("block: %v", err)
	}
	var ns struct {
		Numbers []adminapi.Number `json:"numbers"`
	}
	e.adminDo("GET", fmt.Sprintf("/admin/v1/businesses/%d/numbers", e.biz.ID), nil, &ns)
	n = ns.Numbers[0]
	if n.Quality != "RED" || n.Status != "PAUSED" {
		t.Errorf("after a report and a block: got quality %s status %s, want RED PAUSED", n.Quality, n.Status)
	}
	e.sendErr(notice("+14155550122"), 400, 368)
	// Unpausing by the operator lets the number send again, except to
	// the customer who blocked it.
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/numbers/%d", e.num.ID), map[string]any{"status": "CONNECTED"}, nil)
	e.sendFails(notice(e.custPh), 131050)
	e.send(notice("+14155550122"))
}

func TestWebhookRetriesAcrossRestart(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testWebhookRetriesAcrossRestart(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testWebhookRetriesAcrossRestart(t, newEnv(t, withPostgres(t))) })
}

func testWebhookRetriesAcrossRestart(t *testing.T, e *env) {
	e.hooks.failures.Store(1 << 20) // the endpoint is down
	in := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{Text: "anyone there?"})
	// Wait until the webhook has failed a few times.
	var first adminapi.Webhook
	var log struct {
		Webhooks []adminapi.Webhook `json:"webhooks"`
	}
	if !testutil.Within(testutil.Timeout, func() bool {
		e.adminDo("GET", fmt.Sprintf("/admin/v1/businesses/%d/webhooks", e.biz.ID), nil, &log)
		if len(log.Webhooks) > 0 && log.Webhooks[len(log.Webhooks)-1].Attempts >= 2 {
			first = log.Webhooks[len(log.Webhooks)-1]
			return true
		}
		return false
	}) {
		t.Fatalf("webhook never retried: %+v", log.Webhooks)
	}
	if first.Status != "pending" || !strings.Contains(first.LastError, "500") {
		t.Errorf("failing webhook: got %+v", first)
	}
	e.restart()
	e.hooks.failures.Store(0)
	e.hooks.message(in)
	// The attempt is recorded just after the endpoint answered.
	var code int
	var b []byte
	if !testutil.Within(testutil.Timeout, func() bool {
		code, b = e.cloud("GET", fmt.Sprintf("/%d/webhook_deliveries/%d/attempts", e.biz.ID, first.ID), nil)
		var attempts struct {
			Data []struct {
				Attempt    int `json:"attempt"`
				StatusCode int `json:"status_code"`
			} `json:"data"`
		}
		_ = json.Unmarshal(b, &attempts)
		return code == 200 && len(attempts.Data) >= 3 && attempts.Data[len(attempts.Data)-1].StatusCode == 200
	}) {
		t.Fatalf("delivery log: %d %s, want failed attempts then a 200", code, b)
	}
	// Replay delivers it once more.
	code, _ = e.cloud("POST", fmt.Sprintf("/%d/webhook_deliveries/%d/replay", e.biz.ID, first.ID), nil)
	if code != 200 {
		t.Fatalf("replay: %d", code)
	}
	n := 0
	if !testutil.Within(testutil.Timeout, func() bool {
		e.hooks.mu.Lock()
		defer e.hooks.mu.Unlock()
		n = 0
		for _, h := range e.hooks.got {
			if _, v := h.change(); len(v.Messages) == 1 && v.Messages[0].ID == in {
				n++
			}
		}
		return n == 2
	}) {
		t.Fatalf("replayed webhook: got %d deliveries, want 2", n)
	}
	// Outbound after the restart still works.
	out := e.send(map[string]any{"type": "text", "text": map[string]any{"body": "yes!"}})
	e.receive(e.cust, out)
	e.hooks.status(out, "delivered")
}

func TestClickToChat(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testClickToChat(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testClickToChat(t, newEnv(t, withPostgres(t))) })
}

func testClickToChat(t *testing.T, e *env) {
	code, b := e.cloud("POST", fmt.Sprintf("/%d/ctwa_links", e.biz.ID), map[string]any{"phone_number_id": fmt.Sprint(e.num.ID),
		"prefilled_message": "I saw your ad", "source": map[string]any{"source_id": "ad-991", "source_type": "ad",
			"source_url": "https://ads.example/991", "headline": "Autumn sale", "body": "Boots from 49", "media_type": "image",
			"image_url": "https://cdn.acme.example/ad.jpg"}})
	if code != 200 {
		t.Fatalf("create link: %d %s", code, b)
	}
	var link struct {
		Code string `json:"code"`
		URL  string `json:"url"`
	}
	_ = json.Unmarshal(b, &link)
	// A browser gets a landing page; the app asks for JSON.
	code, page := e.do("GET", "/c/"+link.Code, "", nil)
	if code != 200 || !strings.Contains(string(page), "parley://chat?") {
		t.Errorf("landing page: %d %s", code, page)
	}
	req, _ := http.NewRequestWithContext(e.ctx, "GET", e.srv.URL+"/c/"+link.Code, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var cl httpapi.ChatLink
	_ = json.NewDecoder(resp.Body).Decode(&cl)
	resp.Body.Close()
	if cl.Phone != "+14155550100" || cl.Text != "I saw your ad" || cl.ClickID == "" {
		t.Fatalf("chat link: %+v", cl)
	}
	// A new customer follows it: the first message carries the click id.
	fran, _ := e.login("+14155550144", "Fran")
	chat := e.openChat(fran)
	in := e.customerSends(fran, chat, chatpkg.KindMessage, "", client.Body{Text: cl.Text, Referral: &wire.Referral{CtwaClid: cl.ClickID}})
	m := e.hooks.message(in)
	want := wire.Referral{SourceURL: "https://ads.example/991", SourceID: "ad-991", SourceType: "ad", Headline: "Autumn sale",
		Body: "Boots from 49", MediaType: "image", ImageURL: "https://cdn.acme.example/ad.jpg", CtwaClid: cl.ClickID}
	if m.Referral == nil || *m.Referral != want {
		t.Errorf("referral: got %+v, want %+v", m.Referral, want)
	}
	// The business replies within 24 h: the free entry point opens for 72 h.
	e.clock.Advance(2 * time.Hour)
	reply := e.send(map[string]any{"to": "+14155550144", "type": "text", "text": map[string]any{"body": "Welcome! Which size?"}})
	e.receive(fran, reply)
	if st := e.hooks.status(reply, "delivered"); st.Pricing.Type != "free_entry_point" || st.Pricing.Billable {
		t.Errorf("reply pricing: %+v", st.Pricing)
	}
	e.createTemplate(map[string]any{"name": "promo", "category": "MARKETING", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "Boots are back"}}})
	promo := map[string]any{"to": "+14155550144", "type": "template", "template": map[string]any{"name": "promo", "language": map[string]any{"code": "en"}}}
	e.clock.Advance(48 * time.Hour)
	free := e.send(promo)
	e.receive(fran, free)
	if st := e.hooks.status(free, "delivered"); st.Pricing.Type != "free_entry_point" || st.Pricing.Billable {
		t.Errorf("marketing inside the entry point: %+v", st.Pricing)
	}
	e.clock.Advance(25 * time.Hour)
	paid := e.send(promo)
	e.receive(fran, paid)
	if st := e.hooks.status(paid, "delivered"); st.Pricing.Type != "regular" || !st.Pricing.Billable {
		t.Errorf("marketing after the entry point: %+v", st.Pricing)
	}
	code, b = e.cloud("GET", fmt.Sprintf("/%d/ctwa_links", e.biz.ID), nil)
	var links struct {
		Data []struct {
			Clicks  int `json:"clicks"`
			Chats   int `json:"chats_started"`
			Replies int `json:"replies"`
		} `json:"data"`
	}
	_ = json.Unmarshal(b, &links)
	if code != 200 || len(links.Data) != 1 || links.Data[0].Clicks != 2 || links.Data[0].Chats != 1 || links.Data[0].Replies != 1 {
		t.Errorf("link counts: %d %s, want 2 clicks, 1 chat, 1 reply", code, b)
	}
	var events []string
	for _, u := range e.usage() {
		events = append(events, u.Event+"/"+u.PricingType)
	}
	if want := "entry_point_message/free_entry_point entry_point_message/free_entry_point template_delivered/regular"; strings.Join(events, " ") != want {
		t.Errorf("ledger: got %v, want %s", events, want)
	}
}

func newMultipart(w *strings.Builder) *multipart.Writer { return multipart.NewWriter(w) }

func TestSlowEndpointDoesNotSlowOthers(t *testing.T) {
	e := newEnv(t, withBulkLogins()) // 12 and 125 customers log in
	// A second business whose endpoint hangs on every POST.
	release := make(chan struct{})
	var hanging atomic.Int64 // POSTs the slow endpoint holds
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Write([]byte(r.URL.Query().Get("hub.challenge")))
			return
		}
		hanging.Add(1)
		defer hanging.Add(-1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	var b2 adminapi.Business
	var n2 adminapi.Number
	e.adminDo("POST", "/admin/v1/businesses", map[string]any{"name": "Slowpoke"}, &b2)
	e.adminDo("POST", fmt.Sprintf("/admin/v1/businesses/%d/numbers", b2.ID), map[string]any{"phone": "+14155550199"}, &n2)
	e.adminDo("PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", b2.ID), map[string]any{"callback_url": slow.URL, "verify_token": "v"}, nil)
	// Many customers write to the slow business (distinct conversations,
	// so all of them are eligible at once).
	for i := range 12 {
		c, _ := e.login(fmt.Sprintf("+1415555%04d", 300+i), "c")
		ch, err := c.OpenDirect(e.ctx, n2.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		e.customerSends(c, ch.ID, chatpkg.KindMessage, "", client.Body{Text: "hello slow"})
	}
	// Every delivery slot of the slow business (PerBusiness, 4) hangs.
	testutil.Eventually(t, "the slow deliveries to start and hang", func() bool { return hanging.Load() >= 4 })
	start := time.Now()
	in := e.customerSends(e.cust, e.chatID, chatpkg.KindMessage, "", client.Body{Text: "hello fast"})
	e.hooks.message(in)
	if took := time.Since(start); took > time.Second {
		t.Errorf("the healthy business's webhook took %v while another endpoint hangs, want well under 1s", took)
	}
}

func TestConversationPricingAndUndeliverable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.adminDo("PATCH", fmt.Sprintf("/admin/v1/businesses/%d", e.biz.ID), map[string]any{"pricing_model": "CBP"}, nil)
	e.createTemplate(map[string]any{"name": "promo", "category": "MARKETING", "language": "en",
		"components": []any{map[string]any{"type": "BODY", "text": "Boots are back"}}})
	promo := map[string]any{"type": "template", "template": map[string]any{"name": "promo", "language": map[string]any{"code": "en"}}}
	first := e.send(promo)
	e.receive(e.cust, first)
	st := e.hooks.status(first, "delivered")
	if st.Pricing == nil || st.Pricing.PricingModel != "CBP" || st.Pricing.Category != "marketing" || !st.Pricing.Billable ||
		st.Conversation == nil || st.Conversation.Origin.Type != "marketing" {
		t.Errorf("CBP status: pricing %+v conversation %+v", st.Pricing, st.Conversation)
	}
	e.clock.Advance(time.Hour)
	second := e.send(map[string]any{"type": "template", "template": map[string]any{"name": "promo", "language": map[string]any{"code": "en"}}})
	e.receive(e.cust, second)
	e.hooks.status(second, "delivered")
	var events []string
	for _, u := range e.usage() {
		events = append(events, u.Event+":"+u.MessageID)
	}
	want := []string{"template_delivered:" + first, "conversation_opened:" + first, "template_delivered:" + second}
	if strings.Join(events, " ") != strings.Join(want, " ") {
		t.Errorf("CBP ledger: got %v, want %v (one conversation opened within 24 h)", events, want)
	}
	// A number without a Parley account: accepted, then failed with 131026.
	id := e.send(map[string]any{"to": "+14155550999", "type": "template", "template": map[string]any{"name": "promo", "language": map[string]any{"code": "en"}}})
	failed := e.hooks.status(id, "failed")
	if len(failed.Errors) != 1 || failed.Errors[0].Code != 131026 || failed.RecipientID != "14155550999" {
		t.Errorf("failed status: %+v", failed)
	}
}

func TestBusinessProfileEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, b := e.cloud("POST", fmt.Sprintf("/%d/whatsapp_business_profile", e.num.ID), map[string]any{"messaging_product": "whatsapp",
		"description": "Shoes since 1990", "address": "1 Main St", "vertical": "RETAIL", "websites": []string{"https://acme.example/shop"}, "about": nil})
	if code != 200 {
		t.Fatalf("update profile: %d %s", code, b)
	}
	code, b = e.cloud("GET", fmt.Sprintf("/%d/whatsapp_business_profile", e.num.ID), nil)
	if code != 200 || !strings.Contains(string(b), `"description":"Shoes since 1990"`) || !strings.Contains(string(b), `"websites":["https://acme.example/shop"]`) {
		t.Errorf("profile: %d %s", code, b)
	}
	if prof, err := e.cust.Business(e.ctx, e.num.AccountID); err != nil || prof.Description != "Shoes since 1990" {
		t.Errorf("the customer's view: %+v, %v", prof, err)
	}
	// Another business's number is not yours.
	code, _ = e.cloud("GET", fmt.Sprintf("/%d/whatsapp_business_profile", e.num.ID+1000), nil)
	if code != 400 {
		t.Errorf("someone else's number: got %d, want 400", code)
	}
}
