DROP INDEX audit_events_resource_idx;
DROP INDEX audit_events_actor_idx;
DROP INDEX audit_events_patient_idx;
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at, id);
CREATE INDEX audit_events_resource_idx ON audit_events (resource_id, occurred_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, occurred_at);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, occurred_at);
CREATE INDEX audit_events_action_idx ON audit_events (action, occurred_at);
