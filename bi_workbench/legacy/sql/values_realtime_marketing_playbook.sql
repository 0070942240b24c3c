-- Carried values, realtime_marketing_playbook -> engagement_intelligence (outcome
-- 'migrated'): no user, signal_score NULL, the seed's engagement_metrics and
-- recommendations, naive UTC times.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           md5('realtime_marketing_playbook:' || l.id)::uuid::text AS new_id,
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
),
new AS (
    SELECT m.legacy_id, m.legacy_row::text AS kept_row,
           n.id::text AS new_id, n.user_id::text AS user_id, n.signal_score::text AS signal_score,
           n.engagement_metrics::text AS engagement_metrics, n.recommendations::text AS recommendations,
           n.insights, n.source, n.created_at::text AS created_at, n.updated_at::text AS updated_at
    FROM legacy_id_map m
    JOIN engagement_intelligence n ON n.id = m.new_id
    WHERE m.legacy_table = 'realtime_marketing_playbook' AND m.outcome = 'migrated'
),
pairs AS (
    SELECT l.legacy_id AS legacy_key, n.legacy_id AS new_key, c.column_name, c.legacy_value, c.new_value
    FROM legacy l
    FULL JOIN new n ON n.legacy_id = l.legacy_id
    CROSS JOIN LATERAL (VALUES
        ('legacy_row kept', l.kept_row, n.kept_row),
        ('id', l.new_id, n.new_id),
        ('user_id', l.user_id, n.user_id),
        ('signal_score', l.signal_score, n.signal_score),
        ('engagement_metrics', l.engagement_metrics, n.engagement_metrics),
        ('recommendations', l.recommendations, n.recommendations),
        ('insights', l.insights, n.insights),
        ('source', l.source, n.source),
        ('created_at', l.created_at, n.created_at),
        ('updated_at', l.updated_at, n.updated_at)
    ) AS c(column_name, legacy_value, new_value)
)
-- The per-column comparison of `pairs` is values_summary.sql, appended when run.
