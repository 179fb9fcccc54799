DROP TABLE vault_keys;
DROP INDEX patients_created_idx;
ALTER TABLE patients ALTER COLUMN date_of_birth TYPE DATE USING date_of_birth::date;
ALTER TABLE patients ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
CREATE INDEX patients_sort_idx ON patients (sort_name, id);
