-- Channel subscription tiers, subscriptions, promotions and the channel
-- ledger (issue 4). Amounts are integer minor units.

-- +goose Up
CREATE TABLE channel_tiers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    price_minor INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER
);
CREATE INDEX channel_tiers_channel_id ON channel_tiers (channel_id);

CREATE TABLE channel_subscriptions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id    INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tier_id       INTEGER NOT NULL,
    price_minor   INTEGER NOT NULL,
    currency      TEXT    NOT NULL,
    method        TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL,
    period        INTEGER NOT NULL,
    period_end    INTEGER,
    cancel_at_end INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER,
    UNIQUE (channel_id, account_id)
);
CREATE INDEX channel_subscriptions_due ON channel_subscriptions (status, period_end);

CREATE TABLE channel_promotions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id   INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    budget_minor INTEGER NOT NULL,
    spent_minor  INTEGER NOT NULL DEFAULT 0,
    currency     TEXT    NOT NULL,
    impressions  INTEGER NOT NULL DEFAULT 0,
    follows      INTEGER NOT NULL DEFAULT 0,
    start_at     INTEGER,
    end_at       INTEGER,
    settled      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER
);
CREATE INDEX channel_promotions_channel_id ON channel_promotions (channel_id);
CREATE INDEX channel_promotions_end_at ON channel_promotions (end_at);

-- The channel ledger is append-only: Key makes every write idempotent.
CREATE TABLE channel_ledger (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT    NOT NULL UNIQUE,
    channel_id   INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    quantity     INTEGER NOT NULL DEFAULT 0,
    ref          TEXT    NOT NULL DEFAULT '',
    at           INTEGER
);
CREATE INDEX channel_ledger_channel_id ON channel_ledger (channel_id, id);

-- +goose Down
DROP TABLE channel_ledger;
DROP TABLE channel_promotions;
DROP TABLE channel_subscriptions;
DROP TABLE channel_tiers;
