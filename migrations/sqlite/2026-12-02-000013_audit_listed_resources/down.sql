DROP TABLE audit_event_resources;
