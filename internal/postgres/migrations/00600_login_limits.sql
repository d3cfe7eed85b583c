-- +goose Up
-- A pending code belongs to the number and to whoever asked for it (the
-- client address), so a stranger's guesses never touch the owner's code.
-- Pending codes live minutes; they are not carried over.
DROP TABLE otps;
CREATE TABLE otps (
    phone      text    NOT NULL,
    requester  text    NOT NULL,
    code_hash  bytea   NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    created_at timestamptz,
    expires_at timestamptz,
    PRIMARY KEY (phone, requester)
);

-- Counters of the limits every node of a deployment shares (per number,
-- per country prefix, per account), each for one fixed window.
CREATE TABLE quotas (
    name         text   PRIMARY KEY,
    window_start bigint NOT NULL,
    used         bigint NOT NULL
);

-- +goose Down
DROP TABLE quotas;
DROP TABLE otps;
CREATE TABLE otps (
    phone      text    PRIMARY KEY,
    code_hash  bytea   NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    created_at timestamptz,
    expires_at timestamptz
);
