-- +goose Up
-- A message sent with one body for every recipient device (a group's
-- sender-key ciphertext) is stored once here; its inbox rows carry
-- shared = 1, no body, and at most a per-device key. A body is deleted
-- by the sweep once no inbox row refers to it (SweepBodies).
CREATE TABLE message_bodies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    message_id TEXT    NOT NULL,
    body       BLOB    NOT NULL,
    UNIQUE (chat_id, message_id)
);
ALTER TABLE inbox ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN key BLOB;
-- The sweep asks whether a message still has entries; the chat-wide
-- deletes use the same index's prefix.
DROP INDEX inbox_chat_id;
CREATE INDEX inbox_chat_message ON inbox (chat_id, message_id);

-- +goose Down
DROP INDEX inbox_chat_message;
CREATE INDEX inbox_chat_id ON inbox (chat_id);
ALTER TABLE inbox DROP COLUMN key;
ALTER TABLE inbox DROP COLUMN shared;
DROP TABLE message_bodies;
