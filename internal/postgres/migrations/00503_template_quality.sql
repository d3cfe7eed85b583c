-- +goose Up
-- Template quality: a customer's block or report counts against the last
-- template they received from the number; enough of them pause the
-- template, and the third pause disables it.
ALTER TABLE business_messages ADD COLUMN template_id bigint NOT NULL DEFAULT 0;
ALTER TABLE templates ADD COLUMN paused_until timestamptz;
ALTER TABLE templates ADD COLUMN pauses integer NOT NULL DEFAULT 0;
CREATE INDEX business_messages_template ON business_messages (number_id, customer_id, created_at) WHERE template_id <> 0;
CREATE TABLE template_quality (
    template_id bigint      NOT NULL,
    customer_id bigint      NOT NULL,
    kind        text        NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (template_id, customer_id, kind)
);

-- +goose Down
DROP TABLE template_quality;
DROP INDEX business_messages_template;
ALTER TABLE templates DROP COLUMN pauses;
ALTER TABLE templates DROP COLUMN paused_until;
ALTER TABLE business_messages DROP COLUMN template_id;
