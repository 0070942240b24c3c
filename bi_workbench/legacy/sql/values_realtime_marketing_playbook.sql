-- Carried values, realtime_marketing_playbook -> engagement_intelligence (outcome
-- 'migrated'): no user, signal_score NULL, the seed's engagement_metrics and
-- recommendations, naive UTC times.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           md5('realtime_marketing_playbook:' || l.id)::uuid::text AS id,
           NULL::text AS user_id,
           NULL::text AS signal_score,
           jsonb_build_object('playbook_insight', l.insight)::text AS engagement_metrics,
           ARRAY['Review marketing playbook insights']::text AS recommendations,
           l.insight AS insights, l.source,
           (l.createdat AT TIME ZONE 'UTC')::text AS created_at,
           (l.createdat AT TIME ZONE 'UTC')::text AS updated_at
    FROM legacy_id_map m
    JOIN carried_realtime_marketing_playbook l ON l.id::text = m.legacy_id
    WHERE m.legacy_table = 'realtime_marketing_playbook' AND m.outcome = 'migrated'
)
-- `new` and `pairs` (the new table's side, column by column) are generated from these columns
-- (bi_workbench/legacy/values.py); values_summary.sql compares them.
