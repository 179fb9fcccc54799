-- Invitations by link (INTEGRATIONS.md, "Invitations"): staff invite a patient to an intake or a
-- check-in; the patient redeems the link's token with their date of birth. The token is stored
-- only as its SHA-256; status `expired` is read from `expires_at`, never written.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    -- intake | checkin
    purpose TEXT NOT NULL,
    -- The draft or check-in the link opens (no foreign key: a draft may be deleted; redeem
    -- then opens the session without it).
    intake_id TEXT,
    checkin_id TEXT,
    -- email | sms | none
    channel TEXT NOT NULL,
    -- pending | redeemed | revoked
    status TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- Wrong dates of birth so far; the fifth revokes the invitation.
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMP NOT NULL,
    -- The staff member who invited; null for a reminder's fresh link.
    created_by TEXT REFERENCES users (id),
    -- A reminder's link belongs to the invitation it reminds of; revoking that one revokes it.
    reminder_of TEXT REFERENCES invitations (id),
    created_at TIMESTAMP NOT NULL,
    redeemed_at TIMESTAMP,
    revoked_at TIMESTAMP,
    -- staff | too_many_attempts
    revoked_reason TEXT
);
CREATE INDEX invitations_patient_idx ON invitations (patient_id, created_at);
CREATE INDEX invitations_created_idx ON invitations (created_at, id);
-- The reminder rule's question: which invitations are still waiting for their work.
CREATE INDEX invitations_open_idx ON invitations (status, created_at) WHERE reminder_of IS NULL;
CREATE INDEX invitations_reminder_of_idx ON invitations (reminder_of) WHERE reminder_of IS NOT NULL;

-- What only sending needs and nothing after it: a link's token, sealed (AES-256-GCM, bound to
-- the message id) until the message is sent, then cleared.
ALTER TABLE outbox ADD COLUMN secret TEXT;
