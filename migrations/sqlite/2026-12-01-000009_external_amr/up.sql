-- How the clinic's identity provider says it authenticated the user (its tokens' `amr` claim,
-- e.g. "pwd otp"): such users are not asked for a second factor here (SECURITY.md), so what the
-- provider did is recorded. Updated when it changes.
ALTER TABLE users ADD COLUMN external_amr TEXT;
