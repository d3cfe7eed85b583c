package business

import (
	"context"
	"fmt"
	"strconv"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// Product returns a product of the business's catalog (GET /{product-id});
// ENotFound for any other id, without saying whether it exists.
func (cs *Catalogs) Product(ctx context.Context, biz Business, id int64) (Product, error) {
	notFound := &parley.Error{Code: parley.ENotFound, Message: "no such product", Details: map[string]any{"id": id}}
	p, err := cs.st.GetProduct(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Product{}, notFound
	} else if err != nil {
		return Product{}, fmt.Errorf("get product: %w", err)
	}
	if _, err := cs.own(ctx, biz, p.CatalogID); err != nil {
		return Product{}, notFound
	}
	return p, nil
}

// catalogMessage checks a catalog_message (Meta's "view catalog"
// message): it opens the business's catalog, and its optional
// thumbnail_product_retailer_id must be a product of it, which the
// customer receives as the thumbnail (Products[0], with the catalog id).
// With no thumbnail the customer receives the catalog's id alone.
// Meta's 131009 otherwise.
func (cs *Catalogs) catalogMessage(ctx context.Context, biz Business, in *wire.Interactive) ([]wire.CatalogProduct, error) {
	c, err := cs.Catalog(ctx, biz)
	if err != nil {
		return nil, err
	}
	cid := strconv.FormatInt(c.ID, 10)
	rid := ""
	if in.Action.Parameters != nil {
		rid = in.Action.Parameters.ThumbnailProductRetailerID
	}
	if rid == "" {
		return []wire.CatalogProduct{{CatalogID: cid}}, nil
	}
	byID, err := cs.productsByRetailerID(ctx, c.ID, []string{rid})
	if err != nil {
		return nil, err
	}
	p, ok := byID[rid]
	if !ok {
		return nil, cloudErrDetails(MetaParameterValue, "Parameter value is not valid", fmt.Sprintf("thumbnail_product_retailer_id %q is not in the business's catalog", rid))
	}
	return []wire.CatalogProduct{{CatalogID: cid, RetailerID: p.RetailerID, Name: p.Name, Description: p.Description, Price: p.PriceString(),
		Currency: p.Currency, ImageURL: p.ImageURL, Availability: p.Availability}}, nil
}

// ProductPatch is what POST /{product-id} changes: the fields that are
// not nil.
type ProductPatch struct {
	RetailerID, Name, Description, Currency, ImageURL, Availability *string
	PriceMinor                                                      *int64
}

// UpdateProduct changes a product of the business's catalog and returns
// it. ENotFound for any other id, EInvalid (a field), EConflict (the
// retailer id is another product's in the catalog).
func (cs *Catalogs) UpdateProduct(ctx context.Context, biz Business, id int64, patch ProductPatch) (Product, error) {
	p, err := cs.Product(ctx, biz, id)
	if err != nil {
		return Product{}, err
	}
	for _, f := range []struct {
		v   *string
		dst *string
	}{{patch.RetailerID, &p.RetailerID}, {patch.Name, &p.Name}, {patch.Description, &p.Description}, {patch.Currency, &p.Currency},
		{patch.ImageURL, &p.ImageURL}, {patch.Availability, &p.Availability}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if patch.PriceMinor != nil {
		p.PriceMinor = *patch.PriceMinor
	}
	if err := checkProduct(&p); err != nil {
		return Product{}, err
	}
	if err := cs.st.UpdateProduct(ctx, p); parley.ErrorCode(err) == parley.EConflict {
		return Product{}, &parley.Error{Code: parley.EConflict, Message: fmt.Sprintf("the catalog already has a product with retailer_id %q", p.RetailerID),
			Details: map[string]any{"field": "retailer_id"}}
	} else if err != nil {
		return Product{}, fmt.Errorf("update product: %w", err)
	}
	return p, nil
}
