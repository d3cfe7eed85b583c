package sqlstore

import (
	"context"
	"time"

	"github.com/parleyhq/parley/business"
)

// This file implements business.CatalogStore. internal/postgres/catalog.go
// is its twin.

// EnsureCatalog returns the business's catalog, creating it if needed.
func (s *Store) EnsureCatalog(ctx context.Context, businessID int64, at time.Time) (business.Catalog, error) {
	c := business.Catalog{BusinessID: businessID}
	err := s.r.QueryRow(ctx, `SELECT id, created_at FROM catalogs WHERE business_id = ?`, businessID).Scan(&c.ID, tcol(&c.CreatedAt))
	if err == nil {
		return c, nil
	} else if !noRows(err) {
		return business.Catalog{}, s.wrap("get catalog", err)
	}
	if _, err := s.w.Exec(ctx, `INSERT INTO catalogs (business_id, created_at) VALUES (?, ?) ON CONFLICT (business_id) DO NOTHING`,
		businessID, s.ts(at)); err != nil {
		return business.Catalog{}, s.wrap("create catalog", err)
	}
	err = s.w.QueryRow(ctx, `SELECT id, created_at FROM catalogs WHERE business_id = ?`, businessID).Scan(&c.ID, tcol(&c.CreatedAt))
	return c, s.wrap("get catalog", err)
}

// GetCatalog returns a catalog, or ErrNotFound.
func (s *Store) GetCatalog(ctx context.Context, id int64) (business.Catalog, error) {
	c := business.Catalog{ID: id}
	err := s.r.QueryRow(ctx, `SELECT business_id, created_at FROM catalogs WHERE id = ?`, id).Scan(&c.BusinessID, tcol(&c.CreatedAt))
	return c, s.wrap("get catalog", err)
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
