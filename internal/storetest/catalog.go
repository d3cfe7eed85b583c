package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/chat"
)

// testCatalogs: a business's connected catalog, created once; products are
// unique by retailer id within a catalog, listed in id order, found by
// retailer id and deleted.
func testCatalogs(t *testing.T, s Store) {
	ctx := t.Context()
	acme, other := newBusiness(t, s, "Acme"), newBusiness(t, s, "Other")
	c, err := s.EnsureCatalog(ctx, acme.ID, "Acme", t0)
	ok(t, "ensure catalog", err)
	again, err := s.EnsureCatalog(ctx, acme.ID, "Acme 2", at(time.Hour))
	ok(t, "ensure catalog again", err)
	wantDiff(t, "catalog ensured twice", again, c)
	wantDiff(t, "catalog", c, business.Catalog{ID: c.ID, BusinessID: acme.ID, Name: "Acme", Connected: true, CreatedAt: t0})
	oc, err := s.EnsureCatalog(ctx, other.ID, "Other", t0)
	ok(t, "ensure other catalog", err)
	if oc.ID == c.ID {
		t.Fatalf("two businesses share catalog %d", c.ID)
	}
	got, err := s.GetCatalog(ctx, c.ID)
	ok(t, "get catalog", err)
	wantDiff(t, "get catalog", got, c)
	_, err = s.GetCatalog(ctx, c.ID+oc.ID+100)
	wantCode(t, "get missing catalog", err, parley.ENotFound)

	shoe := business.Product{CatalogID: c.ID, RetailerID: "sku-1", Name: "Trail shoe", Description: "Waterproof", PriceMinor: 12999,
		Currency: "USD", ImageURL: "https://acme.example/shoe.jpg", Availability: "in stock", CreatedAt: t0}
	ok(t, "create product", s.CreateProduct(ctx, &shoe))
	sock := business.Product{CatalogID: c.ID, RetailerID: "sku-2", Name: "Sock", PriceMinor: 500, Currency: "USD", Availability: "out of stock", CreatedAt: at(time.Second)}
	ok(t, "create second product", s.CreateProduct(ctx, &sock))
	dup := business.Product{CatalogID: c.ID, RetailerID: "sku-1", Name: "Again", Currency: "USD", Availability: "in stock", CreatedAt: t0}
	wantCode(t, "create duplicate retailer id", s.CreateProduct(ctx, &dup), parley.EConflict)
	elsewhere := business.Product{CatalogID: oc.ID, RetailerID: "sku-1", Name: "Other shoe", PriceMinor: 100, Currency: "EUR", Availability: "in stock", CreatedAt: t0}
	ok(t, "same retailer id in another catalog", s.CreateProduct(ctx, &elsewhere))
	nowhere := business.Product{CatalogID: c.ID + oc.ID + 100, RetailerID: "x", Name: "x", Currency: "USD", Availability: "in stock", CreatedAt: t0}
	wantCode(t, "create product in missing catalog", s.CreateProduct(ctx, &nowhere), parley.ENotFound)

	p, err := s.GetProduct(ctx, shoe.ID)
	ok(t, "get product", err)
	wantDiff(t, "product", p, shoe)
	ps, err := s.ListProducts(ctx, c.ID, 0, 10)
	ok(t, "list products", err)
	wantDiff(t, "products", ps, []business.Product{shoe, sock})
	ps, err = s.ListProducts(ctx, c.ID, shoe.ID, 10)
	ok(t, "list products after the first", err)
	wantDiff(t, "products after the first", ps, []business.Product{sock})
	ps, err = s.ListProducts(ctx, c.ID, 0, 1)
	ok(t, "list one product", err)
	wantDiff(t, "one product", ps, []business.Product{shoe})

	found, err := s.FindProducts(ctx, c.ID, []string{"sku-2", "sku-missing", "sku-1"})
	ok(t, "find products", err)
	slices.SortFunc(found, func(a, b business.Product) int { return int(a.ID - b.ID) })
	wantDiff(t, "found products", found, []business.Product{shoe, sock})
	found, err = s.FindProducts(ctx, c.ID, nil)
	ok(t, "find no products", err)
	wantDiff(t, "found nothing", found, []business.Product(nil))

	ok(t, "delete product", s.DeleteProduct(ctx, shoe.ID))
	wantCode(t, "delete product twice", s.DeleteProduct(ctx, shoe.ID), parley.ENotFound)
	_, err = s.GetProduct(ctx, shoe.ID)
	wantCode(t, "get deleted product", err, parley.ENotFound)
	ps, err = s.ListProducts(ctx, c.ID, 0, 10)
	ok(t, "list after delete", err)
	wantDiff(t, "products after delete", ps, []business.Product{sock})
}

// testDeleteMedia: deleting media removes it and its attachments; a
// second delete is ENotFound.
func testDeleteMedia(t *testing.T, s Store) {
	ctx := t.Context()
	f := newFixture(t, s)
	m := chat.Media{ID: "med_1", SHA256: "00", Size: 1, ContentType: "image/png", OwnerID: f.alice.ID, CreatedAt: t0}
	ok(t, "create media", s.CreateMedia(ctx, m))
	ok(t, "attach media", s.AttachMedia(ctx, m.ID, f.chat.ID))
	twin := m
	twin.ID = "med_2"
	ok(t, "create media sharing the blob", s.CreateMedia(ctx, twin))
	ok(t, "delete media", s.DeleteMedia(ctx, m.ID))
	_, err := s.GetMedia(ctx, m.ID)
	wantCode(t, "get deleted media", err, parley.ENotFound)
	vis, err := s.MediaVisibleTo(ctx, m.ID, f.bob.ID)
	ok(t, "visible after delete", err)
	if vis {
		t.Errorf("deleted media is still visible to a chat member")
	}
	wantCode(t, "delete media twice", s.DeleteMedia(ctx, m.ID), parley.ENotFound)
	if _, err := s.GetMedia(ctx, twin.ID); err != nil {
		t.Errorf("the twin sharing the blob: got %v, want it kept", err)
	}
}
