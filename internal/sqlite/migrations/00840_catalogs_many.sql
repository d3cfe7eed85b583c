-- +goose Up
-- Several catalogs per business account (Meta's owned_product_catalogs),
-- each with a name; at most one of them is connected to the account
-- (product_catalogs, catalog_message). SQLite cannot drop the UNIQUE on
-- business_id in place, so both tables are rebuilt: catalog_products is
-- moved first so that no row refers to the old catalogs table when it is
-- dropped, and renaming the new tables rewrites the foreign key. Each
-- table keeps its AUTOINCREMENT high-water mark, so that ids stay in their
-- kind's range (00715) and no deleted id is given again.
CREATE TABLE catalogs_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id INTEGER NOT NULL REFERENCES businesses (id),
    name        TEXT    NOT NULL DEFAULT '',
    connected   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER
);
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'catalogs_new', MAX(400000000000000, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'catalogs'), 0));
INSERT INTO catalogs_new (id, business_id, name, connected, created_at)
    SELECT c.id, c.business_id, COALESCE(b.name, ''), 1, c.created_at FROM catalogs c LEFT JOIN businesses b ON b.id = c.business_id;

CREATE TABLE catalog_products_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    catalog_id   INTEGER NOT NULL REFERENCES catalogs_new (id),
    retailer_id  TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    price        INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    image_url    TEXT    NOT NULL DEFAULT '',
    availability TEXT    NOT NULL,
    created_at   INTEGER,
    UNIQUE (catalog_id, retailer_id)
);
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'catalog_products_new', MAX(500000000000000, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'catalog_products'), 0));
INSERT INTO catalog_products_new SELECT id, catalog_id, retailer_id, name, description, price, currency, image_url, availability, created_at
    FROM catalog_products;

DROP TABLE catalog_products;
DROP TABLE catalogs;
ALTER TABLE catalogs_new RENAME TO catalogs;
ALTER TABLE catalog_products_new RENAME TO catalog_products;
CREATE INDEX catalogs_business ON catalogs (business_id, id);
CREATE UNIQUE INDEX catalogs_connected ON catalogs (business_id) WHERE connected;

-- +goose Down
-- The catalogs past each business's connected one are dropped with their
-- products, and the UNIQUE comes back.
DELETE FROM catalog_products WHERE catalog_id IN (SELECT id FROM catalogs WHERE NOT connected);
DELETE FROM catalogs WHERE NOT connected;
DROP INDEX catalogs_connected;
DROP INDEX catalogs_business;
CREATE UNIQUE INDEX catalogs_one_per_business ON catalogs (business_id);
