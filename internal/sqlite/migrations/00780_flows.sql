-- +goose Up
-- WhatsApp Flows (business/flows.go): a business account's Flows with
-- their Flow JSON asset and the outcome of its validation, and the RSA
-- public key each business number uploaded for the Flows data channel
-- (POST /{phone-number-id}/whatsapp_business_encryption). Flow ids draw
-- from a range of their own (business/ids.go, KindFlow).
CREATE TABLE flows (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id       INTEGER NOT NULL REFERENCES businesses (id),
    name              TEXT    NOT NULL,
    categories        TEXT    NOT NULL DEFAULT '[]',
    status            TEXT    NOT NULL,
    endpoint_uri      TEXT    NOT NULL DEFAULT '',
    flow_json         TEXT    NOT NULL DEFAULT '',
    json_version      TEXT    NOT NULL DEFAULT '',
    data_api_version  TEXT    NOT NULL DEFAULT '',
    validation_errors TEXT    NOT NULL DEFAULT '[]',
    created_at        INTEGER,
    updated_at        INTEGER,
    UNIQUE (business_id, name)
);
UPDATE sqlite_sequence SET seq = 1200000000000000 WHERE name = 'flows' AND seq < 1200000000000000;
INSERT INTO sqlite_sequence (name, seq) SELECT 'flows', 1200000000000000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'flows');

CREATE TABLE flow_encryption_keys (
    number_id   INTEGER PRIMARY KEY REFERENCES business_numbers (id),
    public_key  TEXT    NOT NULL,
    updated_at  INTEGER
);

-- A Flow message sent to a person: its flow token, and who may drive it
-- (POST /v1/flows/exchange and /v1/flows/complete). completed_at is set
-- once the person finished it.
CREATE TABLE flow_sessions (
    wamid        TEXT PRIMARY KEY,
    flow_id      INTEGER NOT NULL,
    number_id    INTEGER NOT NULL,
    chat_id      INTEGER NOT NULL,
    customer_id  INTEGER NOT NULL,
    flow_token   TEXT NOT NULL,
    created_at   INTEGER,
    completed_at INTEGER
);

-- +goose Down
DROP TABLE flow_sessions;
DROP TABLE flow_encryption_keys;
DROP TABLE flows;
