-- Phase 1, step 1: one user per person, a person being one email address by the identity rule.
--
-- Rules (DESIGN.md, "The legacy contract"; bi_workbench/legacy/phases.py):
-- * identity (bi_workbench/legacy/identity.py, computed in Python before this step into the
--   temporary tables legacy_email_identity and user_email_identity, since a database in the
--   C locale folds only ASCII letters): trim at both ends every Unicode white space (tab,
--   CR, LF, NO-BREAK SPACE, IDEOGRAPHIC SPACE, ... and the zero-width U+200B, U+2060,
--   U+FEFF); the key is NFKC(casefold(NFKC(trimmed))): Unicode full case folding and
--   compatibility normalization, independent of any locale. Same key, same person;
-- * per person the survivor is the row with the earliest created_at (NULL created_at sorts
--   last), then the smallest u_id;
-- * the survivor keeps its u_id as users.id and its own values; the email is stored
--   trimmed (letter case and form as the survivor typed it);
-- * first_name / last_name: NULL or blank -> '' (the columns are NOT NULL; nobody is
--   dropped or quarantined for a missing name); other values are kept as they are;
-- * created_at is naive UTC: created_at AT TIME ZONE 'UTC'; NULL stays NULL (the time
--   is unknown and the migration invents none); updated_at = created_at;
-- * values the new schema, its indexes or pandas cannot carry (bi_workbench/legacy/carry.py:
--   a timestamp outside 1678-2261, an indexed text over 2000 bytes) are carried as NULL,
--   read from carried_tier2_users; the row's legacy_id_map entry keeps the whole legacy row
--   and names the columns set aside in its reason;
-- * a person whose address is already a user's (a platform sign-up) is not inserted:
--   step 3 merges their rows into that user. Blank or over-long addresses are left to step 4.
-- The rows read are the pending ones (carried_tier2_users, pruned after each step); the
-- insert, the legacy_id_map entries and the counts are written by bi_workbench/legacy/books.py.
WITH ranked AS (
    SELECT t.*, i.clean_email, i.email_key,
           row_number() OVER (PARTITION BY i.email_key ORDER BY t.created_at ASC NULLS LAST, t.u_id) AS rank
    FROM carried_tier2_users t
    JOIN legacy_email_identity i ON i.u_id = t.u_id
    WHERE i.problem IS NULL
)
SELECT s.u_id AS legacy_key,
       s.u_id AS id,
       s.clean_email AS email,
       CASE WHEN btrim(coalesce(s.first_name, '')) = '' THEN '' ELSE s.first_name END AS first_name,
       CASE WHEN btrim(coalesce(s.last_name, '')) = '' THEN '' ELSE s.last_name END AS last_name,
       s.phone, s.title, s.company, s.company_size, s.revenue_range,
       s.industry, s.timezone, s.linkedin_url, s.profile_pic_url, s.agreed_terms, s.agreed_marketing, s.role,
       s.created_at AT TIME ZONE 'UTC' AS created_at,
       s.created_at AT TIME ZONE 'UTC' AS updated_at
FROM ranked s
WHERE s.rank = 1
  AND NOT EXISTS (SELECT 1 FROM user_email_identity k WHERE k.email_key = s.email_key)
