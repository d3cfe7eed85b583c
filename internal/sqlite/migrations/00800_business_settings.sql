-- +goose Up
-- A business account's documents that the Cloud API reads and writes as
-- a whole and never queries by content, one JSON body per business and
-- kind (business/business_settings.go): the webhook version and the
-- address the business calls the API on, recorded when it subscribes,
-- and its resumable upload sessions.
CREATE TABLE business_settings (
    business_id INTEGER NOT NULL REFERENCES businesses (id),
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (business_id, kind)
);

-- +goose Down
DROP TABLE business_settings;
