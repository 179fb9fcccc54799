-- Accounts. Emails are stored normalised (trimmed, lower case); `external_subject` links a
-- user of the clinic's identity provider (`issuer|subject`).
CREATE TABLE users (
    id               TEXT PRIMARY KEY NOT NULL,
    email            TEXT NOT NULL UNIQUE,
    password_hash    TEXT,
    role             TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    disabled         BOOLEAN NOT NULL DEFAULT FALSE,
    external_subject TEXT UNIQUE,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX users_role_idx ON users (role, disabled);

-- Failed sign-ins, shared by every instance: per account (hashed email) and per client address.
CREATE TABLE login_failures (
    id        TEXT PRIMARY KEY NOT NULL,
    key       TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_idx ON login_failures (key, failed_at);
CREATE INDEX login_failures_time_idx ON login_failures (failed_at);

-- Patient profiles. `user_id` is the patient's own account (null for a profile a clinician
-- created for a phone intake). Address and emergency contact are validated JSON.
CREATE TABLE patients (
    id                 TEXT PRIMARY KEY NOT NULL,
    user_id            TEXT UNIQUE REFERENCES users (id),
    given_name         TEXT NOT NULL,
    family_name        TEXT NOT NULL,
    sort_name          TEXT NOT NULL,
    date_of_birth      DATE NOT NULL,
    sex_at_birth       TEXT NOT NULL,
    gender_identity    TEXT,
    preferred_language TEXT NOT NULL,
    email              TEXT,
    phone              TEXT,
    address            TEXT,
    emergency_contact  TEXT,
    created_by         TEXT NOT NULL REFERENCES users (id),
    version            BIGINT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX patients_sort_idx ON patients (sort_name, id);
CREATE INDEX patients_created_by_idx ON patients (created_by);

-- Folded name words ("josé" -> "jose") for case- and accent-insensitive prefix search.
CREATE TABLE patient_name_tokens (
    token      TEXT NOT NULL,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    PRIMARY KEY (token, patient_id)
);
CREATE INDEX patient_name_tokens_patient_idx ON patient_name_tokens (patient_id);
