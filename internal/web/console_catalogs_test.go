package web_test

import (
	"fmt"
	"testing"

	"github.com/parleyhq/parley/internal/web/webtest"
)

// productPage is the part of GET /{v}/{catalog-id}/products the test reads.
type productPage struct {
	Data []struct {
		ID           string `json:"id"`
		RetailerID   string `json:"retailer_id"`
		Name         string `json:"name"`
		Price        string `json:"price"`
		Currency     string `json:"currency"`
		ImageURL     string `json:"image_url"`
		Availability string `json:"availability"`
	} `json:"data"`
}

// TestConsoleCatalogs: in the Catalogs section the business sees its
// connected catalog, creates a second catalog and adds a product to it (a
// price with too many decimals is refused at its field), edits the
// product and removes it, connects the new catalog and deletes the old
// one; the API sees each step.
func TestConsoleCatalogs(t *testing.T) {
	webtest.ChromiumPath(t)
	t.Parallel()
	e := newConsoleEnv(t)
	b := webtest.Start(t)
	biz := b.NewPage(t)
	signIn(biz, e.srv.URL+"/business/", e.token)
	goTo(biz, "catalogs")
	biz.WaitText("#pc-products h2", "Acme Shoes") // the connected catalog, created on first use
	biz.WaitText("#pc-products", "No products in this catalog yet.")

	typeInto(biz, "#pc-name", "Summer range")
	biz.Click("#pc-create")
	biz.WaitText("#pc-products h2", "Summer range")
	var owned struct {
		Data []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"data"`
	}
	e.call("GET", fmt.Sprintf("/v23.0/%d/owned_product_catalogs", e.bizID), e.token, nil, &owned)
	if len(owned.Data) != 2 || owned.Data[1].Name != "Summer range" {
		t.Fatalf("owned catalogs after creating one in the console: %+v", owned)
	}
	first, summer := owned.Data[0].ID, owned.Data[1].ID

	typeInto(biz, "#pp-retailer", "hat-1")
	typeInto(biz, "#pp-name", "Sun hat")
	typeInto(biz, "#pp-price", "12.505")
	typeInto(biz, "#pp-currency", "usd")
	typeInto(biz, "#pp-image", "https://acme.example/hat.jpg")
	biz.Select("#pp-availability", "preorder")
	biz.Click("#pp-save")
	biz.WaitText("#pp-price-err", "at most 2 decimals")
	typeInto(biz, "#pp-price", "12.5")
	biz.Click("#pp-save")
	biz.WaitText("tr.pp-hat-1", "Sun hat")
	biz.WaitText("tr.pp-hat-1", "12.50 USD")
	biz.WaitText("tr.pp-hat-1", "Preorder")
	var ps productPage
	e.call("GET", "/v23.0/"+summer+"/products", e.token, nil, &ps)
	if len(ps.Data) != 1 || ps.Data[0].RetailerID != "hat-1" || ps.Data[0].Price != "12.50" || ps.Data[0].Currency != "USD" ||
		ps.Data[0].ImageURL != "https://acme.example/hat.jpg" || ps.Data[0].Availability != "preorder" {
		t.Fatalf("products after adding one in the console: %+v", ps)
	}

	// Edit: the form holds the product; the price and availability change.
	biz.Click("tr.pp-hat-1 .pp-edit")
	biz.WaitJS(`(document.getElementById('pp-name') || {}).value === 'Sun hat'`, "the edit form filled in")
	typeInto(biz, "#pp-price", "15")
	biz.Select("#pp-availability", "out of stock")
	biz.Click("#pp-save")
	biz.WaitText("tr.pp-hat-1", "15.00 USD")
	biz.WaitText("tr.pp-hat-1", "Out of stock")
	ps = productPage{}
	e.call("GET", "/v23.0/"+summer+"/products", e.token, nil, &ps)
	if len(ps.Data) != 1 || ps.Data[0].Price != "15.00" || ps.Data[0].Availability != "out of stock" || ps.Data[0].Name != "Sun hat" {
		t.Fatalf("product after editing it in the console: %+v", ps)
	}

	// Connect the new catalog, delete the old one, remove the product.
	biz.Click("tr.pc-" + summer + " .pc-connect")
	biz.WaitText("tr.pc-"+summer, "Connected")
	var conn struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	e.call("GET", fmt.Sprintf("/v23.0/%d/product_catalogs", e.bizID), e.token, nil, &conn)
	if len(conn.Data) != 1 || conn.Data[0].ID != summer {
		t.Fatalf("connected catalog after connecting in the console: %+v", conn)
	}
	biz.Click("tr.pc-" + first + " .pc-delete")
	biz.WaitGone("tr.pc-" + first)
	biz.Click("tr.pp-hat-1 .pp-delete")
	biz.WaitText("#pc-products", "No products in this catalog yet.")
	ps = productPage{}
	e.call("GET", "/v23.0/"+summer+"/products", e.token, nil, &ps)
	if len(ps.Data) != 0 {
		t.Fatalf("products after removing it in the console: %+v", ps)
	}
	if errs := biz.Errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
