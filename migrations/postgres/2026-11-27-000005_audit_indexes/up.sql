-- Every read writes audit rows, so each index here is paid on the hot path. Ids are UUIDv7
-- (time-ordered), so the primary key already orders events by time: the time and action
-- indexes go, and the lookups are (column, id) so they come out newest first.
DROP INDEX audit_events_occurred_idx;
DROP INDEX audit_events_action_idx;
DROP INDEX audit_events_resource_idx;
DROP INDEX audit_events_actor_idx;
DROP INDEX audit_events_patient_idx;
CREATE INDEX audit_events_resource_idx ON audit_events (resource_id, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, id);
