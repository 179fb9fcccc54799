ALTER TABLE intakes DROP COLUMN assessment;
ALTER TABLE intakes DROP COLUMN scores;
DROP TABLE intake_reviews;
