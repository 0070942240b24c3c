-- tier2_users_compat against tier2_users, row by row, for the surviving legacy rows
-- (outcome 'migrated'; a merged duplicate has no row of its own in the view). The
-- legacy side gets the documented phase 1 transformations (trimmed email, '' for a
-- NULL or blank name); updated_at, which the legacy table lacks, is left out.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py).
WITH legacy AS (
    SELECT l.u_id,
           e.email,
           CASE WHEN btrim(coalesce(l.first_name, '')) = '' THEN '' ELSE l.first_name END AS first_name,
           CASE WHEN btrim(coalesce(l.last_name, '')) = '' THEN '' ELSE l.last_name END AS last_name,
           l.phone, l.title, l.company, l.company_size, l.revenue_range, l.industry, l.timezone,
           l.linkedin_url, l.profile_pic_url, l.agreed_terms, l.agreed_marketing, l.role, l.created_at
    FROM carried_tier2_users l
    LEFT JOIN expected_user_email e ON e.u_id = l.u_id
    JOIN legacy_id_map m ON m.legacy_table = 'tier2_users' AND m.legacy_id = l.u_id::text
    WHERE m.outcome = 'migrated'
),
compat AS (
    SELECT v.u_id, v.email, v.first_name, v.last_name, v.phone, v.title, v.company, v.company_size,
           v.revenue_range, v.industry, v.timezone, v.linkedin_url, v.profile_pic_url, v.agreed_terms,
           v.agreed_marketing, v.role, v.created_at
    FROM tier2_users_compat v
    JOIN legacy_id_map m ON m.legacy_table = 'tier2_users' AND m.legacy_id = v.u_id::text
    WHERE m.outcome = 'migrated'
),
only_in_legacy AS (
    SELECT * FROM legacy EXCEPT ALL SELECT * FROM compat
),
only_in_view AS (
    SELECT * FROM compat EXCEPT ALL SELECT * FROM legacy
)
SELECT (SELECT count(*) FROM legacy) AS legacy_rows,
       (SELECT count(*) FROM compat) AS view_rows,
       (SELECT count(*) FROM only_in_legacy) AS only_in_legacy,
       (SELECT count(*) FROM only_in_view) AS only_in_view,
       (SELECT (array_agg(u_id::text ORDER BY u_id))[1:5]
        FROM (SELECT u_id FROM only_in_legacy UNION SELECT u_id FROM only_in_view) d) AS examples;
