-- Business messaging: business accounts (WABAs), their numbers and tokens,
-- conversations with customers, message records, templates, the webhook
-- outbox, the usage ledger and click-to-chat links.
-- Times are timestamptz, NULL for the zero time.

-- +goose Up
CREATE TABLE businesses (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT    NOT NULL,
    category      TEXT    NOT NULL DEFAULT '',
    description   TEXT    NOT NULL DEFAULT '',
    address       TEXT    NOT NULL DEFAULT '',
    website       TEXT    NOT NULL DEFAULT '',
    verified      BOOLEAN NOT NULL DEFAULT FALSE,
    app_secret    TEXT    NOT NULL,
    callback_url  TEXT    NOT NULL DEFAULT '',
    verify_token  TEXT    NOT NULL DEFAULT '',
    pricing_model TEXT    NOT NULL DEFAULT 'PMP',
    created_at    TIMESTAMPTZ
);

CREATE TABLE business_numbers (
    id           BIGSERIAL PRIMARY KEY,
    business_id  BIGINT NOT NULL REFERENCES businesses (id),
    account_id   BIGINT NOT NULL UNIQUE REFERENCES accounts (id),
    device_id    BIGINT NOT NULL,
    phone        TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    throughput   BIGINT NOT NULL DEFAULT 0,
    tier_limit   BIGINT NOT NULL DEFAULT 0,
    quality      TEXT    NOT NULL DEFAULT 'GREEN',
    status       TEXT    NOT NULL DEFAULT 'CONNECTED',
    created_at   TIMESTAMPTZ
);
CREATE INDEX business_numbers_business_id ON business_numbers (business_id);

CREATE TABLE business_tokens (
    id          BIGSERIAL PRIMARY KEY,
    business_id BIGINT NOT NULL REFERENCES businesses (id),
    name        TEXT    NOT NULL DEFAULT '',
    token_hash  BYTEA    NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ,
    expires_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX business_tokens_business_id ON business_tokens (business_id);

CREATE TABLE business_conversations (
    number_id          BIGINT NOT NULL,
    customer_id        BIGINT NOT NULL,
    chat_id            BIGINT NOT NULL DEFAULT 0,
    last_inbound_at    TIMESTAMPTZ,
    entry_point_at     TIMESTAMPTZ,
    entry_point_until  TIMESTAMPTZ,
    entry_point_link   BIGINT NOT NULL DEFAULT 0,
    replied            BOOLEAN NOT NULL DEFAULT FALSE,
    marketing_opt_out  BOOLEAN NOT NULL DEFAULT FALSE,
    conversation_until TEXT    NOT NULL DEFAULT '{}', -- JSON: category → unix ns
    PRIMARY KEY (number_id, customer_id)
);

CREATE TABLE business_messages (
    number_id           BIGINT NOT NULL,
    id                  TEXT    NOT NULL,
    outbound            BOOLEAN NOT NULL,
    chat_id             BIGINT NOT NULL,
    customer_id         BIGINT NOT NULL,
    customer_phone      TEXT    NOT NULL,
    category            TEXT    NOT NULL DEFAULT '',
    pricing_type        TEXT    NOT NULL DEFAULT '',
    billable            BOOLEAN NOT NULL DEFAULT FALSE,
    conversation_opened BOOLEAN NOT NULL DEFAULT FALSE,
    callback_data       TEXT    NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ,
    PRIMARY KEY (number_id, id)
);
CREATE INDEX business_messages_marketing ON business_messages (customer_id, created_at) WHERE category = 'marketing';

CREATE TABLE business_reach (
    number_id   BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (number_id, customer_id)
);
CREATE INDEX business_reach_at ON business_reach (number_id, at);

CREATE TABLE business_quality (
    number_id   BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    kind        TEXT    NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (number_id, customer_id, kind)
);

CREATE TABLE templates (
    id               BIGSERIAL PRIMARY KEY,
    business_id      BIGINT NOT NULL REFERENCES businesses (id),
    name             TEXT    NOT NULL,
    language         TEXT    NOT NULL,
    category         TEXT    NOT NULL,
    parameter_format TEXT    NOT NULL,
    components       TEXT    NOT NULL, -- JSON
    status           TEXT    NOT NULL,
    reason           TEXT    NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ,
    UNIQUE (business_id, name, language)
);

CREATE TABLE webhook_outbox (
    id              BIGSERIAL PRIMARY KEY,
    business_id     BIGINT NOT NULL,
    key             TEXT    NOT NULL UNIQUE,
    conv_key        TEXT    NOT NULL,
    payload         BYTEA    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_outbox_conv ON webhook_outbox (business_id, conv_key, id) WHERE status = 'pending';
CREATE INDEX webhook_outbox_business ON webhook_outbox (business_id, id);

CREATE TABLE webhook_attempts (
    webhook_id  BIGINT NOT NULL,
    attempt     BIGINT NOT NULL,
    at          TIMESTAMPTZ,
    status_code BIGINT NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    duration    BIGINT NOT NULL DEFAULT 0, -- nanoseconds
    PRIMARY KEY (webhook_id, attempt)
);

CREATE TABLE usage_ledger (
    id           BIGSERIAL PRIMARY KEY,
    key          TEXT    NOT NULL UNIQUE,
    business_id  BIGINT NOT NULL,
    number_id    BIGINT NOT NULL,
    event        TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    country      TEXT    NOT NULL,
    pricing_type TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    billable     BOOLEAN NOT NULL,
    message_id   TEXT    NOT NULL,
    at           TIMESTAMPTZ
);
CREATE INDEX usage_ledger_business ON usage_ledger (business_id, id);

-- +goose StatementBegin
CREATE FUNCTION usage_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the usage ledger is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER usage_ledger_no_change BEFORE UPDATE OR DELETE ON usage_ledger
    FOR EACH ROW EXECUTE FUNCTION usage_ledger_append_only();

CREATE TABLE ctc_links (
    id          BIGSERIAL PRIMARY KEY,
    business_id BIGINT NOT NULL REFERENCES businesses (id),
    number_id   BIGINT NOT NULL REFERENCES business_numbers (id),
    code        TEXT    NOT NULL UNIQUE,
    prefill     TEXT    NOT NULL DEFAULT '',
    source      TEXT    NOT NULL DEFAULT '', -- JSON referral, '' for none
    clicks      BIGINT NOT NULL DEFAULT 0,
    chats       BIGINT NOT NULL DEFAULT 0,
    replies     BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ
);
CREATE INDEX ctc_links_business ON ctc_links (business_id);

-- A click holds no identity: only which link and when.
CREATE TABLE ctc_clicks (
    id      TEXT    PRIMARY KEY,
    link_id BIGINT NOT NULL REFERENCES ctc_links (id),
    at      TIMESTAMPTZ
);

-- +goose Down
DROP TABLE ctc_clicks;
DROP TABLE ctc_links;
DROP TABLE usage_ledger;
DROP FUNCTION usage_ledger_append_only;
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
