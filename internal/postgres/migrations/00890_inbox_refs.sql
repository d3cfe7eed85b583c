-- +goose Up
-- A shared message's inbox entries were full inbox rows (every column,
-- the heap and four indexes) that all said the same thing but for their
-- device and key. The message's columns now live once, on its body; each
-- device gets an inbox_refs row of only what a reference needs, with two
-- indexes: the primary key (device, id), as Pending and Ack read it, and
-- the index by body, which the sweep, the chat-wide deletes and
-- QueuedEntries use. Expiry reads the bodies'
-- expires_at, one row per message instead of one per device.
--
-- Ids come from inbox's sequence (the identity), so a device's
-- entries of both tables keep one order. Inbox rows written before this
-- migration (shared = true, every column) stay as they are and read as
-- before; their bodies keep zero columns here, which nothing reads.
ALTER TABLE message_bodies ADD COLUMN type           text    NOT NULL DEFAULT '';
ALTER TABLE message_bodies ADD COLUMN seq            bigint  NOT NULL DEFAULT 0;
ALTER TABLE message_bodies ADD COLUMN kind           text    NOT NULL DEFAULT '';
ALTER TABLE message_bodies ADD COLUMN ref            text    NOT NULL DEFAULT '';
ALTER TABLE message_bodies ADD COLUMN sender_account bigint  NOT NULL DEFAULT 0;
ALTER TABLE message_bodies ADD COLUMN sender_device  bigint  NOT NULL DEFAULT 0;
ALTER TABLE message_bodies ADD COLUMN created_at     timestamptz;
ALTER TABLE message_bodies ADD COLUMN expires_at     timestamptz;
ALTER TABLE message_bodies ADD COLUMN notify_expiry  boolean NOT NULL DEFAULT false;
CREATE INDEX message_bodies_expires_at ON message_bodies (expires_at);
CREATE TABLE inbox_refs (
    device_id bigint NOT NULL,
    id        bigint NOT NULL,
    body_id   bigint NOT NULL,
    key       bytea,
    PRIMARY KEY (device_id, id)
);
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
