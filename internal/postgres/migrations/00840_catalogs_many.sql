-- +goose Up
-- Several catalogs per business account (Meta's owned_product_catalogs),
-- each with a name; at most one of them is connected to the account
-- (product_catalogs, catalog_message). The catalogs of before are each
-- their business's connected one, named after it.
ALTER TABLE catalogs DROP CONSTRAINT catalogs_business_id_key;
ALTER TABLE catalogs ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE catalogs ADD COLUMN connected BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE catalogs c SET connected = TRUE, name = b.name FROM businesses b WHERE b.id = c.business_id;
CREATE INDEX catalogs_business ON catalogs (business_id, id);
CREATE UNIQUE INDEX catalogs_connected ON catalogs (business_id) WHERE connected;

-- +goose Down
DELETE FROM catalog_products WHERE catalog_id IN (SELECT id FROM catalogs WHERE NOT connected);
DELETE FROM catalogs WHERE NOT connected;
DROP INDEX catalogs_connected;
DROP INDEX catalogs_business;
ALTER TABLE catalogs DROP COLUMN connected;
ALTER TABLE catalogs DROP COLUMN name;
ALTER TABLE catalogs ADD CONSTRAINT catalogs_business_id_key UNIQUE (business_id);
