-- +goose Up
-- The end-to-end key directory (docs/E2EE.md): each device's identity
-- keys and fallback key, its pool of one-time keys (each handed out at
-- most once), and each account's signed device list. The server stores
-- and hands out public keys only.
CREATE TABLE device_keys (
    device_id        bigint PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    account_id       bigint NOT NULL,
    curve25519       text   NOT NULL,
    ed25519          text   NOT NULL,
    signature        text   NOT NULL,
    fallback_key_id  text   NOT NULL DEFAULT '',
    fallback_key     text   NOT NULL DEFAULT '',
    fallback_sig     text   NOT NULL DEFAULT '',
    updated_at       timestamptz
);
CREATE INDEX device_keys_account_id ON device_keys (account_id);

CREATE TABLE one_time_keys (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id  bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key_id     text   NOT NULL,
    key        text   NOT NULL,
    signature  text   NOT NULL,
    UNIQUE (device_id, key_id)
);

CREATE TABLE device_lists (
    account_id   bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    version      bigint NOT NULL,
    signing_key  text   NOT NULL,
    list         bytea  NOT NULL,
    updated_at   timestamptz
);

-- +goose Down
DROP TABLE device_lists;
DROP TABLE one_time_keys;
DROP TABLE device_keys;
