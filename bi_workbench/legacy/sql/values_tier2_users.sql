-- Carried values, tier2_users -> users, for the surviving rows (outcome 'migrated'):
-- per column, the rows and a checksum on each side, legacy side after the
-- documented transformations (phase 1), and the rows where the two sides differ.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           l.u_id::text AS id,
           e.email,
           CASE WHEN btrim(coalesce(l.first_name, '')) = '' THEN '' ELSE l.first_name END AS first_name,
           CASE WHEN btrim(coalesce(l.last_name, '')) = '' THEN '' ELSE l.last_name END AS last_name,
           l.phone, l.title, l.company, l.company_size, l.revenue_range, l.industry, l.timezone,
           l.linkedin_url, l.profile_pic_url, l.agreed_terms::text AS agreed_terms,
           l.agreed_marketing::text AS agreed_marketing, l.role,
           (l.created_at AT TIME ZONE 'UTC')::text AS created_at,
           (l.created_at AT TIME ZONE 'UTC')::text AS updated_at
    FROM legacy_id_map m
    JOIN carried_tier2_users l ON l.u_id::text = m.legacy_id
    LEFT JOIN expected_user_email e ON e.u_id = l.u_id
    WHERE m.legacy_table = 'tier2_users' AND m.outcome = 'migrated'
)
-- `new` and `pairs` (the new table's side, column by column) are generated from these columns
-- (bi_workbench/legacy/values.py); values_summary.sql compares them.
