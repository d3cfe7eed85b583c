-- +goose Up
-- Graph ids are unique across kinds (business/ids.go): each kind of Graph
-- object draws its ids from a range of its own, kind k above k * 10^14, so
-- a business account, a phone number, a template and a catalog of a fresh
-- install no longer all have id 1, and GET /{id} can tell them apart.
-- Rows made before this migration keep their ids and stay readable.
SELECT setval('businesses_id_seq', GREATEST((SELECT COALESCE(MAX(id), 0) FROM businesses), 100000000000000));
SELECT setval('business_numbers_id_seq', GREATEST((SELECT COALESCE(MAX(id), 0) FROM business_numbers), 200000000000000));
SELECT setval('templates_id_seq', GREATEST((SELECT COALESCE(MAX(id), 0) FROM templates), 300000000000000));
SELECT setval('catalogs_id_seq', GREATEST((SELECT COALESCE(MAX(id), 0) FROM catalogs), 400000000000000));
SELECT setval('catalog_products_id_seq', GREATEST((SELECT COALESCE(MAX(id), 0) FROM catalog_products), 500000000000000));
SELECT setval('ctc_links_id_seq', GREATEST((SELECT COALESCE(MAX(id), 0) FROM ctc_links), 600000000000000));

-- +goose Down
-- The ranges stay: ids already given out must not be given again.
SELECT 1;
