-- Times are integer unix nanoseconds, NULL for the zero time.
-- AUTOINCREMENT keeps ids from ever being reused: a device's inbox cursor
-- must never see an id again after the row holding it was deleted.

-- +goose Up
CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    phone                TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL DEFAULT '',
    about                TEXT    NOT NULL DEFAULT '',
    avatar_media_id      TEXT    NOT NULL DEFAULT '',
    last_seen_visibility TEXT    NOT NULL DEFAULT '',
    avatar_visibility    TEXT    NOT NULL DEFAULT '',
    read_receipts        INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER,
    last_seen_at         INTEGER
);

CREATE TABLE otps (
    phone      TEXT    PRIMARY KEY,
    code_hash  BLOB    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER,
    expires_at INTEGER
) WITHOUT ROWID;

CREATE TABLE blocks (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, blocked_id)
) WITHOUT ROWID;

CREATE TABLE devices (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL DEFAULT '',
    public_key     BLOB,
    token_hash     BLOB    NOT NULL UNIQUE,
    created_at     INTEGER,
    last_active_at INTEGER
);
CREATE INDEX devices_account_id ON devices (account_id);

CREATE TABLE chats (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    subject          TEXT    NOT NULL DEFAULT '',
    only_admins_send INTEGER NOT NULL DEFAULT 0,
    disappear_after  INTEGER NOT NULL DEFAULT 0, -- nanoseconds
    direct_key       TEXT,
    created_by       INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER,
    last_seq         INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX chats_direct_key ON chats (direct_key) WHERE direct_key IS NOT NULL;

CREATE TABLE chat_members (
    chat_id    INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL,
    joined_at  INTEGER,
    PRIMARY KEY (chat_id, account_id)
) WITHOUT ROWID;
CREATE INDEX chat_members_account_id ON chat_members (account_id);

-- messages is the metadata of sent messages, kept for deduplication and
-- edit windows until PruneMessages. No foreign keys: the hot path should
-- not pay for them.
CREATE TABLE messages (
    chat_id        INTEGER NOT NULL,
    message_id     TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    sender_account INTEGER NOT NULL,
    sender_device  INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    ref            TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER,
    PRIMARY KEY (chat_id, message_id)
) WITHOUT ROWID;
CREATE INDEX messages_created_at ON messages (created_at);

CREATE TABLE receipts (
    chat_id    INTEGER NOT NULL,
    message_id TEXT    NOT NULL,
    account_id INTEGER NOT NULL,
    status     INTEGER NOT NULL,
    PRIMARY KEY (chat_id, message_id, account_id)
) WITHOUT ROWID;

-- inbox is every device's store-and-forward queue. device_id has no foreign
-- key so that a device deleted while a batch is in flight cannot fail the
-- whole group commit; DeleteDevice removes the rows itself.
CREATE TABLE inbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id      INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    chat_id        INTEGER NOT NULL DEFAULT 0,
    seq            INTEGER NOT NULL DEFAULT 0,
    message_id     TEXT    NOT NULL DEFAULT '',
    kind           TEXT    NOT NULL DEFAULT '',
    ref            TEXT    NOT NULL DEFAULT '',
    sender_account INTEGER NOT NULL DEFAULT 0,
    sender_device  INTEGER NOT NULL DEFAULT 0,
    body           BLOB,
    created_at     INTEGER,
    expires_at     INTEGER,
    notify_expiry  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbox_device_id ON inbox (device_id, id);
CREATE INDEX inbox_expires_at ON inbox (expires_at);
CREATE INDEX inbox_chat_id ON inbox (chat_id);

CREATE TABLE media (
    id           TEXT    PRIMARY KEY,
    sha256       TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    owner_id     INTEGER NOT NULL,
    created_at   INTEGER
) WITHOUT ROWID;

CREATE TABLE media_chats (
    media_id TEXT    NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    chat_id  INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    PRIMARY KEY (media_id, chat_id)
) WITHOUT ROWID;
CREATE INDEX media_chats_chat_id ON media_chats (chat_id);

-- +goose Down
DROP TABLE media_chats;
DROP TABLE media;
DROP TABLE inbox;
DROP TABLE receipts;
DROP TABLE messages;
DROP TABLE chat_members;
DROP TABLE chats;
DROP TABLE devices;
DROP TABLE blocks;
DROP TABLE otps;
DROP TABLE accounts;
