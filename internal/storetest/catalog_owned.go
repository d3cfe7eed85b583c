package storetest

import (
	"testing"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// testOwnedCatalogs: a business owns several catalogs, ids in the
// catalog kind's range, listed in id order; one at a time is connected;
// the first owned catalog is connected on first use; a catalog that is
// connected or has products is not deleted (EConflict).
func testOwnedCatalogs(t *testing.T, s Store) {
	ctx := t.Context()
	acme, other := newBusiness(t, s, "Acme"), newBusiness(t, s, "Other")
	summer := business.Catalog{BusinessID: acme.ID, Name: "Summer", CreatedAt: t0}
	ok(t, "create catalog", s.CreateCatalog(ctx, &summer))
	winter := business.Catalog{BusinessID: acme.ID, Name: "Winter", CreatedAt: t0}
	ok(t, "create second catalog", s.CreateCatalog(ctx, &winter))
	for _, c := range []business.Catalog{summer, winter} {
		if k := business.KindOf(c.ID); k != business.KindCatalog {
			t.Errorf("catalog id %d: got kind %v, want KindCatalog", c.ID, k)
		}
	}
	got, err := s.GetCatalog(ctx, winter.ID)
	ok(t, "get catalog", err)
	wantDiff(t, "created catalog", got, winter)
	list, err := s.ListCatalogs(ctx, acme.ID, 0, 10)
	ok(t, "list catalogs", err)
	wantDiff(t, "catalogs", list, []business.Catalog{summer, winter})
	list, err = s.ListCatalogs(ctx, acme.ID, summer.ID, 10)
	ok(t, "list catalogs after the first", err)
	wantDiff(t, "catalogs after the first", list, []business.Catalog{winter})
	list, err = s.ListCatalogs(ctx, other.ID, 0, 10)
	ok(t, "list another business's catalogs", err)
	wantDiff(t, "another business's catalogs", list, []business.Catalog(nil))

	// With none connected, the oldest owned catalog is connected.
	c, err := s.EnsureCatalog(ctx, acme.ID, "Acme", t0)
	ok(t, "ensure catalog", err)
	summer.Connected = true
	wantDiff(t, "connected on first use", c, summer)

	ok(t, "connect winter", s.ConnectCatalog(ctx, acme.ID, winter.ID))
	c, err = s.EnsureCatalog(ctx, acme.ID, "Acme", t0)
	ok(t, "ensure after connect", err)
	winter.Connected, summer.Connected = true, false
	wantDiff(t, "connected after connect", c, winter)
	list, err = s.ListCatalogs(ctx, acme.ID, 0, 10)
	ok(t, "list after connect", err)
	wantDiff(t, "one connected at a time", list, []business.Catalog{summer, winter})
	ok(t, "connect the connected one again", s.ConnectCatalog(ctx, acme.ID, winter.ID))
	wantCode(t, "connect another business's catalog", s.ConnectCatalog(ctx, other.ID, summer.ID), parley.ENotFound)

	p := business.Product{CatalogID: summer.ID, RetailerID: "sku", Name: "Hat", PriceMinor: 900, Currency: "USD", Availability: "in stock", CreatedAt: t0}
	ok(t, "create product", s.CreateProduct(ctx, &p))
	if k := business.KindOf(p.ID); k != business.KindProduct {
		t.Errorf("product id %d: got kind %v, want KindProduct", p.ID, k)
	}
	wantCode(t, "delete a catalog with products", s.DeleteCatalog(ctx, summer.ID), parley.EConflict)
	wantCode(t, "delete the connected catalog", s.DeleteCatalog(ctx, winter.ID), parley.EConflict)
	ok(t, "delete product", s.DeleteProduct(ctx, p.ID))
	ok(t, "delete the empty catalog", s.DeleteCatalog(ctx, summer.ID))
	_, err = s.GetCatalog(ctx, summer.ID)
	wantCode(t, "get deleted catalog", err, parley.ENotFound)
	wantCode(t, "delete twice", s.DeleteCatalog(ctx, summer.ID), parley.ENotFound)
	spring := business.Catalog{BusinessID: acme.ID, Name: "Spring", CreatedAt: t0}
	ok(t, "create after delete", s.CreateCatalog(ctx, &spring))
	if spring.ID <= winter.ID {
		t.Errorf("new catalog id %d: want above %d, ids are not given again", spring.ID, winter.ID)
	}
}
