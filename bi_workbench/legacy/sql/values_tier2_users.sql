-- Carried values, tier2_users -> users, for the surviving rows (outcome 'migrated'):
-- per column, the rows and an md5 checksum on each side, legacy side after the
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
),
new AS (
    SELECT m.legacy_id, m.legacy_row::text AS kept_row,
           n.id::text AS id, n.email, n.first_name, n.last_name, n.phone, n.title, n.company, n.company_size,
           n.revenue_range, n.industry, n.timezone, n.linkedin_url, n.profile_pic_url,
           n.agreed_terms::text AS agreed_terms, n.agreed_marketing::text AS agreed_marketing, n.role,
           n.created_at::text AS created_at, n.updated_at::text AS updated_at
    FROM legacy_id_map m
    JOIN users n ON n.id = m.new_id
    WHERE m.legacy_table = 'tier2_users' AND m.outcome = 'migrated'
),
pairs AS (
    SELECT l.legacy_id AS legacy_key, n.legacy_id AS new_key, c.column_name, c.legacy_value, c.new_value
    FROM legacy l
    FULL JOIN new n ON n.legacy_id = l.legacy_id
    CROSS JOIN LATERAL (VALUES
        ('legacy_row kept', l.kept_row, n.kept_row),
        ('id', l.id, n.id),
        ('email', l.email, n.email),
        ('first_name', l.first_name, n.first_name),
        ('last_name', l.last_name, n.last_name),
        ('phone', l.phone, n.phone),
        ('title', l.title, n.title),
        ('company', l.company, n.company),
        ('company_size', l.company_size, n.company_size),
        ('revenue_range', l.revenue_range, n.revenue_range),
        ('industry', l.industry, n.industry),
        ('timezone', l.timezone, n.timezone),
        ('linkedin_url', l.linkedin_url, n.linkedin_url),
        ('profile_pic_url', l.profile_pic_url, n.profile_pic_url),
        ('agreed_terms', l.agreed_terms, n.agreed_terms),
        ('agreed_marketing', l.agreed_marketing, n.agreed_marketing),
        ('role', l.role, n.role),
        ('created_at', l.created_at, n.created_at),
        ('updated_at', l.updated_at, n.updated_at)
    ) AS c(column_name, legacy_value, new_value)
)
-- The per-column comparison of `pairs` is values_summary.sql, appended when run.
