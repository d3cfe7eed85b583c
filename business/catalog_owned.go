package business

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley"
)

// The catalogs a business owns (Meta's owned_product_catalogs) and the
// one connected to its account (product_catalogs).

// GetCatalog returns a catalog of the business; ENotFound for any other
// id, without saying whether it exists.
func (cs *Catalogs) GetCatalog(ctx context.Context, biz Business, id int64) (Catalog, error) {
	return cs.own(ctx, biz, id)
}

// CreateCatalog creates a catalog the business owns, not connected.
// EInvalid if the name is empty, longer than 200 characters or not
// plain text.
func (cs *Catalogs) CreateCatalog(ctx context.Context, biz Business, name string) (Catalog, error) {
	name = strings.TrimSpace(name)
	if err := parley.CheckText("name", name, parley.Line); err != nil {
		return Catalog{}, err
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return Catalog{}, &parley.Error{Code: parley.EInvalid, Message: "name is required, at most 200 characters", Details: map[string]any{"field": "name"}}
	}
	c := Catalog{BusinessID: biz.ID, Name: name, CreatedAt: cs.now()}
	if err := cs.st.CreateCatalog(ctx, &c); err != nil {
		return Catalog{}, fmt.Errorf("create catalog: %w", err)
	}
	return c, nil
}

// ListCatalogs lists the catalogs the business owns with id > after,
// ascending, at most limit.
func (cs *Catalogs) ListCatalogs(ctx context.Context, biz Business, after int64, limit int) ([]Catalog, error) {
	out, err := cs.st.ListCatalogs(ctx, biz.ID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list catalogs: %w", err)
	}
	return out, nil
}

// ConnectCatalog connects a catalog the business owns to its account, in
// place of the one connected before (one at a time, as on Meta).
// ENotFound for any other id.
func (cs *Catalogs) ConnectCatalog(ctx context.Context, biz Business, id int64) error {
	if _, err := cs.own(ctx, biz, id); err != nil {
		return err
	}
	if err := cs.st.ConnectCatalog(ctx, biz.ID, id); parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such catalog", Details: map[string]any{"catalog_id": id}}
	} else if err != nil {
		return fmt.Errorf("connect catalog: %w", err)
	}
	return nil
}

// DeleteCatalog deletes a catalog the business owns. ENotFound for any
// other id; Meta's 100 for the connected catalog (connect another first)
// or one that still has products (delete them first).
func (cs *Catalogs) DeleteCatalog(ctx context.Context, biz Business, id int64) error {
	c, err := cs.own(ctx, biz, id)
	if err != nil {
		return err
	}
	refuse := func(why string) error {
		return cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("catalog %d %s", id, why))
	}
	if c.Connected {
		return refuse("is connected to the WhatsApp Business Account: connect another catalog first")
	}
	err = cs.st.DeleteCatalog(ctx, id)
	switch parley.ErrorCode(err) {
	case "":
		return nil
	case parley.EConflict:
		if c, gerr := cs.st.GetCatalog(ctx, id); gerr == nil && c.Connected {
			return refuse("is connected to the WhatsApp Business Account: connect another catalog first")
		}
		return refuse("still has products: delete them first")
	case parley.ENotFound:
		return &parley.Error{Code: parley.ENotFound, Message: "no such catalog", Details: map[string]any{"catalog_id": id}}
	}
	return fmt.Errorf("delete catalog: %w", err)
}
