-- +goose Up
-- The end-to-end key directory (docs/E2EE.md): each device's identity
-- keys and fallback key, its pool of one-time keys (each handed out at
-- most once), and each account's signed device list. The server stores
-- and hands out public keys only.
CREATE TABLE device_keys (
    device_id        INTEGER PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    account_id       INTEGER NOT NULL,
    curve25519       TEXT    NOT NULL,
    ed25519          TEXT    NOT NULL,
    signature        TEXT    NOT NULL,
    fallback_key_id  TEXT    NOT NULL DEFAULT '',
    fallback_key     TEXT    NOT NULL DEFAULT '',
    fallback_sig     TEXT    NOT NULL DEFAULT '',
    updated_at       INTEGER
);
CREATE INDEX device_keys_account_id ON device_keys (account_id);

CREATE TABLE one_time_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id  INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key_id     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    signature  TEXT    NOT NULL,
    UNIQUE (device_id, key_id)
);

CREATE TABLE device_lists (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    signing_key  TEXT    NOT NULL,
    list         BLOB    NOT NULL,
    updated_at   INTEGER
);

-- +goose Down
DROP TABLE device_lists;
DROP TABLE one_time_keys;
DROP TABLE device_keys;
