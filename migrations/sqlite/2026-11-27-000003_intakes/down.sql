DROP TABLE idempotency_keys;
DROP TABLE intake_submissions;
DROP TABLE intake_flags;
DROP TABLE intake_pain_types;
DROP TABLE intakes;
