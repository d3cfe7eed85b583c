package business

import (
	"context"
	"fmt"

	"github.com/parleyhq/parley"
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
