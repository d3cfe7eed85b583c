-- +goose Up
-- Graph ids are unique across kinds (business/ids.go): each kind of Graph
-- object draws its ids from a range of its own, kind k above k * 10^14, so
-- a business account, a phone number, a template and a catalog of a fresh
-- install no longer all have id 1, and GET /{id} can tell them apart.
-- Rows made before this migration keep their ids and stay readable.
UPDATE sqlite_sequence SET seq = 100000000000000 WHERE name = 'businesses' AND seq < 100000000000000;
INSERT INTO sqlite_sequence (name, seq) SELECT 'businesses', 100000000000000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'businesses');
UPDATE sqlite_sequence SET seq = 200000000000000 WHERE name = 'business_numbers' AND seq < 200000000000000;
INSERT INTO sqlite_sequence (name, seq) SELECT 'business_numbers', 200000000000000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'business_numbers');
UPDATE sqlite_sequence SET seq = 300000000000000 WHERE name = 'templates' AND seq < 300000000000000;
INSERT INTO sqlite_sequence (name, seq) SELECT 'templates', 300000000000000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'templates');
UPDATE sqlite_sequence SET seq = 400000000000000 WHERE name = 'catalogs' AND seq < 400000000000000;
INSERT INTO sqlite_sequence (name, seq) SELECT 'catalogs', 400000000000000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'catalogs');
UPDATE sqlite_sequence SET seq = 500000000000000 WHERE name = 'catalog_products' AND seq < 500000000000000;
INSERT INTO sqlite_sequence (name, seq) SELECT 'catalog_products', 500000000000000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'catalog_products');
UPDATE sqlite_sequence SET seq = 600000000000000 WHERE name = 'ctc_links' AND seq < 600000000000000;
INSERT INTO sqlite_sequence (name, seq) SELECT 'ctc_links', 600000000000000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'ctc_links');

-- +goose Down
-- The ranges stay: ids already given out must not be given again.
SELECT 1;
