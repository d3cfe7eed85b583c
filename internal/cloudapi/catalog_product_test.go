package cloudapi_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
	"github.com/parleyhq/parley/client"
)

// TestGetProduct: GET /{product-id} answers one product of the
// business's catalog in the product list's shape, and Meta's "does not
// exist" for an id that is not one; a catalog_message shows a product of
// the catalog as its thumbnail.
func TestGetProduct(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { testGetProduct(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { testGetProduct(t, newEnv(t, withPostgres(t))) })
}

func testGetProduct(t *testing.T, e *env) {
	cat := e.catalogID()
	id := e.createProduct(cat, map[string]any{"retailer_id": "seat-1", "name": "Seat 1", "price": 1250, "currency": "INR"})
	status, b := e.cloud("GET", "/"+id, nil)
	var p struct {
		ID           string `json:"id"`
		RetailerID   string `json:"retailer_id"`
		Name         string `json:"name"`
		Price        string `json:"price"`
		Currency     string `json:"currency"`
		Availability string `json:"availability"`
	}
	strict(t, b, &p)
	if status != 200 || p.ID != id || p.RetailerID != "seat-1" || p.Price != "12.50" || p.Currency != "INR" || p.Availability != "in stock" {
		t.Fatalf("GET product: %d %s", status, b)
	}
	// POST /{product-id} changes the fields given.
	status, b = e.cloud("POST", "/"+id, map[string]any{"price": 1500, "availability": "out of stock"})
	if status != 200 || strings.TrimSpace(string(b)) != `{"success":true}` {
		t.Fatalf("update product: %d %s", status, b)
	}
	_, b = e.cloud("GET", "/"+id, nil)
	strict(t, b, &p)
	if p.Price != "15.00" || p.Availability != "out of stock" || p.Name != "Seat 1" {
		t.Fatalf("after update: %s", b)
	}
	e.cloudErr("POST", "/"+id, map[string]any{"availability": "sold"}, 400, 100, 0)
	n, _ := strconv.ParseInt(id, 10, 64)
	e.cloudErr("POST", "/"+strconv.FormatInt(n+1000, 10), map[string]any{"name": "x"}, 400, 100, 33)
	e.cloudErr("GET", "/"+strconv.FormatInt(n+1000, 10), nil, 400, 100, 33)

	// catalog_message: Meta's shape; the thumbnail must be in the catalog.
	e.hooks.message(e.customerSends(e.cust, e.chatID, chat.KindMessage, "", client.Body{Text: "What do you have?"}))
	catalogMessage := func(name, thumb string) map[string]any {
		return map[string]any{"type": "interactive", "interactive": map[string]any{"type": "catalog_message",
			"body": map[string]any{"text": "Browse our seats"}, "action": map[string]any{"name": name,
				"parameters": map[string]any{"thumbnail_product_retailer_id": thumb}}}}
	}
	e.sendErr(catalogMessage("catalog_message", "seat-404"), 400, business.MetaParameterValue)
	e.sendErr(catalogMessage("view", "seat-1"), 400, business.MetaInvalidParameter)
	wamid := e.send(catalogMessage("catalog_message", "seat-1"))
	got := e.receive(e.cust, wamid)
	if got.Interactive == nil || got.Interactive.Type != "catalog_message" || got.Interactive.Action.Parameters.ThumbnailProductRetailerID != "seat-1" ||
		len(got.Products) != 1 || got.Products[0].CatalogID != cat || got.Products[0].Name != "Seat 1" {
		t.Fatalf("catalog_message: customer got %+v", got)
	}
}
