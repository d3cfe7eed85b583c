-- +goose Up
-- Orders in the chat on Meta's Payments API (business/orders.go,
-- docs/COMMERCE.md): an order_details message's order, unique by
-- reference id within its business; its timeline of order_status
-- messages, payments and refunds; the payments, at most one of which per
-- order is pending or captured (the partial unique index), each once per
-- idempotency key; and the refunds of a payment, once per key.
CREATE TABLE orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    business_id    INTEGER NOT NULL REFERENCES businesses (id),
    number_id      INTEGER NOT NULL,
    reference_id   TEXT NOT NULL,
    customer_id    INTEGER NOT NULL DEFAULT 0,
    chat_id        INTEGER NOT NULL DEFAULT 0,
    message_id     TEXT NOT NULL DEFAULT '',
    currency       TEXT NOT NULL,
    total_minor    INTEGER NOT NULL,
    payment_config TEXT NOT NULL,
    status         TEXT NOT NULL,
    expires_at     INTEGER,
    details        BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (business_id, reference_id)
);
CREATE INDEX orders_chat ON orders (chat_id, reference_id);

CREATE TABLE order_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    description  TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE order_payments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    key          TEXT NOT NULL,
    status       TEXT NOT NULL,
    method       TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    fee_minor    INTEGER NOT NULL,
    error        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (order_id, key)
);
CREATE UNIQUE INDEX order_payments_live ON order_payments (order_id) WHERE status <> 'failed';

CREATE TABLE order_refunds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id   INTEGER NOT NULL REFERENCES order_payments (id),
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    key          TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (payment_id, key)
);
CREATE INDEX order_refunds_order ON order_refunds (order_id, id);

-- +goose Down
DROP TABLE order_refunds;
DROP TABLE order_payments;
DROP TABLE order_events;
DROP TABLE orders;
