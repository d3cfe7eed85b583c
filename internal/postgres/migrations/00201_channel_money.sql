-- Channel subscription tiers, subscriptions, promotions and the channel
-- ledger (issue 4). Amounts are integer minor units.

-- +goose Up
CREATE TABLE channel_tiers (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id  bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    name        text    NOT NULL,
    price_minor bigint  NOT NULL,
    currency    text    NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz
);
CREATE INDEX channel_tiers_channel_id ON channel_tiers (channel_id);

CREATE TABLE channel_subscriptions (
    id            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id    bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id    bigint  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tier_id       bigint  NOT NULL,
    price_minor   bigint  NOT NULL,
    currency      text    NOT NULL,
    method        text    NOT NULL DEFAULT '',
    status        text    NOT NULL,
    period        bigint  NOT NULL,
    period_end    timestamptz,
    cancel_at_end boolean NOT NULL DEFAULT false,
    created_at    timestamptz,
    UNIQUE (channel_id, account_id)
);
CREATE INDEX channel_subscriptions_due ON channel_subscriptions (status, period_end);

CREATE TABLE channel_promotions (
    id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id   bigint  NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    budget_minor bigint  NOT NULL,
    spent_minor  bigint  NOT NULL DEFAULT 0,
    currency     text    NOT NULL,
    impressions  bigint  NOT NULL DEFAULT 0,
    follows      bigint  NOT NULL DEFAULT 0,
    start_at     timestamptz,
    end_at       timestamptz,
    settled      boolean NOT NULL DEFAULT false,
    created_at   timestamptz
);
CREATE INDEX channel_promotions_channel_id ON channel_promotions (channel_id);
CREATE INDEX channel_promotions_end_at ON channel_promotions (end_at);

-- The channel ledger is append-only: Key makes every write idempotent.
CREATE TABLE channel_ledger (
    id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key          text    NOT NULL UNIQUE,
    channel_id   bigint  NOT NULL,
    kind         text    NOT NULL,
    amount_minor bigint  NOT NULL,
    currency     text    NOT NULL,
    quantity     bigint  NOT NULL DEFAULT 0,
    ref          text    NOT NULL DEFAULT '',
    at           timestamptz
);
CREATE INDEX channel_ledger_channel_id ON channel_ledger (channel_id, id);

-- +goose Down
DROP TABLE channel_ledger;
DROP TABLE channel_promotions;
DROP TABLE channel_subscriptions;
DROP TABLE channel_tiers;
