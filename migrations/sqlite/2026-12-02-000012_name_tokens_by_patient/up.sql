-- A name search checks each listed row's patient for a token in a range. With the token in the
-- index that check reads the index alone; on PostgreSQL it also keeps the cached (generic) plan
-- of the worklist query a nested-loop probe, where without it the planner chose to rescan every
-- matching token per row (40 ms a page on the bench database; bench/NOTES.md, issue 17).
DROP INDEX patient_name_tokens_patient_idx;
CREATE INDEX patient_name_tokens_patient_token_idx ON patient_name_tokens (patient_id, token);
