-- +goose Up
-- Template quality: a customer's block or report counts against the last
-- template they received from the number; enough of them pause the
-- template, and the third pause disables it.
ALTER TABLE business_messages ADD COLUMN template_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE templates ADD COLUMN paused_until INTEGER;
ALTER TABLE templates ADD COLUMN pauses INTEGER NOT NULL DEFAULT 0;
CREATE INDEX business_messages_template ON business_messages (number_id, customer_id, created_at) WHERE template_id != 0;
CREATE TABLE template_quality (
    template_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (template_id, customer_id, kind)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE template_quality;
DROP INDEX business_messages_template;
