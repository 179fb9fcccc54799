DROP TABLE vault_keys;
DROP INDEX patients_created_idx;
ALTER TABLE patients ADD COLUMN date_of_birth_date DATE NOT NULL DEFAULT '1900-01-01';
UPDATE patients SET date_of_birth_date = date_of_birth;
ALTER TABLE patients DROP COLUMN date_of_birth;
ALTER TABLE patients RENAME COLUMN date_of_birth_date TO date_of_birth;
ALTER TABLE patients ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
CREATE INDEX patients_sort_idx ON patients (sort_name, id);
