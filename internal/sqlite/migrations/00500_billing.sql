-- +goose Up
-- Business billing: wallets, rate cards, the rated ledger (charges) and
-- invoices (docs/BILLING.md). Amounts are micro-units.
CREATE TABLE billing_accounts (
    business_id     INTEGER PRIMARY KEY REFERENCES businesses (id) ON DELETE CASCADE,
    mode            TEXT    NOT NULL DEFAULT 'invoice',
    currency        TEXT    NOT NULL,
    balance_micros  INTEGER NOT NULL DEFAULT 0,
    credit_limit    INTEGER NOT NULL DEFAULT 0,
    low_balance     INTEGER NOT NULL DEFAULT 0,
    low_notified    INTEGER NOT NULL DEFAULT 0,
    pricing_amounts INTEGER NOT NULL DEFAULT 0,
    budget_caps     TEXT    NOT NULL DEFAULT '{}'
);

CREATE TABLE wallet_tx (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id INTEGER NOT NULL,
    key         TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    amount      INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    ref         TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    at          INTEGER
);
CREATE INDEX wallet_tx_business ON wallet_tx (business_id, id);

CREATE TABLE rate_cards (
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    effective  INTEGER NOT NULL,
    created_at INTEGER,
    PRIMARY KEY (name, version)
);

CREATE TABLE card_assignments (
    business_id INTEGER NOT NULL,
    card        TEXT    NOT NULL,
    from_at     INTEGER NOT NULL,
    PRIMARY KEY (business_id, from_at)
);

CREATE TABLE charges (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT    NOT NULL UNIQUE,
    business_id INTEGER NOT NULL,
    period      INTEGER NOT NULL,
    card        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    regime      TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    country     TEXT    NOT NULL,
    market      TEXT    NOT NULL,
    tier        INTEGER NOT NULL,
    tier_label  TEXT    NOT NULL,
    amount      INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    at          INTEGER
);
CREATE INDEX charges_period ON charges (period, business_id);
CREATE INDEX charges_business ON charges (business_id, period, id);

CREATE TABLE invoice_periods (
    period    INTEGER PRIMARY KEY,
    closed_at INTEGER
);

CREATE TABLE invoices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id INTEGER NOT NULL,
    period      INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    lines       TEXT    NOT NULL,
    total       INTEGER NOT NULL,
    total_minor INTEGER NOT NULL,
    credits     INTEGER NOT NULL DEFAULT 0,
    issued_at   INTEGER,
    UNIQUE (business_id, period)
);
CREATE INDEX invoices_period ON invoices (period);

CREATE TABLE credit_notes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    business_id INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    at          INTEGER
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
