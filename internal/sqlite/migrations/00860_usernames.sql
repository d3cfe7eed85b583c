-- +goose Up
-- A person's optional username (chat.ValidUsername; lower case, '' for
-- none), unique across the server, as WhatsApp usernames are; and the
-- business-scoped user ids each business was given (business.UserID is a
-- one-way hash), so that a business can send to one (the `recipient`
-- parameter of the Cloud API).
ALTER TABLE accounts ADD COLUMN username TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX accounts_username ON accounts (username) WHERE username != '';
CREATE TABLE business_user_ids (
    business_id INTEGER NOT NULL,
    user_id     TEXT    NOT NULL,
    account_id  INTEGER NOT NULL,
    PRIMARY KEY (business_id, user_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE business_user_ids;
DROP INDEX accounts_username;
ALTER TABLE accounts DROP COLUMN username;
