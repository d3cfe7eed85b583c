package storetest

import (
	"testing"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// testUpdateProduct: a product's fields change in place; a retailer id
// taken in the catalog is EConflict, a missing product ErrNotFound.
func testUpdateProduct(t *testing.T, s Store) {
	ctx := t.Context()
	biz := newBusiness(t, s, "Acme")
	c, err := s.EnsureCatalog(ctx, biz.ID, "Acme", t0)
	ok(t, "ensure catalog", err)
	a := business.Product{CatalogID: c.ID, RetailerID: "a", Name: "A", PriceMinor: 100, Currency: "USD", Availability: "in stock", CreatedAt: t0}
	ok(t, "create a", s.CreateProduct(ctx, &a))
	b := business.Product{CatalogID: c.ID, RetailerID: "b", Name: "B", PriceMinor: 200, Currency: "USD", Availability: "in stock", CreatedAt: t0}
	ok(t, "create b", s.CreateProduct(ctx, &b))
	a.Name, a.PriceMinor, a.Description, a.Availability, a.ImageURL = "A2", 150, "new", "preorder", "https://x.example/a.png"
	ok(t, "update a", s.UpdateProduct(ctx, a))
	got, err := s.GetProduct(ctx, a.ID)
	ok(t, "get a", err)
	wantDiff(t, "updated product", got, a)
	b.RetailerID = "a"
	wantCode(t, "take another product's retailer id", s.UpdateProduct(ctx, b), parley.EConflict)
	a.ID = b.ID + a.ID + 1000
	wantCode(t, "update a missing product", s.UpdateProduct(ctx, a), parley.ENotFound)
}
