package cloudapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	waconfig "github.com/piusalfred/whatsapp/config"
	wamessage "github.com/piusalfred/whatsapp/message"
	whttp "github.com/piusalfred/whatsapp/pkg/http"
	wawebhooks "github.com/piusalfred/whatsapp/webhooks"

	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/testutil"
	"github.com/parleyhq/parley/wire"
)

// TestIndependentClient drives Parley with a published Cloud API client,
// github.com/piusalfred/whatsapp v0.1.12, changing only its BaseURL. The
// library decodes responses with unknown fields disallowed, so any field
// Parley added would fail these calls. Webhooks are checked with the same
// library's signature validation and notification types.
func TestIndependentClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A second endpoint that validates and parses webhooks with the library.
	var mu sync.Mutex
	var notes []wawebhooks.Notification
	lib := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		body, _ := io.ReadAll(r.Body)
		if err := wawebhooks.ValidatePayloadSignature(r.Header, body, e.biz.AppSecret); err != nil {
			t.Errorf("the library rejects Parley's signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var n wawebhooks.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("the library cannot parse a webhook: %v: %s", err, body)
		}
		mu.Lock()
		notes = append(notes, n)
		mu.Unlock()
	}))
	defer lib.Close()
	e.adminDo("PUT", fmt.Sprintf("/admin/v1/businesses/%d/webhook", e.biz.ID), map[string]any{"callback_url": lib.URL, "verify_token": "x"}, nil)

	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "hello from the app"})
	var inbound *wawebhooks.Message
	testutil.Eventually(t, "the library to parse the inbound message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range notes {
			for _, en := range n.Entry {
				for _, c := range en.Changes {
					if c.Value != nil && len(c.Value.Messages) == 1 && c.Value.Messages[0].ID == in {
						inbound = c.Value.Messages[0]
						return true
					}
				}
			}
		}
		return false
	})
	if inbound.Text == nil || inbound.Text.Body != "hello from the app" {
		t.Errorf("library-parsed message: %+v", inbound)
	}

	sender := whttp.NewSender[wamessage.Message]()
	sender.SetHTTPClient(http.DefaultClient)
	reader := waconfig.ReaderFunc(func(context.Context) (*waconfig.Config, error) {
		return &waconfig.Config{BaseURL: e.srv.URL, APIVersion: "v24.0", AccessToken: e.token,
			PhoneNumberID: fmt.Sprint(e.num.ID), BusinessAccountID: fmt.Sprint(e.biz.ID)}, nil
	})
	wa, err := wamessage.NewBaseClient(sender, reader)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	ctx := e.ctx
	send := func(what string, opts ...wamessage.Option) string {
		t.Helper()
		m, err := wamessage.New("+14155550111", opts...)
		if err != nil {
			t.Fatalf("%s: build: %v", what, err)
		}
		resp, err := wa.SendMessage(ctx, m)
		if err != nil {
			t.Fatalf("%s: the library failed: %v", what, err)
		}
		if len(resp.Messages) != 1 || !strings.HasPrefix(resp.Messages[0].ID, "wamid.") || resp.Product != "whatsapp" ||
			len(resp.Contacts) != 1 || resp.Contacts[0].WhatsappID != "14155550111" {
			t.Fatalf("%s: response %+v", what, resp)
		}
		return resp.Messages[0].ID
	}
	id := send("text", wamessage.WithTextMessage(&wamessage.Text{Body: "Hi from the library", PreviewURL: true}))
	if b := e.receive(e.cust, id); b.Text != "Hi from the library" {
		t.Errorf("text: customer got %+v", b)
	}
	id = send("reply", wamessage.WithTextMessage(&wamessage.Text{Body: "a reply"}), wamessage.WithMessageAsReplyTo(in))
	if b := e.receive(e.cust, id); b.ReplyTo != clientID(t, in) {
		t.Errorf("reply: customer got %+v", b)
	}
	id = send("location", wamessage.WithLocationMessage(&wamessage.Location{Latitude: 48.85, Longitude: 2.35, Name: "Paris"}))
	if b := e.receive(e.cust, id); b.Location == nil || b.Location.Name != "Paris" {
		t.Errorf("location: customer got %+v", b)
	}
	id = send("reaction", wamessage.WithReaction(&wamessage.Reaction{MessageID: in, Emoji: "🎉"}))
	if b := e.receive(e.cust, id); b.Emoji != "🎉" {
		t.Errorf("reaction: customer got %+v", b)
	}
	id = send("image", wamessage.WithImage(&wamessage.Image{Link: "https://cdn.example/p.png", Caption: "pic"}))
	if b := e.receive(e.cust, id); b.MediaURL != "https://cdn.example/p.png" || b.MediaKind != "image" {
		t.Errorf("image: customer got %+v", b)
	}
	id = send("buttons", wamessage.WithInteractiveReplyButtons(&wamessage.InteractiveReplyButtonsRequest{Body: "Yes or no?",
		Buttons: []*wamessage.InteractiveReplyButton{{ID: "y", Title: "Yes"}, {ID: "n", Title: "No"}}}))
	if b := e.receive(e.cust, id); b.Interactive == nil || len(b.Interactive.Action.Buttons) != 2 {
		t.Errorf("buttons: customer got %+v", b)
	}
	id = send("cta_url", wamessage.WithInteractiveCTAURLButton(&wamessage.InteractiveCTARequest{Body: "See it", DisplayText: "Open", URL: "https://acme.example"}))
	if b := e.receive(e.cust, id); b.Interactive == nil || b.Interactive.Type != "cta_url" {
		t.Errorf("cta_url: customer got %+v", b)
	}
	e.createTemplate(map[string]any{"name": "hello_world", "category": "UTILITY", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Hello World"}}})
	id = send("template", wamessage.WithTemplateMessage(&wamessage.Template{Name: "hello_world", Language: &wamessage.TemplateLanguage{Code: "en_US"}}))
	if b := e.receive(e.cust, id); b.Template == nil || b.Template.Body != "Hello World" {
		t.Errorf("template: customer got %+v", b)
	}
	// Catalog messages and Flows, built with the library's types.
	cat := e.catalogID()
	e.createProduct(cat, map[string]any{"retailer_id": "sku-1", "name": "Trail shoe", "price": 12999, "currency": "USD"})
	e.createProduct(cat, map[string]any{"retailer_id": "sku-2", "name": "Wool sock", "price": 500, "currency": "USD"})
	id = send("product", wamessage.WithInteractiveMessage(wamessage.NewInteractiveMessageContent("product", wamessage.WithInteractiveBody("Our bestseller"),
		wamessage.WithInteractiveAction(&wamessage.InteractiveAction{CatalogID: cat, ProductRetailerID: "sku-1"}))))
	if b := e.receive(e.cust, id); b.Interactive == nil || b.Interactive.Type != "product" || len(b.Products) != 1 || b.Products[0].Price != "129.99" {
		t.Errorf("product: customer got %+v", b)
	}
	id = send("product_list", wamessage.WithInteractiveMessage(wamessage.NewInteractiveMessageContent("product_list",
		wamessage.WithInteractiveHeader(&wamessage.InteractiveHeader{Type: "text", Text: "Trail season"}), wamessage.WithInteractiveBody("Gear up"),
		wamessage.WithInteractiveAction(&wamessage.InteractiveAction{CatalogID: cat, Sections: []*wamessage.InteractiveSection{
			{Title: "Shoes", ProductItems: []*wamessage.Product{{RetailerID: "sku-1"}}},
			{Title: "Socks", ProductItems: []*wamessage.Product{{RetailerID: "sku-2"}}}}}))))
	if b := e.receive(e.cust, id); b.Interactive == nil || b.Interactive.Type != "product_list" || len(b.Products) != 2 {
		t.Errorf("product_list: customer got %+v", b)
	}
	published := e.createFlow(map[string]any{"name": "booking", "categories": []string{"OTHER"}, "flow_json": flowFixture(t, "static.json"), "publish": true})
	flowID := send("flow", wamessage.WithInteractiveFlow(&wamessage.InteractiveFlowRequest{Body: "Pick a date", FlowMessageVersion: "3",
		FlowToken: "tok-1", FlowID: published, FlowCTA: "Book now", FlowAction: "navigate", FlowScreen: "BOOKING",
		FlowData: map[string]any{"day": "2026-12-24"}}))
	if b := e.receive(e.cust, flowID); b.Interactive == nil || b.Interactive.Type != "flow" || b.Interactive.Action.Parameters.FlowToken != "tok-1" {
		t.Errorf("flow: customer got %+v", b)
	}
	// The finished Flow parses with the library's nfm_reply type.
	rid := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Sent", ReplyTo: flowID,
		Reply: &wire.InteractiveReply{Type: "nfm_reply", Name: "flow", Body: "Sent", ResponseJSON: `{"flow_token":"tok-1"}`}})
	testutil.Eventually(t, "the library to parse the Flow reply", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range notes {
			for _, en := range n.Entry {
				for _, c := range en.Changes {
					if c.Value != nil && len(c.Value.Messages) == 1 && c.Value.Messages[0].ID == rid {
						m := c.Value.Messages[0]
						if m.Interactive == nil || m.Interactive.NFMReply == nil || m.Interactive.NFMReply.Name != "flow" ||
							m.Context == nil || m.Context.ID != flowID {
							t.Errorf("library-parsed Flow reply: %+v", m)
						}
						return true
					}
				}
			}
		}
		return false
	})
	st, err := wa.UpdateStatus(ctx, &wamessage.StatusUpdateRequest{MessageID: in, Status: wamessage.StatusRead})
	if err != nil || !st.Success {
		t.Errorf("mark read through the library: %+v, %v", st, err)
	}
	// Errors come back in a shape the library understands.
	m, _ := wamessage.New("+14155550111", wamessage.WithTemplateMessage(&wamessage.Template{Name: "nope", Language: &wamessage.TemplateLanguage{Code: "en_US"}}))
	if _, err := wa.SendMessage(ctx, m); err == nil || !strings.Contains(err.Error(), "132001") {
		t.Errorf("unknown template through the library: got %v, want an error with 132001", err)
	}
	// Statuses parse with the library's types, pricing included.
	testutil.Eventually(t, "a delivered status parsed by the library", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range notes {
			for _, en := range n.Entry {
				for _, c := range en.Changes {
					if c.Value != nil && len(c.Value.Statuses) == 1 && c.Value.Statuses[0].StatusValue == "delivered" &&
						c.Value.Statuses[0].Pricing != nil {
						return true
					}
				}
			}
		}
		return false
	})
}
