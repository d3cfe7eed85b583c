package sqlstore

import (
	"context"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/business"
)

// This file implements business.CatalogStore. internal/postgres/catalog.go
// is its twin.

const catalogCols = `id, business_id, name, connected, created_at`

func scanCatalog(sc Row) (business.Catalog, error) {
	var c business.Catalog
	err := sc.Scan(&c.ID, &c.BusinessID, &c.Name, &c.Connected, tcol(&c.CreatedAt))
	return c, err
}

// EnsureCatalog returns the business's connected catalog: the one
// connected, else its oldest catalog, connected now, else a new one.
func (s *Store) EnsureCatalog(ctx context.Context, businessID int64, name string, at time.Time) (business.Catalog, error) {
	connected := func(q Querier) (business.Catalog, error) {
		return scanCatalog(q.QueryRow(ctx, `SELECT `+catalogCols+` FROM catalogs WHERE business_id = ? AND connected`, businessID))
	}
	c, err := connected(s.r)
	if err == nil || !noRows(err) {
		return c, s.wrap("get catalog", err)
	}
	err = s.tx(ctx, func(tx Querier) error {
		if _, err := connected(tx); !noRows(err) {
			return err // connected meanwhile
		}
		n, err := tx.Exec(ctx, `UPDATE catalogs SET connected = TRUE WHERE id = (SELECT MIN(id) FROM catalogs WHERE business_id = ?)`, businessID)
		if err != nil || n > 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO catalogs (business_id, name, connected, created_at) VALUES (?, ?, TRUE, ?)`, businessID, name, s.ts(at))
		return err
	})
	if err != nil && parley.ErrorCode(s.wrap("", err)) != parley.EConflict {
		return business.Catalog{}, s.wrap("create catalog", err)
	}
	c, err = connected(s.w)
	return c, s.wrap("get catalog", err)
}

// CreateCatalog inserts c, not connected, and sets c.ID.
func (s *Store) CreateCatalog(ctx context.Context, c *business.Catalog) error {
	c.Connected = false
	err := s.w.QueryRow(ctx, `INSERT INTO catalogs (business_id, name, connected, created_at) VALUES (?, ?, FALSE, ?) RETURNING id`,
		c.BusinessID, c.Name, s.ts(c.CreatedAt)).Scan(&c.ID)
	return s.wrap("create catalog", err)
}

// GetCatalog returns a catalog, or ErrNotFound.
func (s *Store) GetCatalog(ctx context.Context, id int64) (business.Catalog, error) {
	c, err := scanCatalog(s.r.QueryRow(ctx, `SELECT `+catalogCols+` FROM catalogs WHERE id = ?`, id))
	return c, s.wrap("get catalog", err)
}

// ListCatalogs returns a business's catalogs after an id.
func (s *Store) ListCatalogs(ctx context.Context, businessID, after int64, limit int) ([]business.Catalog, error) {
	cs, err := queryAll(ctx, s.r, `SELECT `+catalogCols+` FROM catalogs WHERE business_id = ? AND id > ? ORDER BY id LIMIT ?`,
		scanCatalog, businessID, after, limit)
	return cs, s.wrap("list catalogs", err)
}

// ConnectCatalog makes a catalog its business's connected one, in one
// transaction: the one connected before is no longer.
func (s *Store) ConnectCatalog(ctx context.Context, businessID, catalogID int64) error {
	return s.wrap("connect catalog", s.tx(ctx, func(tx Querier) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM catalogs WHERE id = ? AND business_id = ?`, catalogID, businessID).Scan(&one); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE catalogs SET connected = FALSE WHERE business_id = ? AND connected AND id <> ?`, businessID, catalogID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE catalogs SET connected = TRUE WHERE id = ?`, catalogID)
		return err
	}))
}

// DeleteCatalog deletes a catalog that is not connected and has no
// products: ErrNotFound if there is no such catalog, EConflict otherwise.
func (s *Store) DeleteCatalog(ctx context.Context, id int64) error {
	n, err := s.w.Exec(ctx, `DELETE FROM catalogs WHERE id = ? AND NOT connected
		AND NOT EXISTS (SELECT 1 FROM catalog_products WHERE catalog_id = ?)`, id, id)
	if err != nil {
		return s.wrap("delete catalog", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := s.GetCatalog(ctx, id); err != nil {
		return err
	}
	return &parley.Error{Code: parley.EConflict, Message: "the catalog is connected or has products"}
}

const productCols = `id, catalog_id, retailer_id, name, description, price, currency, image_url, availability, created_at`

func scanProduct(sc Row) (business.Product, error) {
	var p business.Product
	err := sc.Scan(&p.ID, &p.CatalogID, &p.RetailerID, &p.Name, &p.Description, &p.PriceMinor, &p.Currency, &p.ImageURL,
		&p.Availability, tcol(&p.CreatedAt))
	return p, err
}

// CreateProduct inserts p and sets p.ID.
func (s *Store) CreateProduct(ctx context.Context, p *business.Product) error {
	err := s.w.QueryRow(ctx, `INSERT INTO catalog_products (catalog_id, retailer_id, name, description, price, currency,
		image_url, availability, created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`, p.CatalogID, p.RetailerID, p.Name, p.Description,
		p.PriceMinor, p.Currency, p.ImageURL, p.Availability, s.ts(p.CreatedAt)).Scan(&p.ID)
	return s.wrap("create product", err)
}

// GetProduct returns a product, or ErrNotFound.
func (s *Store) GetProduct(ctx context.Context, id int64) (business.Product, error) {
	p, err := scanProduct(s.r.QueryRow(ctx, `SELECT `+productCols+` FROM catalog_products WHERE id = ?`, id))
	return p, s.wrap("get product", err)
}

// ListProducts returns a catalog's products after an id.
func (s *Store) ListProducts(ctx context.Context, catalogID, after int64, limit int) ([]business.Product, error) {
	ps, err := queryAll(ctx, s.r, `SELECT `+productCols+` FROM catalog_products WHERE catalog_id = ? AND id > ? ORDER BY id LIMIT ?`,
		scanProduct, catalogID, after, limit)
	return ps, s.wrap("list products", err)
}

// FindProducts returns a catalog's products by retailer id.
func (s *Store) FindProducts(ctx context.Context, catalogID int64, retailerIDs []string) ([]business.Product, error) {
	if len(retailerIDs) == 0 {
		return nil, nil
	}
	list, err := s.d.List(retailerIDs)
	if err != nil {
		return nil, s.wrap("find products", err)
	}
	ps, err := queryAll(ctx, s.r, `SELECT `+productCols+` FROM catalog_products WHERE catalog_id = ? AND `+s.d.In("retailer_id"),
		scanProduct, catalogID, list)
	return ps, s.wrap("find products", err)
}

// DeleteProduct deletes a product, or returns ErrNotFound.
func (s *Store) DeleteProduct(ctx context.Context, id int64) error {
	return s.wrap("delete product", affected(s.w.Exec(ctx, `DELETE FROM catalog_products WHERE id = ?`, id)))
}

// UpdateProduct writes a product's fields.
func (s *Store) UpdateProduct(ctx context.Context, p business.Product) error {
	return s.wrap("update product", affected(s.w.Exec(ctx, `UPDATE catalog_products SET retailer_id = ?, name = ?, description = ?, price = ?,
		currency = ?, image_url = ?, availability = ? WHERE id = ?`, p.RetailerID, p.Name, p.Description, p.PriceMinor, p.Currency, p.ImageURL,
		p.Availability, p.ID)))
}
