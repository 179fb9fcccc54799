-- A page of a list is one audit event; the resources it disclosed are narrow rows here, written
-- with the event in the same transaction (one multi-row insert per batch). Before, a page of 20
-- intakes wrote 20 full events, each into a table with four indexes (bench/NOTES.md, issue 17).
-- `GET /audit?resource_id=` and a patient's access log read both tables. No foreign key: rows are
-- only ever inserted, with their event, by the audit writer, and PostgreSQL would run one
-- referential check per row on the hot path.
CREATE TABLE audit_event_resources (
    event_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    patient_id TEXT,
    PRIMARY KEY (event_id, resource_id)
) WITHOUT ROWID;
CREATE INDEX audit_event_resources_resource_idx ON audit_event_resources (resource_id, event_id);
CREATE INDEX audit_event_resources_patient_idx ON audit_event_resources (patient_id, event_id, resource_id);
