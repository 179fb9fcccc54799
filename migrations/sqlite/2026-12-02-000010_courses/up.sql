-- Treatment courses after an approved intake (FOLLOW-UP.md): the course, its infusion sessions,
-- the patient's check-ins and the outcomes computed from them. Documents (protocol, session
-- blocks, answers, scores, flags) are validated JSON text; what staff filter by is in columns.
CREATE TABLE courses (
    id                 TEXT PRIMARY KEY NOT NULL,
    patient_id         TEXT NOT NULL REFERENCES patients (id),
    intake_id          TEXT NOT NULL REFERENCES intakes (id),
    status             TEXT NOT NULL,          -- active | completed | stopped
    version            BIGINT NOT NULL,
    planned_sessions   INTEGER NOT NULL,
    sessions_completed INTEGER NOT NULL,
    next_session_at    TIMESTAMP,
    top_severity       INTEGER,                -- highest flag on the course: 1 info, 2 warning, 3 urgent
    flag_codes         TEXT,                   -- comma-separated, for display
    created_by         TEXT NOT NULL REFERENCES users (id),
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    ended_at           TIMESTAMP,
    end_reason         TEXT,
    end_note           TEXT,
    indications        TEXT NOT NULL,          -- JSON list
    protocol           TEXT NOT NULL,          -- JSON
    notes              TEXT
);
-- At most one active course per patient, enforced by the database under any concurrency.
CREATE UNIQUE INDEX courses_one_active_idx ON courses (patient_id) WHERE status = 'active';
CREATE INDEX courses_patient_idx ON courses (patient_id, created_at, id);
CREATE INDEX courses_status_idx ON courses (status, created_at, id);
CREATE INDEX courses_created_idx ON courses (created_at, id);
CREATE INDEX courses_intake_idx ON courses (intake_id);

-- Flags raised by a course's sessions and check-ins, one row per source and code, for
-- `GET /courses?flag=`; the flag itself (message, paths) stays on its session or check-in.
CREATE TABLE course_flags (
    course_id TEXT NOT NULL REFERENCES courses (id),
    source_id TEXT NOT NULL,                   -- a session's or a check-in's id
    code      TEXT NOT NULL,
    severity  INTEGER NOT NULL,
    PRIMARY KEY (course_id, source_id, code)
);
CREATE INDEX course_flags_code_idx ON course_flags (code, course_id);

CREATE TABLE course_sessions (
    id            TEXT PRIMARY KEY NOT NULL,
    course_id     TEXT NOT NULL REFERENCES courses (id),
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    status        TEXT NOT NULL,               -- planned | completed | cancelled
    version       BIGINT NOT NULL,
    scheduled_at  TIMESTAMP NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    completed_at  TIMESTAMP,
    cancelled_at  TIMESTAMP,
    cancel_reason TEXT,
    blocks        TEXT NOT NULL,               -- JSON: pre_checks, vitals, dose, …
    flags         TEXT NOT NULL,               -- JSON list
    staff_notes   TEXT
);
CREATE INDEX course_sessions_course_idx ON course_sessions (course_id, scheduled_at, id);

CREATE TABLE checkins (
    id           TEXT PRIMARY KEY NOT NULL,
    course_id    TEXT NOT NULL REFERENCES courses (id),
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    session_id   TEXT REFERENCES course_sessions (id),
    kind         TEXT NOT NULL,                -- pre_session | follow_up
    day_offset   INTEGER,                      -- follow-ups: days after the course ended
    status       TEXT NOT NULL,                -- due | completed | cancelled (missed = due past due_by)
    version      BIGINT NOT NULL,
    due_from     TIMESTAMP NOT NULL,
    due_by       TIMESTAMP NOT NULL,
    top_severity INTEGER,
    late         BOOLEAN NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    completed_by TEXT REFERENCES users (id),
    instruments  TEXT NOT NULL,                -- JSON list of codes
    answers      TEXT,
    scores       TEXT,
    flags        TEXT
);
CREATE INDEX checkins_course_idx ON checkins (course_id, due_by, id);
CREATE INDEX checkins_patient_idx ON checkins (patient_id, status, due_by);
CREATE INDEX checkins_session_idx ON checkins (session_id);
CREATE INDEX checkins_overdue_idx ON checkins (status, due_by, course_id);

-- Outcomes per course and instrument, recomputed on every completed check-in.
CREATE TABLE course_outcomes (
    course_id      TEXT NOT NULL REFERENCES courses (id),
    instrument     TEXT NOT NULL,
    classification TEXT NOT NULL,
    rule_set       TEXT NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    outcome        TEXT NOT NULL,              -- JSON: baseline, latest, change, cut-offs
    PRIMARY KEY (course_id, instrument)
);
CREATE INDEX course_outcomes_class_idx ON course_outcomes (instrument, classification, course_id);
