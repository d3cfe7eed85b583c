package cloudapi_test

import (
	"strconv"
	"testing"
)

// TestGetProduct: GET /{product-id} answers one product of the
// business's catalog in the product list's shape, and Meta's "does not
// exist" for an id that is not one.
func TestGetProduct(t *testing.T) {
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
	n, _ := strconv.ParseInt(id, 10, 64)
	e.cloudErr("GET", "/"+strconv.FormatInt(n+1000, 10), nil, 400, 100, 33)
}
