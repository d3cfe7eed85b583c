-- +goose Up
-- Every node sharing this database must use the same --secret: it keys the
-- one-time-code hashes and signed links. The first node to start records a
-- fingerprint of its secret (an HMAC of a fixed label, never the secret);
-- a node whose secret differs refuses to start (docs/DEPLOYMENT.md).
CREATE TABLE node_secret (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL
);

-- +goose Down
DROP TABLE node_secret;
