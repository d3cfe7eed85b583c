package sqlite

import (
	"context"
	"testing"
	"time"
)

// TestCatalogMigrationKeepsRows: migration 00840 rebuilds catalogs and
// catalog_products; a database from before keeps its catalog (now named
// after the business and connected), its products, the foreign key, and
// the id ranges and high-water marks of both tables.
func TestCatalogMigrationKeepsRows(t *testing.T) {
	ctx := context.Background()
	db, exec, migrateToEnd := oldDatabase(t, 830)
	now := time.Now().Unix()
	exec(`INSERT INTO businesses (name, app_secret, created_at) VALUES ('Acme', 's', ?)`, now)
	var biz, cat int64
	if err := db.w.QueryRowContext(ctx, `SELECT id FROM businesses`).Scan(&biz); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO catalogs (business_id, created_at) VALUES (?, ?)`, biz, now)
	if err := db.w.QueryRowContext(ctx, `SELECT id FROM catalogs`).Scan(&cat); err != nil {
		t.Fatal(err)
	}
	for _, rid := range []string{"a", "b"} {
		exec(`INSERT INTO catalog_products (catalog_id, retailer_id, name, price, currency, availability, created_at)
			VALUES (?, ?, 'x', 100, 'USD', 'in stock', ?)`, cat, rid, now)
	}
	exec(`DELETE FROM catalog_products WHERE retailer_id = 'b'`) // its id is not to be given again
	var productSeq int64
	if err := db.w.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'catalog_products'`).Scan(&productSeq); err != nil {
		t.Fatal(err)
	}

	migrateToEnd()
	var name string
	var connected bool
	if err := db.w.QueryRowContext(ctx, `SELECT name, connected FROM catalogs WHERE id = ?`, cat).Scan(&name, &connected); err != nil {
		t.Fatalf("catalog after migration: %v", err)
	}
	if name != "Acme" || !connected {
		t.Errorf("catalog after migration: got name %q connected %v, want \"Acme\" true", name, connected)
	}
	var n int
	if err := db.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM catalog_products WHERE catalog_id = ?`, cat).Scan(&n); err != nil || n != 1 {
		t.Errorf("products after migration: got %d (%v), want 1", n, err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO catalog_products (catalog_id, retailer_id, name, price, currency, availability)
		VALUES (?, 'c', 'x', 1, 'USD', 'in stock')`, cat+1_000_000); err == nil {
		t.Errorf("a product of a missing catalog was inserted: the foreign key is lost")
	}
	exec(`INSERT INTO catalogs (business_id, name, created_at) VALUES (?, 'Second', ?)`, biz, now)
	exec(`INSERT INTO catalog_products (catalog_id, retailer_id, name, price, currency, availability) VALUES (?, 'c', 'x', 1, 'USD', 'in stock')`, cat)
	var second, product int64
	if err := db.w.QueryRowContext(ctx, `SELECT MAX(id) FROM catalogs`).Scan(&second); err != nil {
		t.Fatal(err)
	}
	if err := db.w.QueryRowContext(ctx, `SELECT MAX(id) FROM catalog_products`).Scan(&product); err != nil {
		t.Fatal(err)
	}
	if second <= 400_000_000_000_000 || second <= cat {
		t.Errorf("new catalog id %d: want above the range start and %d", second, cat)
	}
	if product <= productSeq {
		t.Errorf("new product id %d: want above the high-water mark %d", product, productSeq)
	}
	var fk int
	if err := db.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil || fk != 0 {
		t.Errorf("foreign key check: %d violations (%v)", fk, err)
	}
}
