-- Intake documents. `sections` is the validated JSON the patient edits; everything a clinician
-- filters or sorts by is also kept in columns or child tables, written in the same transaction.
CREATE TABLE intakes (
    id                TEXT PRIMARY KEY NOT NULL,
    patient_id        TEXT NOT NULL REFERENCES patients (id),
    status            TEXT NOT NULL,          -- draft | submitted | in_review | approved | declined | needs_info
    version           BIGINT NOT NULL,
    created_by        TEXT NOT NULL REFERENCES users (id),
    created_on_behalf BOOLEAN NOT NULL,       -- staff created it for the patient (phone intake)
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    submitted_at      TIMESTAMP,              -- latest submission
    submission_count  INTEGER NOT NULL,
    -- Worklist columns, from the latest submission and the review.
    assigned_to       TEXT REFERENCES users (id),
    top_severity      INTEGER,                -- 0 none, 1 info, 2 warning, 3 urgent
    eligibility       TEXT,
    pain_types        TEXT,                   -- comma-separated, for display
    flag_codes        TEXT,                   -- comma-separated, for display
    phq9_total        INTEGER,
    gad7_total        INTEGER,
    pain_average      INTEGER,
    fm_result         TEXT,
    crps_result       TEXT,
    review_note       TEXT,                   -- the latest note sent to the patient (request_info)
    -- The large JSON documents come last: SQLite reads a row's columns in order, so the
    -- worklist's columns above never pull these pages in.
    sections          TEXT NOT NULL,
    exam              TEXT                    -- clinician exam findings by instrument (JSON)
);
CREATE INDEX intakes_patient_idx ON intakes (patient_id, updated_at);
CREATE INDEX intakes_created_by_idx ON intakes (created_by);
CREATE INDEX intakes_assigned_idx ON intakes (assigned_to, submitted_at, id);
CREATE INDEX intakes_status_submitted_idx ON intakes (status, submitted_at, id);
CREATE INDEX intakes_status_updated_idx ON intakes (status, updated_at, id);
CREATE INDEX intakes_submitted_idx ON intakes (submitted_at, id);
CREATE INDEX intakes_updated_idx ON intakes (updated_at, id);
CREATE INDEX intakes_severity_idx ON intakes (top_severity, submitted_at, id);

CREATE TABLE intake_pain_types (
    pain_type TEXT NOT NULL,
    intake_id TEXT NOT NULL REFERENCES intakes (id),
    PRIMARY KEY (pain_type, intake_id)
);
CREATE INDEX intake_pain_types_intake_idx ON intake_pain_types (intake_id);

CREATE TABLE intake_flags (
    code      TEXT NOT NULL,
    intake_id TEXT NOT NULL REFERENCES intakes (id),
    severity  INTEGER NOT NULL,
    PRIMARY KEY (code, intake_id)
);
CREATE INDEX intake_flags_intake_idx ON intake_flags (intake_id);

-- Every submission, immutable: what was submitted and what the server computed from it.
CREATE TABLE intake_submissions (
    id           TEXT PRIMARY KEY NOT NULL,
    intake_id    TEXT NOT NULL REFERENCES intakes (id),
    seq          INTEGER NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    submitted_by TEXT NOT NULL REFERENCES users (id),
    sections     TEXT NOT NULL,
    scores       TEXT NOT NULL,
    assessment   TEXT NOT NULL,
    UNIQUE (intake_id, seq)
);

-- Idempotency keys, shared by every instance; a key lives 24 hours.
CREATE TABLE idempotency_keys (
    user_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,             -- 0 while the first request is in flight
    body        TEXT NOT NULL,
    location    TEXT,
    etag        TEXT,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
