package cloudapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/adminapi"
	"github.com/parleyhq/parley/wire"
)

// TestCatalogProductsAndOrders: a business fills its catalog, sends a
// product and a product list (with Meta's validation errors), the customer
// receives the products as structured content and orders in reply; the
// order reaches the webhook in Meta's shape with the catalog's prices and
// context, and an order for an unknown product is refused.
func TestCatalogProductsAndOrders(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testCatalogProductsAndOrders(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testCatalogProductsAndOrders(t, newEnv(t, withPostgres(t))) })
}

// TestFlows: a Flow message is validated and delivered with its
// parameters; the customer's finished Flow reaches the webhook as an
// nfm_reply with context.
func TestFlows(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testFlows(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testFlows(t, newEnv(t, withPostgres(t))) })
}

// TestDeleteMedia: a business deletes media it uploaded; a later GET or
// DELETE is Meta's "does not exist"; media a customer sent cannot be
// deleted by the business.
func TestDeleteMedia(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testDeleteMedia(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testDeleteMedia(t, newEnv(t, withPostgres(t))) })
}

// cloudErr calls the Cloud API and checks Meta's error shape, status,
// code and subcode.
func (e *env) cloudErr(method, path string, body any, wantStatus, wantCode, wantSubcode int) metaError {
	e.t.Helper()
	status, b := e.cloud(method, path, body)
	var me metaError
	strict(e.t, b, &me)
	if status != wantStatus || me.Error.Code != wantCode || me.Error.ErrorSubcode != wantSubcode || me.Error.Type != "OAuthException" {
		e.t.Fatalf("%s %s: got status %d %s, want status %d code %d subcode %d", method, path, status, b, wantStatus, wantCode, wantSubcode)
	}
	return me
}

// catalogID returns the business's catalog id.
func (e *env) catalogID() string {
	e.t.Helper()
	status, b := e.cloud("GET", fmt.Sprintf("/%d/product_catalogs", e.biz.ID), nil)
	var out struct {
		Data []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"data"`
	}
	strict(e.t, b, &out)
	if status != 200 || len(out.Data) != 1 || out.Data[0].ID == "" {
		e.t.Fatalf("product_catalogs: %d %s", status, b)
	}
	return out.Data[0].ID
}

func (e *env) createProduct(catalog string, p map[string]any) string {
	e.t.Helper()
	status, b := e.cloud("POST", "/"+catalog+"/products", p)
	var out struct {
		ID string `json:"id"`
	}
	strict(e.t, b, &out)
	if status != 200 || out.ID == "" {
		e.t.Fatalf("create product %v: %d %s", p, status, b)
	}
	return out.ID
}

// customerSendErr sends content that the server must refuse with code.
func (e *env) customerSendErr(body client.Body, code parley.Code) *client.Error {
	e.t.Helper()
	_, err := e.cust.SendBody(e.ctx, e.chatID, client.NewMessageID(), chat.KindMessage, "", body)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != string(code) {
		e.t.Fatalf("customer send %+v: got %v, want %s", body, err, code)
	}
	return ce
}

// rawHook returns the raw body of the webhook that carries message id.
func (r *receiver) rawHook(id string) string {
	r.t.Helper()
	r.message(id)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, h := range r.got {
		if f, v := h.change(); f == "messages" && len(v.Messages) == 1 && v.Messages[0].ID == id {
			return string(r.raw[i])
		}
	}
	return ""
}

func testCatalogProductsAndOrders(t *testing.T, e *env) {
	cat := e.catalogID()
	if again := e.catalogID(); again != cat {
		t.Fatalf("catalog id changed: %s then %s", cat, again)
	}
	shoeID := e.createProduct(cat, map[string]any{"retailer_id": "sku-shoe", "name": "Trail shoe", "description": "Waterproof",
		"price": 12999, "currency": "USD", "image_url": "https://acme.example/shoe.jpg", "availability": "in stock"})
	sockID := e.createProduct(cat, map[string]any{"retailer_id": "sku-sock", "name": "Wool sock", "price": "500", "currency": "usd"})
	e.cloudErr("POST", "/"+cat+"/products", map[string]any{"retailer_id": "sku-shoe", "name": "Again", "price": 1, "currency": "USD"}, 400, 100, 0)
	e.cloudErr("POST", "/"+cat+"/products", map[string]any{"retailer_id": "sku-x", "price": 1, "currency": "USD"}, 400, 100, 0)
	e.cloudErr("POST", "/"+cat+"/products", map[string]any{"retailer_id": "sku-x", "name": "x", "price": 1, "currency": "USD", "availability": "maybe"}, 400, 100, 0)
	e.cloudErr("POST", "/999999/products", map[string]any{"retailer_id": "sku-x", "name": "x", "price": 1, "currency": "USD"}, 400, 100, 33)
	e.cloudErr("GET", "/999999/products", nil, 400, 100, 33)

	status, b := e.cloud("GET", "/"+cat+"/products?limit=1", nil)
	type productOut struct {
		ID           string `json:"id"`
		RetailerID   string `json:"retailer_id"`
		Name         string `json:"name"`
		Description  string `json:"description"`
		Price        string `json:"price"`
		Currency     string `json:"currency"`
		ImageURL     string `json:"image_url"`
		Availability string `json:"availability"`
	}
	var page struct {
		Data   []productOut `json:"data"`
		Paging struct {
			Cursors struct{ Before, After string } `json:"cursors"`
			Next    string                         `json:"next"`
		} `json:"paging"`
	}
	strict(t, b, &page)
	want := productOut{ID: shoeID, RetailerID: "sku-shoe", Name: "Trail shoe", Description: "Waterproof", Price: "129.99", Currency: "USD",
		ImageURL: "https://acme.example/shoe.jpg", Availability: "in stock"}
	if status != 200 || len(page.Data) != 1 || page.Data[0] != want || page.Paging.Next == "" {
		t.Fatalf("products page 1: %d %s", status, b)
	}
	status, b = e.cloud("GET", "/"+cat+"/products?limit=1&after="+page.Paging.Cursors.After, nil)
	page.Data, page.Paging.Next = nil, ""
	strict(t, b, &page)
	if status != 200 || len(page.Data) != 1 || page.Data[0].ID != sockID || page.Data[0].Price != "5.00" || page.Data[0].Availability != "in stock" {
		t.Fatalf("products page 2: %d %s", status, b)
	}

	// The customer opens the service window.
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "what do you sell?"})
	e.hooks.message(in)

	product := func(catalog, sku string, extra map[string]any) map[string]any {
		i := map[string]any{"type": "product", "body": map[string]any{"text": "Our bestseller"}, "footer": map[string]any{"text": "Free returns"},
			"action": map[string]any{"catalog_id": catalog, "product_retailer_id": sku}}
		for k, v := range extra {
			i[k] = v
		}
		return map[string]any{"type": "interactive", "interactive": i}
	}
	e.sendErr(product(cat, "sku-missing", nil), 400, business.MetaParameterValue)
	e.sendErr(product("424242", "sku-shoe", nil), 400, business.MetaParameterValue)
	e.sendErr(product(cat, "", nil), 400, business.MetaInvalidParameter)
	e.sendErr(product(cat, "sku-shoe", map[string]any{"header": map[string]any{"type": "text", "text": "Hi"}}), 400, business.MetaInvalidParameter)
	wamid := e.send(product(cat, "sku-shoe", nil))
	got := e.receive(e.cust, wamid)
	wantProduct := wire.CatalogProduct{CatalogID: cat, RetailerID: "sku-shoe", Name: "Trail shoe", Description: "Waterproof", Price: "129.99",
		Currency: "USD", ImageURL: "https://acme.example/shoe.jpg", Availability: "in stock"}
	if got.Interactive == nil || got.Interactive.Type != "product" || got.Interactive.Action.ProductRetailerID != "sku-shoe" ||
		len(got.Products) != 1 || got.Products[0] != wantProduct || got.Text != "Our bestseller" {
		t.Errorf("product message: customer got %+v", got)
	}
	// Without a body, the plain rendering names the product.
	noBody := product(cat, "sku-sock", nil)
	delete(noBody["interactive"].(map[string]any), "body")
	got = e.receive(e.cust, e.send(noBody))
	if len(got.Products) != 1 || got.Text != "Wool sock 5.00 USD" {
		t.Errorf("product without body: customer got %+v", got)
	}

	list := func(header any, sections ...any) map[string]any {
		i := map[string]any{"type": "product_list", "body": map[string]any{"text": "Gear up"},
			"action": map[string]any{"catalog_id": cat, "sections": sections}}
		if header != nil {
			i["header"] = header
		}
		return map[string]any{"type": "interactive", "interactive": i}
	}
	section := func(title string, skus ...string) map[string]any {
		var items []any
		for _, s := range skus {
			items = append(items, map[string]any{"product_retailer_id": s})
		}
		return map[string]any{"title": title, "product_items": items}
	}
	header := map[string]any{"type": "text", "text": "Trail season"}
	e.sendErr(list(nil, section("Shoes", "sku-shoe")), 400, business.MetaInvalidParameter)
	e.sendErr(list(map[string]any{"type": "image", "image": map[string]any{"link": "https://acme.example/x.png"}}, section("Shoes", "sku-shoe")), 400, business.MetaInvalidParameter)
	e.sendErr(list(header), 400, business.MetaInvalidParameter)
	e.sendErr(list(header, section("", "sku-shoe")), 400, business.MetaInvalidParameter)
	e.sendErr(list(header, section("Shoes")), 400, business.MetaInvalidParameter)
	var eleven []any
	for i := range 11 {
		eleven = append(eleven, section(fmt.Sprint("S", i), fmt.Sprint("sku-", i)))
	}
	e.sendErr(list(header, eleven...), 400, business.MetaInvalidParameter)
	var many []string
	for i := range 31 {
		many = append(many, fmt.Sprint("sku-", i))
	}
	e.sendErr(list(header, section("A", many[:16]...), section("B", many[16:]...)), 400, business.MetaParameterValue)
	e.sendErr(list(header, section("Shoes", "sku-shoe"), section("Socks", "sku-sock", "sku-missing")), 400, business.MetaParameterValue)
	listID := e.send(list(header, section("Shoes", "sku-shoe"), section("Socks", "sku-sock")))
	got = e.receive(e.cust, listID)
	if got.Interactive == nil || got.Interactive.Type != "product_list" || got.Interactive.Header.Text != "Trail season" ||
		len(got.Interactive.Action.Sections) != 2 || len(got.Products) != 2 || got.Products[1].RetailerID != "sku-sock" || got.Products[1].Price != "5.00" {
		t.Errorf("product_list: customer got %+v", got)
	}

	// The customer orders from the list: the webhook has Meta's order,
	// with the catalog's prices filled in, and the list as context.
	order := &wire.Order{CatalogID: cat, Text: "for the weekend", ProductItems: []wire.OrderItem{
		{ProductRetailerID: "sku-shoe", Quantity: 1},
		{ProductRetailerID: "sku-sock", Quantity: 3, ItemPrice: "5", Currency: "USD"},
	}}
	oid := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Order: 4 items", ReplyTo: listID, Order: order})
	m := e.hooks.message(oid)
	wantOrder := wire.Order{CatalogID: cat, Text: "for the weekend", ProductItems: []wire.OrderItem{
		{ProductRetailerID: "sku-shoe", Quantity: 1, ItemPrice: "129.99", Currency: "USD"},
		{ProductRetailerID: "sku-sock", Quantity: 3, ItemPrice: "5.00", Currency: "USD"},
	}}
	if m.Type != "order" || m.Order == nil || m.Context == nil || m.Context.ID != listID || m.Text != nil {
		t.Fatalf("order webhook: got %+v", m)
	}
	if gotJSON, _ := json.Marshal(m.Order); !bytes.Equal(gotJSON, must(json.Marshal(wantOrder))) {
		t.Errorf("order: got %s, want %+v", gotJSON, wantOrder)
	}
	if raw := e.hooks.rawHook(oid); !strings.Contains(raw, `"item_price":129.99`) || !strings.Contains(raw, `"type":"order"`) {
		t.Errorf("order webhook: item_price is not a JSON number: %s", raw)
	}

	// Orders that do not match the catalog are refused to the customer.
	ce := e.customerSendErr(client.Body{Order: &wire.Order{CatalogID: cat, ProductItems: []wire.OrderItem{{ProductRetailerID: "sku-nope", Quantity: 1}}}}, parley.EInvalid)
	if !strings.Contains(ce.Message, "sku-nope") || ce.Details["field"] != "order.product_items[0].product_retailer_id" {
		t.Errorf("unknown product: got %+v", ce)
	}
	e.customerSendErr(client.Body{Order: &wire.Order{CatalogID: "999999", ProductItems: []wire.OrderItem{{ProductRetailerID: "sku-shoe", Quantity: 1}}}}, parley.EInvalid)
	e.customerSendErr(client.Body{Order: &wire.Order{CatalogID: cat, ProductItems: []wire.OrderItem{{ProductRetailerID: "sku-shoe", Quantity: 1, ItemPrice: "1.00"}}}}, parley.EInvalid)
	e.customerSendErr(client.Body{Order: &wire.Order{CatalogID: cat, ProductItems: []wire.OrderItem{{ProductRetailerID: "sku-shoe", Quantity: 0}}}}, parley.EInvalid)
	e.customerSendErr(client.Body{Order: &wire.Order{CatalogID: cat}}, parley.EInvalid)

	// A deleted product can no longer be sent; its id is gone.
	status, b = e.cloud("DELETE", "/"+sockID, nil)
	var ok struct {
		Success bool `json:"success"`
	}
	strict(t, b, &ok)
	if status != 200 || !ok.Success {
		t.Fatalf("delete product: %d %s", status, b)
	}
	e.cloudErr("DELETE", "/"+sockID, nil, 400, 100, 33)
	e.sendErr(product(cat, "sku-sock", nil), 400, business.MetaParameterValue)

	// Another business cannot see or change this catalog.
	other := e.otherBusinessToken()
	code, b := e.do("GET", "/v23.0/"+cat+"/products", other, nil)
	if code != 400 || !strings.Contains(string(b), `"error_subcode":33`) {
		t.Errorf("another business lists the catalog: %d %s", code, b)
	}
	code, b = e.do("DELETE", "/v23.0/"+shoeID, other, nil)
	if code != 400 || !strings.Contains(string(b), `"error_subcode":33`) {
		t.Errorf("another business deletes a product: %d %s", code, b)
	}
}

// otherBusinessToken creates a second business and returns its token.
func (e *env) otherBusinessToken() string {
	e.t.Helper()
	var biz struct {
		ID int64 `json:"id"`
	}
	e.adminDo("POST", "/admin/v1/businesses", map[string]any{"name": "Rival", "category": "RETAIL"}, &biz)
	var tok adminapi.Token
	e.adminDo("POST", fmt.Sprintf("/admin/v1/businesses/%d/tokens", biz.ID), map[string]any{"name": "ci"}, &tok)
	return tok.Secret
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func testFlows(t *testing.T, e *env) {
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "I want to book"})
	e.hooks.message(in)
	// The Flows a message names must exist: published for mode
	// published, a draft for mode draft.
	flowID := e.createFlow(map[string]any{"name": "booking", "categories": []string{"APPOINTMENT_BOOKING"}, "flow_json": flowFixture(t, "static.json"), "publish": true})
	draftID := e.createFlow(map[string]any{"name": "draft", "categories": []string{"OTHER"}, "flow_json": flowFixture(t, "static.json")})
	flow := func(params map[string]any) map[string]any {
		p := map[string]any{"flow_message_version": "3", "flow_token": "tok-1", "flow_id": flowID, "flow_cta": "Book now",
			"mode": "published", "flow_action": "navigate",
			"flow_action_payload": map[string]any{"screen": "BOOKING", "data": map[string]any{"dates": []string{"2026-12-24"}}}}
		for k, v := range params {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return map[string]any{"type": "interactive", "interactive": map[string]any{"type": "flow",
			"header": map[string]any{"type": "text", "text": "Bookings"}, "body": map[string]any{"text": "Pick a date"},
			"action": map[string]any{"name": "flow", "parameters": p}}}
	}
	e.sendErr(flow(map[string]any{"flow_message_version": "2"}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"flow_name": "booking"}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"flow_id": nil}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"flow_cta": "Book your appointment"}), 400, business.MetaInvalidParameter) // 21 characters
	e.sendErr(flow(map[string]any{"flow_cta": nil}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"mode": "live"}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"flow_action": "data_exchange"}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"flow_action_payload": nil}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"flow_action_payload": map[string]any{"screen": "BOOKING", "data": map[string]any{}}}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"flow_action": "jump"}), 400, business.MetaInvalidParameter)
	e.sendErr(flow(map[string]any{"flow_id": "1197715005513101"}), 400, business.MetaParameterValue)
	e.sendErr(flow(map[string]any{"flow_id": nil, "flow_name": "nope"}), 400, business.MetaParameterValue)
	e.sendErr(flow(map[string]any{"flow_id": draftID}), 400, business.MetaParameterValue)
	e.send(flow(map[string]any{"flow_id": draftID, "mode": "draft"}))
	noBody := flow(nil)
	delete(noBody["interactive"].(map[string]any), "body")
	e.sendErr(noBody, 400, business.MetaInvalidParameter)
	// data_exchange, by name, takes no payload.
	e.send(flow(map[string]any{"flow_id": nil, "flow_name": "booking", "flow_action": "data_exchange", "flow_action_payload": nil}))

	wamid := e.send(flow(nil))
	got := e.receive(e.cust, wamid)
	if got.Interactive == nil || got.Interactive.Type != "flow" || got.Interactive.Action.Name != "flow" || got.Interactive.Action.Parameters == nil {
		t.Fatalf("flow: customer got %+v", got)
	}
	p := got.Interactive.Action.Parameters
	if p.FlowToken != "tok-1" || p.FlowID != flowID || p.FlowCTA != "Book now" || p.FlowMessageVersion != "3" || p.Mode != "published" ||
		p.FlowAction != "navigate" || p.FlowActionPayload == nil || p.FlowActionPayload.Screen != "BOOKING" ||
		string(p.FlowActionPayload.Data) != `{"dates":["2026-12-24"]}` || p.DisplayText != "" || got.Text != "Pick a date" {
		t.Errorf("flow parameters: customer got %+v (payload %+v)", p, p.FlowActionPayload)
	}

	// The finished Flow comes back as nfm_reply, with the Flow as context.
	resp := `{"flow_token":"tok-1","date":"2026-12-24"}`
	rid := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Sent", ReplyTo: wamid,
		Reply: &wire.InteractiveReply{Type: "nfm_reply", Name: "flow", Body: "Sent", ResponseJSON: resp}})
	m := e.hooks.message(rid)
	if m.Type != "interactive" || m.Interactive == nil || m.Interactive.Type != "nfm_reply" || m.Interactive.NfmReply == nil ||
		m.Context == nil || m.Context.ID != wamid || m.Text != nil {
		t.Fatalf("nfm_reply webhook: got %+v", m)
	}
	if r := *m.Interactive.NfmReply; r != (wire.NfmReply{Name: "flow", Body: "Sent", ResponseJSON: resp}) {
		t.Errorf("nfm_reply: got %+v", r)
	}
	ce := e.customerSendErr(client.Body{ReplyTo: wamid, Reply: &wire.InteractiveReply{Type: "nfm_reply", Name: "flow", ResponseJSON: "not json"}}, parley.EInvalid)
	if ce.Details["field"] != "interactive_reply.response_json" {
		t.Errorf("bad response_json: got %+v", ce)
	}
}

func testDeleteMedia(t *testing.T, e *env) {
	img := e.uploadPNG()
	if status, b := e.cloud("GET", "/"+img, nil); status != 200 {
		t.Fatalf("get uploaded media: %d %s", status, b)
	}
	status, b := e.cloud("DELETE", "/"+img, nil)
	var ok struct {
		Success bool `json:"success"`
	}
	strict(t, b, &ok)
	if status != 200 || !ok.Success {
		t.Fatalf("delete media: %d %s", status, b)
	}
	me := e.cloudErr("GET", "/"+img, nil, 400, 100, 33)
	if !strings.Contains(me.Error.Message, "Object with ID '"+img+"' does not exist") {
		t.Errorf("get deleted media: message %q", me.Error.Message)
	}
	e.cloudErr("GET", "/"+img+"/content", nil, 400, 100, 33)
	e.cloudErr("DELETE", "/"+img, nil, 400, 100, 33)
	e.cloudErr("DELETE", "/0123456789abcdef0123456789abcdef", nil, 400, 100, 33)
	e.cloudErr("DELETE", "/not-an-id", nil, 400, 100, 33)

	// A photo the customer sent: the business may read it, not delete it.
	md, err := e.cust.UploadMedia(e.ctx, e.chatID, "image/png", bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("customer upload: %v", err)
	}
	in := e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{MediaID: md.ID, MediaType: "image/png"})
	e.hooks.message(in)
	if status, b := e.cloud("GET", "/"+md.ID, nil); status != 200 {
		t.Fatalf("business reads the customer's photo: %d %s", status, b)
	}
	e.cloudErr("DELETE", "/"+md.ID, nil, 400, 100, 33)
	if status, _ := e.cloud("GET", "/"+md.ID, nil); status != http.StatusOK {
		t.Errorf("the customer's photo is gone after a refused delete")
	}
}
