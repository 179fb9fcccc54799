ALTER TABLE users DROP COLUMN external_amr;
