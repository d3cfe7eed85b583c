-- +goose Up
-- Indexes for pruning old business rows by time (Businesses.Prune).
CREATE INDEX business_messages_created ON business_messages (created_at);
CREATE INDEX business_reach_at_only ON business_reach (at);
CREATE INDEX business_quality_at ON business_quality (at);
CREATE INDEX webhook_outbox_done ON webhook_outbox (created_at) WHERE status != 'pending';

-- +goose Down
DROP INDEX webhook_outbox_done;
DROP INDEX business_quality_at;
DROP INDEX business_reach_at_only;
DROP INDEX business_messages_created;
