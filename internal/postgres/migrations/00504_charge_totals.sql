-- +goose Up
-- The rated ledger summed as it is written: one row per invoice line of a
-- business and month, kept in the transaction that stores the charges, so
-- the invoice run and the dashboard read lines, not every charge.
CREATE TABLE charge_totals (
    business_id bigint NOT NULL,
    period      bigint NOT NULL,
    category    text   NOT NULL,
    market      text   NOT NULL,
    tier_label  text   NOT NULL,
    card        text   NOT NULL,
    version     bigint NOT NULL,
    reason      text   NOT NULL,
    unit        bigint NOT NULL,
    currency    text   NOT NULL,
    units       bigint NOT NULL,
    amount      bigint NOT NULL,
    PRIMARY KEY (period, business_id, category, market, tier_label, card, version, reason, unit, currency)
);
INSERT INTO charge_totals (business_id, period, category, market, tier_label, card, version, reason, unit, currency, units, amount)
SELECT business_id, period, category, market, tier_label, card, version, reason, amount, currency, count(*), sum(amount)
FROM charges GROUP BY business_id, period, category, market, tier_label, card, version, reason, amount, currency;

-- +goose Down
DROP TABLE charge_totals;
