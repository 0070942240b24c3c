-- Carried values, realtime_business_trends -> business_trends (outcome 'migrated'):
-- NULL or blank title / insight as '', metadata {source, legacy_id}, naive UTC times.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           md5('realtime_business_trends:' || l.id)::uuid::text AS new_id,
           CASE WHEN btrim(coalesce(l.title, '')) = '' THEN '' ELSE l.title END AS title,
           CASE WHEN btrim(coalesce(l.insight, '')) = '' THEN '' ELSE l.insight END AS insight,
           l.industry, l.source, 'business' AS trend_type,
           jsonb_build_object('source', 'realtime_business_trends', 'legacy_id', l.id::text)::text AS metadata,
           (l.createdat AT TIME ZONE 'UTC')::text AS created_at
    FROM legacy_id_map m
    JOIN carried_realtime_business_trends l ON l.id::text = m.legacy_id
    WHERE m.legacy_table = 'realtime_business_trends' AND m.outcome = 'migrated'
),
new AS (
    SELECT m.legacy_id, m.legacy_row::text AS kept_row,
           n.id::text AS new_id, n.title, n.insight, n.industry, n.source, n.trend_type,
           n.metadata::text AS metadata, n.created_at::text AS created_at
    FROM legacy_id_map m
    JOIN business_trends n ON n.id = m.new_id
    WHERE m.legacy_table = 'realtime_business_trends' AND m.outcome = 'migrated'
),
pairs AS (
    SELECT l.legacy_id AS legacy_key, n.legacy_id AS new_key, c.column_name, c.legacy_value, c.new_value
    FROM legacy l
    FULL JOIN new n ON n.legacy_id = l.legacy_id
    CROSS JOIN LATERAL (VALUES
        ('legacy_row kept', l.kept_row, n.kept_row),
        ('id', l.new_id, n.new_id),
        ('title', l.title, n.title),
        ('insight', l.insight, n.insight),
        ('industry', l.industry, n.industry),
        ('source', l.source, n.source),
        ('trend_type', l.trend_type, n.trend_type),
        ('metadata', l.metadata, n.metadata),
        ('created_at', l.created_at, n.created_at)
    ) AS c(column_name, legacy_value, new_value)
)
-- The per-column comparison of `pairs` is values_summary.sql, appended when run.
