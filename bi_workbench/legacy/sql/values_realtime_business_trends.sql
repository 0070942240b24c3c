-- Carried values, realtime_business_trends -> business_trends (outcome 'migrated'):
-- NULL or blank title / insight as '', metadata {source, legacy_id}, naive UTC times.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           md5('realtime_business_trends:' || l.id)::uuid::text AS id,
           CASE WHEN btrim(coalesce(l.title, '')) = '' THEN '' ELSE l.title END AS title,
           CASE WHEN btrim(coalesce(l.insight, '')) = '' THEN '' ELSE l.insight END AS insight,
           l.industry, l.source, 'business' AS trend_type,
           jsonb_build_object('source', 'realtime_business_trends', 'legacy_id', l.id::text)::text AS metadata,
           (l.createdat AT TIME ZONE 'UTC')::text AS created_at
    FROM legacy_id_map m
    JOIN carried_realtime_business_trends l ON l.id::text = m.legacy_id
    WHERE m.legacy_table = 'realtime_business_trends' AND m.outcome = 'migrated'
)
-- `new` and `pairs` (the new table's side, column by column) are generated from these columns
-- (bi_workbench/legacy/values.py); values_summary.sql compares them.
