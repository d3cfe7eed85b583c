package cloudapi_test

import (
	"testing"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// TestMediaHeaders sends an IMAGE template with its header by uploaded id
// and an interactive message with a document header by link: the
// customer's device gets the media with the message, and a missing or
// wrong header parameter is Meta's 132000 or 100.
func TestMediaHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, status := e.createTemplate(map[string]any{"name": "new_shoe", "category": "MARKETING", "language": "en_US",
		"components": []any{
			map[string]any{"type": "HEADER", "format": "IMAGE"},
			map[string]any{"type": "BODY", "text": "Meet the {{1}}."},
		}})
	if status != "APPROVED" {
		t.Fatalf("image template: got %s", status)
	}
	img := e.uploadPNG()
	tmpl := func(header ...any) map[string]any {
		comps := []any{map[string]any{"type": "body", "parameters": []any{map[string]any{"type": "text", "text": "Runner"}}}}
		if len(header) > 0 {
			comps = append(comps, map[string]any{"type": "header", "parameters": header})
		}
		return map[string]any{"type": "template", "template": map[string]any{"name": "new_shoe", "language": map[string]any{"code": "en_US"}, "components": comps}}
	}
	e.sendErr(tmpl(), 400, business.MetaTemplateParams)
	e.sendErr(tmpl(map[string]any{"type": "video", "video": map[string]any{"id": img}}), 400, business.MetaTemplateParams)
	e.sendErr(tmpl(map[string]any{"type": "text", "text": "x"}), 400, business.MetaTemplateParams)
	wamid := e.send(tmpl(map[string]any{"type": "image", "image": map[string]any{"id": img}}))
	got := e.receive(e.cust, wamid)
	if got.Template == nil || got.Template.HeaderMedia == nil || got.Template.HeaderMedia.Kind != "image" || got.Template.HeaderMedia.ID != localMedia(t, img) ||
		got.MediaID != localMedia(t, img) || got.MediaKind != "image" || got.Template.Body != "Meet the Runner." {
		t.Errorf("image template: customer got %+v (template %+v)", got, got.Template)
	}
	// The customer's device may download the header image: it was shared into the chat.
	if d, err := e.cust.Media(e.ctx, localMedia(t, img)); err != nil {
		t.Errorf("customer downloads the header image: %v", err)
	} else {
		d.Body.Close()
	}

	// Interactive: a document header by link, within the service window.
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "the manual please"})
	e.hooks.message(in)
	inter := func(header map[string]any) map[string]any {
		return map[string]any{"type": "interactive", "interactive": map[string]any{"type": "button", "header": header,
			"body":   map[string]any{"text": "Here is the manual."},
			"action": map[string]any{"buttons": []any{map[string]any{"type": "reply", "reply": map[string]any{"id": "ok", "title": "Thanks"}}}}}}
	}
	e.sendErr(inter(map[string]any{"type": "document"}), 400, business.MetaInvalidParameter)
	e.sendErr(inter(map[string]any{"type": "document", "document": map[string]any{"link": "ftp://x"}}), 400, business.MetaInvalidParameter)
	e.sendErr(inter(map[string]any{"type": "sticker"}), 400, business.MetaInvalidParameter)
	wamid = e.send(inter(map[string]any{"type": "document", "document": map[string]any{"link": "https://acme.example/manual.pdf", "filename": "manual.pdf"}}))
	got = e.receive(e.cust, wamid)
	if got.Interactive == nil || got.MediaURL != "https://acme.example/manual.pdf" || got.MediaKind != "document" || got.Filename != "manual.pdf" {
		t.Errorf("document header: customer got %+v", got)
	}
}
