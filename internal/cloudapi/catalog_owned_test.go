package cloudapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// TestOwnedCatalogs: a business creates and lists several catalogs,
// reads and deletes one by id, connects another to its account (one at a
// time), sends products from any catalog it owns while catalog_message
// opens the connected one, and is refused deleting the connected catalog
// or one with products; another business gets Meta's "does not exist".
func TestOwnedCatalogs(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testOwnedCatalogs(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testOwnedCatalogs(t, newEnv(t, withPostgres(t))) })
}

type catalogList struct {
	Data []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"data"`
	Paging *struct {
		Cursors struct {
			Before string `json:"before"`
			After  string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next,omitempty"`
	} `json:"paging,omitempty"`
}

func (e *env) createCatalog(name string) string {
	e.t.Helper()
	status, b := e.cloud("POST", fmt.Sprintf("/%d/owned_product_catalogs", e.biz.ID), map[string]any{"name": name})
	var out struct {
		ID string `json:"id"`
	}
	strict(e.t, b, &out)
	if status != 200 || out.ID == "" {
		e.t.Fatalf("create catalog %q: %d %s", name, status, b)
	}
	return out.ID
}

func testOwnedCatalogs(t *testing.T, e *env) {
	first := e.catalogID() // the connected catalog, created on first use
	summer := e.createCatalog("Summer")
	winter := e.createCatalog("Winter")
	for _, id := range []string{first, summer, winter} {
		var n int64
		fmt.Sscan(id, &n)
		if business.KindOf(n) != business.KindCatalog {
			t.Errorf("catalog id %s is not of the catalog kind", id)
		}
	}
	e.cloudErr("POST", fmt.Sprintf("/%d/owned_product_catalogs", e.biz.ID), map[string]any{"name": "  "}, 400, 100, 0)

	status, b := e.cloud("GET", fmt.Sprintf("/%d/owned_product_catalogs?limit=2", e.biz.ID), nil)
	var page catalogList
	strict(t, b, &page)
	if status != 200 || len(page.Data) != 2 || page.Data[0].ID != first || page.Data[1].ID != summer || page.Data[1].Name != "Summer" ||
		page.Paging == nil || page.Paging.Next == "" {
		t.Fatalf("owned catalogs page 1: %d %s", status, b)
	}
	status, b = e.cloud("GET", fmt.Sprintf("/%d/owned_product_catalogs?limit=2&after=%s", e.biz.ID, page.Paging.Cursors.After), nil)
	page = catalogList{}
	strict(t, b, &page)
	if status != 200 || len(page.Data) != 1 || page.Data[0].ID != winter || page.Data[0].Name != "Winter" {
		t.Fatalf("owned catalogs page 2: %d %s", status, b)
	}
	status, b = e.cloud("GET", "/"+winter, nil)
	if status != 200 || !strings.Contains(string(b), `"name":"Winter"`) || !strings.Contains(string(b), `"id":"`+winter+`"`) {
		t.Fatalf("GET catalog: %d %s", status, b)
	}

	// Products in a catalog that is not connected are sent as well.
	e.createProduct(summer, map[string]any{"retailer_id": "hat", "name": "Sun hat", "price": 900, "currency": "USD"})
	e.createProduct(winter, map[string]any{"retailer_id": "scarf", "name": "Scarf", "price": 1500, "currency": "EUR"})
	e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "Hats?"}))
	wamid := e.send(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "product",
		"action": map[string]any{"catalog_id": summer, "product_retailer_id": "hat"}}})
	got := e.receive(e.cust, wamid)
	if len(got.Products) != 1 || got.Products[0].CatalogID != summer || got.Products[0].Name != "Sun hat" {
		t.Fatalf("product from an owned catalog: customer got %+v", got)
	}

	// Connect winter: product_catalogs lists it alone, catalog_message opens it.
	e.cloudErr("POST", fmt.Sprintf("/%d/product_catalogs", e.biz.ID), map[string]any{"catalog_id": "12"}, 400, 100, 0)
	e.cloudErr("POST", fmt.Sprintf("/%d/product_catalogs", e.biz.ID), map[string]any{"other": "x"}, 400, 100, 0)
	status, b = e.cloud("POST", fmt.Sprintf("/%d/product_catalogs", e.biz.ID), map[string]any{"catalog_id": winter})
	if status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("connect catalog: %d %s", status, b)
	}
	if got := e.catalogID(); got != winter {
		t.Fatalf("connected catalog: got %s, want %s", got, winter)
	}
	wamid = e.send(map[string]any{"type": "interactive", "interactive": map[string]any{"type": "catalog_message",
		"body": map[string]any{"text": "Our winter range"}, "action": map[string]any{"name": "catalog_message",
			"parameters": map[string]any{"thumbnail_product_retailer_id": "scarf"}}}})
	got = e.receive(e.cust, wamid)
	if len(got.Products) != 1 || got.Products[0].CatalogID != winter || got.Products[0].Name != "Scarf" {
		t.Fatalf("catalog_message after connect: customer got %+v", got)
	}

	// Deleting: the connected catalog and one with products are refused.
	me := e.cloudErr("DELETE", "/"+winter, nil, 400, 100, 0)
	if !strings.Contains(me.Error.ErrorData.Details, "connected") {
		t.Errorf("delete the connected catalog: got %+v, want a message naming the connection", me.Error)
	}
	me = e.cloudErr("DELETE", "/"+summer, nil, 400, 100, 0)
	if !strings.Contains(me.Error.ErrorData.Details, "products") {
		t.Errorf("delete a catalog with products: got %+v, want a message naming the products", me.Error)
	}
	status, b = e.cloud("DELETE", "/"+first, nil)
	if status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("delete an empty catalog: %d %s", status, b)
	}
	e.cloudErr("GET", "/"+first, nil, 400, 100, 33)
	e.cloudErr("DELETE", "/"+first, nil, 400, 100, 33)

	// Another business sees none of it.
	other := e.otherBusinessToken()
	for _, c := range []struct{ method, path string }{
		{"GET", "/v23.0/" + summer},
		{"DELETE", "/v23.0/" + summer},
		{"GET", fmt.Sprintf("/v23.0/%d/owned_product_catalogs", e.biz.ID)},
		{"POST", fmt.Sprintf("/v23.0/%d/owned_product_catalogs", e.biz.ID)},
		{"POST", fmt.Sprintf("/v23.0/%d/product_catalogs", e.biz.ID)},
	} {
		var body any
		if c.method == "POST" {
			body = map[string]any{"name": "Mine", "catalog_id": summer}
		}
		code, b := e.do(c.method, c.path, other, body)
		if code != 400 || !strings.Contains(string(b), `"error_subcode":33`) {
			t.Errorf("another business: %s %s: %d %s", c.method, c.path, code, b)
		}
	}
}
