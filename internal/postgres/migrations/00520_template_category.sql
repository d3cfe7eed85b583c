-- +goose Up
-- Category changes by review: a template keeps the category it had before
-- review or the operator changed it (Meta's previous_category).
ALTER TABLE templates ADD COLUMN previous_category text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE templates DROP COLUMN previous_category;
