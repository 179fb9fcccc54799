ALTER TABLE outbox DROP COLUMN secret;
DROP TABLE invitations;
