-- The clinician's review: every transition with actor, time and note, oldest first.
CREATE TABLE intake_reviews (
    id          TEXT PRIMARY KEY NOT NULL,
    intake_id   TEXT NOT NULL REFERENCES intakes (id),
    action      TEXT NOT NULL,              -- start_review | approve | decline | request_info | assign | exam
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    actor_id    TEXT NOT NULL REFERENCES users (id),
    note        TEXT,
    assign_to   TEXT REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX intake_reviews_intake_idx ON intake_reviews (intake_id, created_at);
CREATE INDEX intake_reviews_actor_idx ON intake_reviews (actor_id);
CREATE INDEX intake_reviews_assign_idx ON intake_reviews (assign_to);

-- The intake's current results: the latest submission's, re-scored when a clinician records
-- exam findings (the submission rows keep what was computed at submit).
ALTER TABLE intakes ADD COLUMN scores TEXT;
ALTER TABLE intakes ADD COLUMN assessment TEXT;
