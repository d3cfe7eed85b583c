-- +goose Up
-- Product catalogs: one per business account, created on first use, and
-- their items. Prices are exact, in the currency's minor unit.
CREATE TABLE catalogs (
    id          BIGSERIAL PRIMARY KEY,
    business_id BIGINT NOT NULL UNIQUE REFERENCES businesses (id),
    created_at  TIMESTAMPTZ
);

CREATE TABLE catalog_products (
    id           BIGSERIAL PRIMARY KEY,
    catalog_id   BIGINT NOT NULL REFERENCES catalogs (id),
    retailer_id  TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    description  TEXT   NOT NULL DEFAULT '',
    price        BIGINT NOT NULL,
    currency     TEXT   NOT NULL,
    image_url    TEXT   NOT NULL DEFAULT '',
    availability TEXT   NOT NULL,
    created_at   TIMESTAMPTZ,
    UNIQUE (catalog_id, retailer_id)
);

-- +goose Down
DROP TABLE catalog_products;
DROP TABLE catalogs;
