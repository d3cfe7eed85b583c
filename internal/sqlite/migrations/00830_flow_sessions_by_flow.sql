-- +goose Up
-- A THROTTLED Flow may be sent a few times an hour (business.Flows
-- Sendable): its recent sessions are counted by Flow and time.
CREATE INDEX flow_sessions_by_flow ON flow_sessions (flow_id, created_at);

-- +goose Down
DROP INDEX flow_sessions_by_flow;
