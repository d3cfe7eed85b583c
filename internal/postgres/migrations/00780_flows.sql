-- +goose Up
-- WhatsApp Flows (business/flows.go): a business account's Flows with
-- their Flow JSON asset and the outcome of its validation, and the RSA
-- public key each business number uploaded for the Flows data channel
-- (POST /{phone-number-id}/whatsapp_business_encryption). Flow ids draw
-- from a range of their own (business/ids.go, KindFlow).
CREATE TABLE flows (
    id                BIGSERIAL PRIMARY KEY,
    business_id       BIGINT NOT NULL REFERENCES businesses (id),
    name              TEXT   NOT NULL,
    categories        TEXT   NOT NULL DEFAULT '[]',
    status            TEXT   NOT NULL,
    endpoint_uri      TEXT   NOT NULL DEFAULT '',
    flow_json         TEXT   NOT NULL DEFAULT '',
    json_version      TEXT   NOT NULL DEFAULT '',
    data_api_version  TEXT   NOT NULL DEFAULT '',
    validation_errors TEXT   NOT NULL DEFAULT '[]',
    created_at        TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ,
    UNIQUE (business_id, name)
);
SELECT setval('flows_id_seq', 1200000000000000);

CREATE TABLE flow_encryption_keys (
    number_id   BIGINT PRIMARY KEY REFERENCES business_numbers (id),
    public_key  TEXT   NOT NULL,
    updated_at  TIMESTAMPTZ
);

-- A Flow message sent to a person: its flow token, and who may drive it
-- (POST /v1/flows/exchange and /v1/flows/complete). completed_at is set
-- once the person finished it.
CREATE TABLE flow_sessions (
    wamid        TEXT PRIMARY KEY,
    flow_id      BIGINT NOT NULL,
    number_id    BIGINT NOT NULL,
    chat_id      BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL,
    flow_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ,
    completed_at TIMESTAMPTZ
);

-- +goose Down
DROP TABLE flow_sessions;
DROP TABLE flow_encryption_keys;
DROP TABLE flows;
