-- +goose Up
-- A shared message's inbox entries were full inbox rows (every column,
-- four b-trees: the table and three indexes) that all said the same thing
-- but for their device and key. The message's columns now live once, on
-- its body; each device gets an inbox_refs row of only what a reference
-- needs, in two b-trees: the table itself (clustered by device, as
-- Pending and Ack read it) and the index by body, which the sweep, the
-- chat-wide deletes and QueuedEntries use. Expiry reads the bodies'
-- expires_at, one row per message instead of one per device.
--
-- Ids come from inbox's sequence (sqlite_sequence), so a device's
-- entries of both tables keep one order. Inbox rows written before this
-- migration (shared = 1, every column) stay as they are and read as
-- before; their bodies keep zero columns here, which nothing reads.
ALTER TABLE message_bodies ADD COLUMN type           TEXT    NOT NULL DEFAULT '';
ALTER TABLE message_bodies ADD COLUMN seq            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_bodies ADD COLUMN kind           TEXT    NOT NULL DEFAULT '';
ALTER TABLE message_bodies ADD COLUMN ref            TEXT    NOT NULL DEFAULT '';
ALTER TABLE message_bodies ADD COLUMN sender_account INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_bodies ADD COLUMN sender_device  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_bodies ADD COLUMN created_at     INTEGER;
ALTER TABLE message_bodies ADD COLUMN expires_at     INTEGER;
ALTER TABLE message_bodies ADD COLUMN notify_expiry  INTEGER NOT NULL DEFAULT 0;
CREATE INDEX message_bodies_expires_at ON message_bodies (expires_at);
CREATE TABLE inbox_refs (
    device_id INTEGER NOT NULL,
    id        INTEGER NOT NULL,
    body_id   INTEGER NOT NULL,
    key       BLOB,
    PRIMARY KEY (device_id, id)
) WITHOUT ROWID;
CREATE INDEX inbox_refs_body ON inbox_refs (body_id);

-- +goose Down
DROP TABLE inbox_refs;
DROP INDEX message_bodies_expires_at;
ALTER TABLE message_bodies DROP COLUMN notify_expiry;
ALTER TABLE message_bodies DROP COLUMN expires_at;
ALTER TABLE message_bodies DROP COLUMN created_at;
ALTER TABLE message_bodies DROP COLUMN sender_device;
ALTER TABLE message_bodies DROP COLUMN sender_account;
ALTER TABLE message_bodies DROP COLUMN ref;
ALTER TABLE message_bodies DROP COLUMN kind;
ALTER TABLE message_bodies DROP COLUMN seq;
ALTER TABLE message_bodies DROP COLUMN type;
