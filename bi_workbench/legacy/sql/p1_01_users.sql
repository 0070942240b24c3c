-- Phase 1, step 1: one user per email address, compared case- and space-insensitively.
--
-- Rules (DESIGN.md, "The legacy contract"; bi_workbench/legacy/phases.py):
-- * the person is lower(btrim(email)); per person the survivor is the row with the
--   earliest created_at (NULL created_at sorts last), then the smallest u_id;
-- * the survivor keeps its u_id as users.id and its own values; the email is stored
--   trimmed (letter case as the survivor typed it);
-- * first_name / last_name: NULL or blank -> '' (the columns are NOT NULL; nobody is
--   dropped or quarantined for a missing name); other values are kept as they are;
-- * created_at is naive UTC: created_at AT TIME ZONE 'UTC'; NULL stays NULL (the time
--   is unknown and the migration invents none); updated_at = created_at;
-- * a person whose address is already in users (a platform sign-up) is not inserted:
--   step 2 merges their rows into that user. Blank addresses are left to step 3.
-- Idempotent: rows already in legacy_id_map or migration_quarantine are skipped.
WITH pending AS (
    SELECT t.*,
           btrim(t.email) AS clean_email,
           lower(btrim(t.email)) AS email_key
    FROM tier2_users t
    WHERE coalesce(btrim(t.email), '') <> ''
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
      AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = r.email_key)
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
mapped AS (
    INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome)
    SELECT 'tier2_users', i.id::text, 'users', i.id, 'migrated'
    FROM inserted i
    RETURNING 1
)
SELECT jsonb_build_object('users', (SELECT count(*) FROM inserted),
                          'legacy_id_map', (SELECT count(*) FROM mapped)) AS counts;
