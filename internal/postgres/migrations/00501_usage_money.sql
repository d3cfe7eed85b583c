-- +goose Up
-- The usage ledger holds every billable event: money events of channels
-- and the people-side models (the money ledger, channel_ledger) are
-- mirrored into it with their amount, in the same transaction.
ALTER TABLE usage_ledger ADD COLUMN amount_minor bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN currency text NOT NULL DEFAULT '';
ALTER TABLE usage_ledger ADD COLUMN channel_id bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN ref text NOT NULL DEFAULT '';
INSERT INTO usage_ledger (key, business_id, number_id, event, category, country, pricing_type, model, billable, message_id, at,
    amount_minor, currency, channel_id, ref)
SELECT 'ledger:' || key, 0, 0, kind, '', '', '', '', amount_minor <> 0, '', at, amount_minor, currency, channel_id, ref
FROM channel_ledger ORDER BY id
ON CONFLICT (key) DO NOTHING;

-- +goose Down
-- Nothing: the ledger is append-only, and the mirrored rows stay.
