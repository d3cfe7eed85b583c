-- +goose Up
-- Product catalogs: one per business account, created on first use, and
-- their items. Prices are exact, in the currency's minor unit.
CREATE TABLE catalogs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id INTEGER NOT NULL UNIQUE REFERENCES businesses (id),
    created_at  INTEGER
);

CREATE TABLE catalog_products (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    catalog_id   INTEGER NOT NULL REFERENCES catalogs (id),
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

-- +goose Down
DROP TABLE catalog_products;
DROP TABLE catalogs;
