-- +goose Up
-- Business billing: wallets, rate cards, the rated ledger (charges) and
-- invoices (docs/BILLING.md). Amounts are micro-units.
CREATE TABLE billing_accounts (
    business_id     bigint PRIMARY KEY REFERENCES businesses (id) ON DELETE CASCADE,
    mode            text    NOT NULL DEFAULT 'invoice',
    currency        text    NOT NULL,
    balance_micros  bigint NOT NULL DEFAULT 0,
    credit_limit    bigint NOT NULL DEFAULT 0,
    low_balance     bigint NOT NULL DEFAULT 0,
    low_notified    boolean NOT NULL DEFAULT false,
    pricing_amounts boolean NOT NULL DEFAULT false,
    budget_caps     text    NOT NULL DEFAULT '{}'
);

CREATE TABLE wallet_tx (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id bigint NOT NULL,
    key         text    NOT NULL UNIQUE,
    kind        text    NOT NULL,
    amount      bigint NOT NULL,
    currency    text    NOT NULL,
    ref         text    NOT NULL DEFAULT '',
    note        text    NOT NULL DEFAULT '',
    at timestamptz
);
CREATE INDEX wallet_tx_business ON wallet_tx (business_id, id);

CREATE TABLE rate_cards (
    name       text    NOT NULL,
    version    bigint NOT NULL,
    text       text    NOT NULL,
    effective timestamptz NOT NULL,
    created_at timestamptz,
    PRIMARY KEY (name, version)
);

CREATE TABLE card_assignments (
    business_id bigint NOT NULL,
    card        text    NOT NULL,
    from_at timestamptz NOT NULL,
    PRIMARY KEY (business_id, from_at)
);

CREATE TABLE charges (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key         text    NOT NULL UNIQUE,
    business_id bigint NOT NULL,
    period      bigint NOT NULL,
    card        text    NOT NULL,
    version     bigint NOT NULL,
    regime      text    NOT NULL,
    category    text    NOT NULL,
    country     text    NOT NULL,
    market      text    NOT NULL,
    tier        bigint NOT NULL,
    tier_label  text    NOT NULL,
    amount      bigint NOT NULL,
    currency    text    NOT NULL,
    reason      text    NOT NULL,
    at timestamptz
);
CREATE INDEX charges_period ON charges (period, business_id);
CREATE INDEX charges_business ON charges (business_id, period, id);

CREATE TABLE invoice_periods (
    period    bigint PRIMARY KEY,
    closed_at timestamptz
);

CREATE TABLE invoices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    business_id bigint NOT NULL,
    period      bigint NOT NULL,
    currency    text    NOT NULL,
    lines       text    NOT NULL,
    total       bigint NOT NULL,
    total_minor bigint NOT NULL,
    credits     bigint NOT NULL DEFAULT 0,
    issued_at timestamptz,
    UNIQUE (business_id, period)
);
CREATE INDEX invoices_period ON invoices (period);

CREATE TABLE credit_notes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id  bigint NOT NULL REFERENCES invoices (id),
    business_id bigint NOT NULL,
    amount      bigint NOT NULL,
    reason      text    NOT NULL,
    at timestamptz
);
CREATE INDEX credit_notes_invoice ON credit_notes (invoice_id, id);

-- +goose Down
DROP TABLE credit_notes;
DROP TABLE invoices;
DROP TABLE invoice_periods;
DROP TABLE charges;
DROP TABLE card_assignments;
DROP TABLE rate_cards;
DROP TABLE wallet_tx;
DROP TABLE billing_accounts;
