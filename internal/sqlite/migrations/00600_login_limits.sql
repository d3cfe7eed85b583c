-- +goose Up
-- A pending code belongs to the number and to whoever asked for it (the
-- client address), so a stranger's guesses never touch the owner's code.
-- Pending codes live minutes; they are not carried over.
DROP TABLE otps;
CREATE TABLE otps (
    phone      TEXT    NOT NULL,
    requester  TEXT    NOT NULL,
    code_hash  BLOB    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER,
    expires_at INTEGER,
    PRIMARY KEY (phone, requester)
) WITHOUT ROWID;

-- Counters of the limits every node of a deployment shares (per number,
-- per country prefix, per account), each for one fixed window.
CREATE TABLE quotas (
    name         TEXT    PRIMARY KEY,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE quotas;
DROP TABLE otps;
CREATE TABLE otps (
    phone      TEXT    PRIMARY KEY,
    code_hash  BLOB    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER,
    expires_at INTEGER
) WITHOUT ROWID;
