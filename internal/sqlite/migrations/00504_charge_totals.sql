-- +goose Up
-- The rated ledger summed as it is written: one row per invoice line of a
-- business and month, kept in the transaction that stores the charges, so
-- the invoice run and the dashboard read lines, not every charge.
CREATE TABLE charge_totals (
    business_id INTEGER NOT NULL,
    period      INTEGER NOT NULL,
    category    TEXT    NOT NULL,
    market      TEXT    NOT NULL,
    tier_label  TEXT    NOT NULL,
    card        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    unit        INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    units       INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    PRIMARY KEY (period, business_id, category, market, tier_label, card, version, reason, unit, currency)
) WITHOUT ROWID;
INSERT INTO charge_totals (business_id, period, category, market, tier_label, card, version, reason, unit, currency, units, amount)
SELECT business_id, period, category, market, tier_label, card, version, reason, amount, currency, count(*), sum(amount)
FROM charges GROUP BY business_id, period, category, market, tier_label, card, version, reason, amount, currency;

-- +goose Down
DROP TABLE charge_totals;
