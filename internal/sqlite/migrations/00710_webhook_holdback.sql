-- +goose Up
-- A webhook holds back the later ones of its conversation only until its
-- first attempt fails (docs/CLOUD-API-COMPAT.md, "Webhook order"): the claim asks
-- for the older pending rows never attempted, which this index answers.
DROP INDEX webhook_outbox_conv;
CREATE INDEX webhook_outbox_conv_fresh ON webhook_outbox (business_id, conv_key, id) WHERE status = 'pending' AND attempts = 0;

-- +goose Down
DROP INDEX webhook_outbox_conv_fresh;
CREATE INDEX webhook_outbox_conv ON webhook_outbox (business_id, conv_key, id) WHERE status = 'pending';
