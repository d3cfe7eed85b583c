-- +goose Up
-- The people-side revenue models: premium memberships and recurring
-- donations, pinned chats, operating costs (docs/REVENUE-MODELS.md).
CREATE TABLE recurring_payments (
    id            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind          text    NOT NULL,
    plan          text    NOT NULL,
    price_minor   bigint  NOT NULL,
    currency      text    NOT NULL,
    method        text    NOT NULL DEFAULT '',
    status        text    NOT NULL,
    period        bigint  NOT NULL,
    period_end    timestamptz,
    cancel_at_end boolean NOT NULL DEFAULT false,
    created_at    timestamptz,
    UNIQUE (account_id, kind)
);
CREATE INDEX recurring_payments_due ON recurring_payments (status, period_end);

CREATE TABLE chat_pins (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    chat_id    bigint NOT NULL,
    pinned_at  timestamptz,
    PRIMARY KEY (account_id, chat_id)
);

CREATE TABLE operating_costs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    month        text   NOT NULL,
    category     text   NOT NULL,
    description  text   NOT NULL DEFAULT '',
    amount_minor bigint NOT NULL,
    currency     text   NOT NULL,
    created_at   timestamptz
);
CREATE INDEX operating_costs_month ON operating_costs (month, id);
CREATE INDEX channel_ledger_at ON channel_ledger (at);

-- +goose Down
DROP INDEX channel_ledger_at;
DROP TABLE operating_costs;
DROP TABLE chat_pins;
DROP TABLE recurring_payments;
