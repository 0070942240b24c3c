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
--   step 2 merges their rows into that user. Blank or over-long addresses are left to step 3.
-- Idempotent: rows already in legacy_id_map or migration_quarantine are skipped.
WITH pending AS (
    SELECT t.*, i.clean_email, i.email_key
    FROM carried_tier2_users t
    JOIN legacy_email_identity i ON i.u_id = t.u_id
    WHERE i.problem IS NULL
      AND NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'tier2_users' AND m.legacy_id = t.u_id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'tier2_users' AND q.legacy_id = t.u_id::text)
),
ranked AS (
    SELECT p.*,
           row_number() OVER (PARTITION BY p.email_key ORDER BY p.created_at ASC NULLS LAST, p.u_id) AS rank
    FROM pending p
),
survivors AS (
    SELECT r.* FROM ranked r
    WHERE r.rank = 1
      AND NOT EXISTS (SELECT 1 FROM user_email_identity k WHERE k.email_key = r.email_key)
),
inserted AS (
    INSERT INTO users (
        id, email, first_name, last_name, phone, title, company, company_size, revenue_range,
        industry, timezone, linkedin_url, profile_pic_url, agreed_terms, agreed_marketing, role,
        created_at, updated_at
    )
    SELECT s.u_id, s.clean_email,
           CASE WHEN btrim(coalesce(s.first_name, '')) = '' THEN '' ELSE s.first_name END,
           CASE WHEN btrim(coalesce(s.last_name, '')) = '' THEN '' ELSE s.last_name END,
           s.phone, s.title, s.company, s.company_size, s.revenue_range,
           s.industry, s.timezone, s.linkedin_url, s.profile_pic_url, s.agreed_terms, s.agreed_marketing, s.role,
           s.created_at AT TIME ZONE 'UTC', s.created_at AT TIME ZONE 'UTC'
    FROM survivors s
    RETURNING id
),
keyed AS (
    -- The new users' keys, for step 2 (the later rows of the same person merge into them).
    INSERT INTO user_email_identity (email_key, user_id)
    SELECT s.email_key, s.u_id FROM survivors s
    RETURNING 1
),
mapped AS (
    INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome, reason, legacy_row)
    SELECT 'tier2_users', s.u_id::text, 'users', s.u_id, 'migrated', s.unfit_reason,
           CASE WHEN s.unfit_reason IS NOT NULL THEN s.legacy_row END
    FROM survivors s
    RETURNING 1
)
SELECT jsonb_build_object('users', (SELECT count(*) FROM inserted),
                          'legacy_id_map', (SELECT count(*) FROM mapped)) AS counts;
