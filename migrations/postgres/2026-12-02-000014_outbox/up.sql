-- Messages to deliver (email, SMS, webhook), written in the transaction of the change that
-- causes them and delivered afterwards by the worker inside `serve` (INTEGRATIONS.md, "The
-- outbox"). The id is also the message id receivers deduplicate by: delivery is at least once.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    -- An email address, a phone number or a webhook endpoint id.
    recipient TEXT NOT NULL,
    -- What the channel needs to send it (JSON); never health information.
    payload TEXT NOT NULL,
    -- pending | sent | failed | dead
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A worker that took the message holds it until then; after that another may take it.
    leased_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    -- At most one message per key (a reminder's rule and step).
    dedupe_key TEXT UNIQUE
);
-- The worker's question: what is due now, oldest first.
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);
