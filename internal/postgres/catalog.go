package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/business"
)

// This file implements parley.CatalogStore. internal/sqlite/catalog.go is
// its twin.

// EnsureCatalog returns the business's catalog, creating it if needed.
func (db *DB) EnsureCatalog(ctx context.Context, businessID int64, at time.Time) (business.Catalog, error) {
	c := business.Catalog{BusinessID: businessID}
	err := db.pool.QueryRow(ctx, `SELECT id, created_at FROM catalogs WHERE business_id = $1`, businessID).Scan(&c.ID, tcol(&c.CreatedAt))
	if err == nil {
		return c, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return business.Catalog{}, wrap("get catalog", err)
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO catalogs (business_id, created_at) VALUES ($1, $2) ON CONFLICT (business_id) DO NOTHING`,
		businessID, tm(at)); err != nil {
		return business.Catalog{}, wrap("create catalog", err)
	}
	err = db.pool.QueryRow(ctx, `SELECT id, created_at FROM catalogs WHERE business_id = $1`, businessID).Scan(&c.ID, tcol(&c.CreatedAt))
	return c, wrap("get catalog", err)
}

// GetCatalog returns a catalog, or ErrNotFound.
func (db *DB) GetCatalog(ctx context.Context, id int64) (business.Catalog, error) {
	c := business.Catalog{ID: id}
	err := db.pool.QueryRow(ctx, `SELECT business_id, created_at FROM catalogs WHERE id = $1`, id).Scan(&c.BusinessID, tcol(&c.CreatedAt))
	return c, wrap("get catalog", err)
}

const productCols = `id, catalog_id, retailer_id, name, description, price, currency, image_url, availability, created_at`

func scanProduct(sc scanner) (business.Product, error) {
	var p business.Product
	err := sc.Scan(&p.ID, &p.CatalogID, &p.RetailerID, &p.Name, &p.Description, &p.PriceMinor, &p.Currency, &p.ImageURL,
		&p.Availability, tcol(&p.CreatedAt))
	return p, err
}

// CreateProduct inserts p and sets p.ID.
func (db *DB) CreateProduct(ctx context.Context, p *business.Product) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO catalog_products (catalog_id, retailer_id, name, description, price, currency,
		image_url, availability, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`, p.CatalogID, p.RetailerID, p.Name,
		p.Description, p.PriceMinor, p.Currency, p.ImageURL, p.Availability, tm(p.CreatedAt)).Scan(&p.ID)
	return wrap("create product", err)
}

// GetProduct returns a product, or ErrNotFound.
func (db *DB) GetProduct(ctx context.Context, id int64) (business.Product, error) {
	p, err := scanProduct(db.pool.QueryRow(ctx, `SELECT `+productCols+` FROM catalog_products WHERE id = $1`, id))
	return p, wrap("get product", err)
}

// ListProducts returns a catalog's products after an id.
func (db *DB) ListProducts(ctx context.Context, catalogID, after int64, limit int) ([]business.Product, error) {
	ps, err := queryAll(ctx, db.pool, `SELECT `+productCols+` FROM catalog_products WHERE catalog_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		scanProduct, catalogID, after, limit)
	return ps, wrap("list products", err)
}

// FindProducts returns a catalog's products by retailer id.
func (db *DB) FindProducts(ctx context.Context, catalogID int64, retailerIDs []string) ([]business.Product, error) {
	if len(retailerIDs) == 0 {
		return nil, nil
	}
	ps, err := queryAll(ctx, db.pool, `SELECT `+productCols+` FROM catalog_products WHERE catalog_id = $1 AND retailer_id = ANY($2)`,
		scanProduct, catalogID, retailerIDs)
	return ps, wrap("find products", err)
}

// DeleteProduct deletes a product, or returns ErrNotFound.
func (db *DB) DeleteProduct(ctx context.Context, id int64) error {
	return wrap("delete product", affected(db.bexec(ctx, `DELETE FROM catalog_products WHERE id = $1`, id)))
}
