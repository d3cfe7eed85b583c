-- +goose Up
-- A business number's settings that the Cloud API reads and writes as a
-- whole and never queries by content: the business profile, the phone
-- number settings, registration and the two-step PIN's hash, commerce
-- settings and conversational automation (business/settings.go). Each is
-- one JSON document per number and kind.
CREATE TABLE number_settings (
    number_id  BIGINT NOT NULL REFERENCES business_numbers (id),
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (number_id, kind)
);

-- +goose Down
DROP TABLE number_settings;
