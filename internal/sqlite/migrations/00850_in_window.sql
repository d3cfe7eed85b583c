-- +goose Up
-- Whether a business message was sent inside the customer service
-- window: the fact from which the rate card in effect decides its
-- pricing object (billing.Pricing). Under the October 2026 card an
-- in-window utility template is "regular", so pricing_type no longer
-- carries it. Rows before this one were typed by the July 2025 rules, in
-- which "free_customer_service" meant inside the window: the message
-- records get in_window from it; the usage ledger is append-only (its
-- triggers refuse UPDATE), so its older rows keep false and the rating
-- rule reads their type instead (billing.decide).
ALTER TABLE business_messages ADD COLUMN in_window INTEGER NOT NULL DEFAULT 0;
UPDATE business_messages SET in_window = 1 WHERE pricing_type = 'free_customer_service';
ALTER TABLE usage_ledger ADD COLUMN in_window INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE usage_ledger DROP COLUMN in_window;
ALTER TABLE business_messages DROP COLUMN in_window;
