DROP INDEX courses_created_due_idx;
CREATE INDEX courses_created_idx ON courses (created_at, id);
ALTER TABLE courses DROP COLUMN next_due_by;
