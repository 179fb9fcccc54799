-- The audit trail as one hash chain (SECURITY.md, "Tamper-evident audit trail"): every event
-- holds its place in the chain (`seq`), the hash of the event before it and its own hash,
-- SHA-256 over that previous hash and the event's canonical serialisation (with the resources
-- a listing disclosed). `audit_chain` holds the head: an append locks it inside its
-- transaction, so events join the chain in commit order. Events written before this
-- migration (up to `legacy_until`) are chained by the server at start, oldest first; after
-- that nothing is ever chained after the fact, so a row inserted directly stays outside the
-- chain, where `audit verify` finds it.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_events_seq_idx ON audit_events (seq);
CREATE TABLE audit_chain (
    id INTEGER PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    legacy_until TEXT
);
INSERT INTO audit_chain (id, seq, hash, legacy_until)
SELECT 1, 0, '0000000000000000000000000000000000000000000000000000000000000000', MAX(id) FROM audit_events;
