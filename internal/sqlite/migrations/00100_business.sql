-- Business messaging: business accounts (WABAs), their numbers and tokens,
-- conversations with customers, message records, templates, the webhook
-- outbox, the usage ledger and click-to-chat links.
-- Times are integer unix nanoseconds, NULL for the zero time.

-- +goose Up
CREATE TABLE businesses (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    category      TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    address       TEXT    NOT NULL DEFAULT '',
    website       TEXT    NOT NULL DEFAULT '',
    verified      INTEGER NOT NULL DEFAULT 0,
    app_secret    TEXT    NOT NULL,
    callback_url  TEXT    NOT NULL DEFAULT '',
    verify_token  TEXT    NOT NULL DEFAULT '',
    pricing_model TEXT    NOT NULL DEFAULT 'PMP',
    created_at    INTEGER
);

CREATE TABLE business_numbers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id  INTEGER NOT NULL REFERENCES businesses (id),
    account_id   INTEGER NOT NULL UNIQUE REFERENCES accounts (id),
    device_id    INTEGER NOT NULL,
    phone        TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    throughput   INTEGER NOT NULL DEFAULT 0,
    tier_limit   INTEGER NOT NULL DEFAULT 0,
    quality      TEXT    NOT NULL DEFAULT 'GREEN',
    status       TEXT    NOT NULL DEFAULT 'CONNECTED',
    created_at   INTEGER
);
CREATE INDEX business_numbers_business_id ON business_numbers (business_id);

CREATE TABLE business_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id INTEGER NOT NULL REFERENCES businesses (id),
    name        TEXT    NOT NULL DEFAULT '',
    token_hash  BLOB    NOT NULL UNIQUE,
    created_at  INTEGER,
    expires_at  INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX business_tokens_business_id ON business_tokens (business_id);

CREATE TABLE business_conversations (
    number_id          INTEGER NOT NULL,
    customer_id        INTEGER NOT NULL,
    chat_id            INTEGER NOT NULL DEFAULT 0,
    last_inbound_at    INTEGER,
    entry_point_at     INTEGER,
    entry_point_until  INTEGER,
    entry_point_link   INTEGER NOT NULL DEFAULT 0,
    replied            INTEGER NOT NULL DEFAULT 0,
    marketing_opt_out  INTEGER NOT NULL DEFAULT 0,
    conversation_until TEXT    NOT NULL DEFAULT '{}', -- JSON: category → unix ns
    PRIMARY KEY (number_id, customer_id)
) WITHOUT ROWID;

CREATE TABLE business_messages (
    number_id           INTEGER NOT NULL,
    id                  TEXT    NOT NULL,
    outbound            INTEGER NOT NULL,
    chat_id             INTEGER NOT NULL,
    customer_id         INTEGER NOT NULL,
    customer_phone      TEXT    NOT NULL,
    category            TEXT    NOT NULL DEFAULT '',
    pricing_type        TEXT    NOT NULL DEFAULT '',
    billable            INTEGER NOT NULL DEFAULT 0,
    conversation_opened INTEGER NOT NULL DEFAULT 0,
    callback_data       TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER,
    PRIMARY KEY (number_id, id)
) WITHOUT ROWID;
CREATE INDEX business_messages_marketing ON business_messages (customer_id, created_at) WHERE category = 'marketing';

CREATE TABLE business_reach (
    number_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (number_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX business_reach_at ON business_reach (number_id, at);

CREATE TABLE business_quality (
    number_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (number_id, customer_id, kind)
) WITHOUT ROWID;

CREATE TABLE templates (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id      INTEGER NOT NULL REFERENCES businesses (id),
    name             TEXT    NOT NULL,
    language         TEXT    NOT NULL,
    category         TEXT    NOT NULL,
    parameter_format TEXT    NOT NULL,
    components       TEXT    NOT NULL, -- JSON
    status           TEXT    NOT NULL,
    reason           TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER,
    updated_at       INTEGER,
    UNIQUE (business_id, name, language)
);

CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id     INTEGER NOT NULL,
    key             TEXT    NOT NULL UNIQUE,
    conv_key        TEXT    NOT NULL,
    payload         BLOB    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER,
    delivered_at    INTEGER
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_outbox_conv ON webhook_outbox (business_id, conv_key, id) WHERE status = 'pending';
CREATE INDEX webhook_outbox_business ON webhook_outbox (business_id, id);

CREATE TABLE webhook_attempts (
    webhook_id  INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER,
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    duration    INTEGER NOT NULL DEFAULT 0, -- nanoseconds
    PRIMARY KEY (webhook_id, attempt)
) WITHOUT ROWID;

CREATE TABLE usage_ledger (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT    NOT NULL UNIQUE,
    business_id  INTEGER NOT NULL,
    number_id    INTEGER NOT NULL,
    event        TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    country      TEXT    NOT NULL,
    pricing_type TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    billable     INTEGER NOT NULL,
    message_id   TEXT    NOT NULL,
    at           INTEGER
);
CREATE INDEX usage_ledger_business ON usage_ledger (business_id, id);

-- +goose StatementBegin
CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger
BEGIN SELECT RAISE(ABORT, 'the usage ledger is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER usage_ledger_no_delete BEFORE DELETE ON usage_ledger
BEGIN SELECT RAISE(ABORT, 'the usage ledger is append-only'); END;
-- +goose StatementEnd

CREATE TABLE ctc_links (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id INTEGER NOT NULL REFERENCES businesses (id),
    number_id   INTEGER NOT NULL REFERENCES business_numbers (id),
    code        TEXT    NOT NULL UNIQUE,
    prefill     TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL DEFAULT '', -- JSON referral, '' for none
    clicks      INTEGER NOT NULL DEFAULT 0,
    chats       INTEGER NOT NULL DEFAULT 0,
    replies     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER
);
CREATE INDEX ctc_links_business ON ctc_links (business_id);

-- A click holds no identity: only which link and when.
CREATE TABLE ctc_clicks (
    id      TEXT    PRIMARY KEY,
    link_id INTEGER NOT NULL REFERENCES ctc_links (id),
    at      INTEGER
) WITHOUT ROWID;

-- +goose Down
DROP TABLE ctc_clicks;
DROP TABLE ctc_links;
DROP TABLE usage_ledger;
DROP TABLE webhook_attempts;
DROP TABLE webhook_outbox;
DROP TABLE templates;
DROP TABLE business_quality;
DROP TABLE business_reach;
DROP TABLE business_messages;
DROP TABLE business_conversations;
DROP TABLE business_tokens;
DROP TABLE business_numbers;
DROP TABLE businesses;
