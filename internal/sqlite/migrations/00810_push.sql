-- +goose Up
-- Notifications (docs/NOTIFICATIONS.md). The node's VAPID key pair
-- (RFC 8292), made by the first node to start and shared by every node of
-- the database, as node_secret is. A device's push subscription (Web Push
-- or UnifiedPush: an RFC 8030 endpoint and its RFC 8291 keys), gone with
-- the device. The push queue: one row per device and chat, pending until
-- sent, kept with the time of its last push so that a chat wakes a device
-- at most once per coalescing window. Mutes: per account and chat, until a
-- time (0: always); chat 0 is do-not-disturb for every chat. Times are
-- Unix milliseconds.
CREATE TABLE push_vapid (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    private_key TEXT NOT NULL,
    public_key  TEXT NOT NULL
);

CREATE TABLE push_subscriptions (
    device_id  INTEGER PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    endpoint   TEXT    NOT NULL,
    p256dh     TEXT    NOT NULL,
    auth       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE push_queue (
    device_id  INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    pending    INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    first_at   INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    sent_at    INTEGER NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (device_id, chat_id)
);
CREATE INDEX push_queue_due ON push_queue (next_at) WHERE pending = 1;

CREATE TABLE push_mutes (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL,
    until      INTEGER NOT NULL,
    PRIMARY KEY (account_id, chat_id)
);

-- +goose Down
DROP TABLE push_mutes;
DROP TABLE push_queue;
DROP TABLE push_subscriptions;
DROP TABLE push_vapid;
