-- Webhook endpoints (INTEGRATIONS.md, "Webhooks"): integrators are told of events through the
-- outbox. The signing secret is stored sealed (AES-256-GCM under a key derived from the server
-- secret, bound to the endpoint), never in clear; after a rotation the previous one keeps
-- signing alongside until `previous_until`.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    -- Comma-separated event names.
    events TEXT NOT NULL,
    description TEXT,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until TIMESTAMP,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One row per delivery attempt: what the receiver answered and how long it took.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The outbox message: the `webhook-id` the receiver saw.
    message_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    error TEXT,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, attempted_at, id);
