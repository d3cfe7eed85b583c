-- +goose Up
-- The people-side revenue models: premium memberships and recurring
-- donations, pinned chats, operating costs (docs/REVENUE-MODELS.md).
CREATE TABLE recurring_payments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    plan          TEXT    NOT NULL,
    price_minor   INTEGER NOT NULL,
    currency      TEXT    NOT NULL,
    method        TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL,
    period        INTEGER NOT NULL,
    period_end    INTEGER,
    cancel_at_end INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER,
    UNIQUE (account_id, kind)
);
CREATE INDEX recurring_payments_due ON recurring_payments (status, period_end);

CREATE TABLE chat_pins (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL,
    pinned_at  INTEGER,
    PRIMARY KEY (account_id, chat_id)
);

CREATE TABLE operating_costs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    month        TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    amount_minor INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    created_at   INTEGER
);
CREATE INDEX operating_costs_month ON operating_costs (month, id);
CREATE INDEX channel_ledger_at ON channel_ledger (at);

-- +goose Down
DROP INDEX channel_ledger_at;
DROP TABLE operating_costs;
DROP TABLE chat_pins;
DROP TABLE recurring_payments;
