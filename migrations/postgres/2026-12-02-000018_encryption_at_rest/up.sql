-- Encryption at rest (src/vault). Sealed values are text (`enc:v1:{key id}:…`), so the date of
-- birth becomes a text column; names are no longer kept in clear for sorting, so `sort_name`
-- goes and patients are listed newest first. Rows written before this migration are sealed by
-- the service at start (a migration has no key); until then they stay as they were.
DROP INDEX patients_sort_idx;
ALTER TABLE patients DROP COLUMN sort_name;
ALTER TABLE patients ALTER COLUMN date_of_birth TYPE TEXT USING to_char(date_of_birth, 'YYYY-MM-DD');
CREATE INDEX patients_created_idx ON patients (created_at, id);

-- One check value per data key that seals this database: at start, each recorded key must be
-- in DATA_KEYS and open its value (a wrong or missing key is refused before any request).
CREATE TABLE vault_keys (
    id         TEXT PRIMARY KEY NOT NULL,
    canary     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
