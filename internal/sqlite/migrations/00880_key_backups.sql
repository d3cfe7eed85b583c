-- +goose Up
-- Each account's encrypted key backup (docs/E2EE.md, "Key backup"): one
-- blob that the account's devices encrypt under a recovery key the server
-- never sees. The server stores it and hands it back to the account.
CREATE TABLE key_backups (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    blob        BLOB    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- +goose Down
DROP TABLE key_backups;
