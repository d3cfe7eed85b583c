-- +goose Up
-- The end-to-end state of each business number's cloud device (its Olm
-- account, sessions and trusted device lists; business/cloudkeys.go),
-- sealed with AES-256-GCM under a key derived from the server's secret.
-- version grows by one with every write: nodes that share the database
-- compare and swap it, so that two of them never ratchet from the same
-- state.
CREATE TABLE cloud_device_keys (
    device_id  BIGINT PRIMARY KEY,
    version    BIGINT NOT NULL,
    state      BYTEA NOT NULL
);

-- +goose Down
DROP TABLE cloud_device_keys;
