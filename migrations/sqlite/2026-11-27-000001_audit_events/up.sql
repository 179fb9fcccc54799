-- Append-only trail of every access to patient data (no route updates or deletes it).
CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY NOT NULL,          -- UUIDv7: time-ordered
    occurred_at   TIMESTAMP NOT NULL,                 -- UTC
    actor_id      TEXT,                               -- null for anonymous (e.g. failed login)
    actor_role    TEXT,
    action        TEXT NOT NULL,                      -- e.g. intake.read, patient.update, auth.login_failed
    resource_type TEXT NOT NULL,
    resource_id   TEXT,
    patient_id    TEXT,                               -- whose data was touched (patient access log)
    request_id    TEXT,
    client_addr   TEXT,
    user_agent    TEXT,
    outcome       TEXT NOT NULL                       -- success | denied | failure
);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at, id);
CREATE INDEX audit_events_resource_idx ON audit_events (resource_id, occurred_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, occurred_at);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, occurred_at);
CREATE INDEX audit_events_action_idx ON audit_events (action, occurred_at);
