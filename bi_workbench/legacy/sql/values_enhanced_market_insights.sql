-- Carried values, enhanced_market_insights -> market_insights (outcome 'migrated'):
-- user through legacy_id_map, industry by the phase 3 rule (legacy, else the user's,
-- else 'unknown'), confidence percentage / 100 rounded to two decimals, naive UTC times.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           md5('enhanced_market_insights:' || l.id)::uuid::text AS new_id,
           um.new_id::text AS user_id,
           CASE WHEN btrim(coalesce(l.industry, '')) <> '' THEN l.industry
                WHEN btrim(coalesce(u.industry, '')) <> '' THEN u.industry
                ELSE 'unknown' END AS industry,
           l.market_size::text AS market_size, l.growth_rate::text AS growth_rate,
           l.competition::text AS competition, l.sentiment::text AS sentiment, l.full_insight,
           l.data_sources::text AS data_sources,
           round(l.confidence_score / 100, 2)::text AS confidence_score,
           l.ai_model_version, 'ai_generated' AS source,
           (l.created_at AT TIME ZONE 'UTC')::text AS created_at,
           (l.created_at AT TIME ZONE 'UTC')::text AS updated_at
    FROM legacy_id_map m
    JOIN carried_enhanced_market_insights l ON l.id::text = m.legacy_id
    LEFT JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = l.u_id::text
    LEFT JOIN users u ON u.id = um.new_id
    WHERE m.legacy_table = 'enhanced_market_insights' AND m.outcome = 'migrated'
),
new AS (
    SELECT m.legacy_id, m.legacy_row::text AS kept_row,
           n.id::text AS new_id, n.user_id::text AS user_id, n.industry,
           n.market_size::text AS market_size, n.growth_rate::text AS growth_rate,
           n.competition::text AS competition, n.sentiment::text AS sentiment, n.full_insight,
           n.data_sources::text AS data_sources, n.confidence_score::text AS confidence_score,
           n.ai_model_version, n.source, n.created_at::text AS created_at, n.updated_at::text AS updated_at
    FROM legacy_id_map m
    JOIN market_insights n ON n.id = m.new_id
    WHERE m.legacy_table = 'enhanced_market_insights' AND m.outcome = 'migrated'
),
pairs AS (
    SELECT l.legacy_id AS legacy_key, n.legacy_id AS new_key, c.column_name, c.legacy_value, c.new_value
    FROM legacy l
    FULL JOIN new n ON n.legacy_id = l.legacy_id
    CROSS JOIN LATERAL (VALUES
        ('legacy_row kept', l.kept_row, n.kept_row),
        ('id', l.new_id, n.new_id),
        ('user_id', l.user_id, n.user_id),
        ('industry', l.industry, n.industry),
        ('market_size', l.market_size, n.market_size),
        ('growth_rate', l.growth_rate, n.growth_rate),
        ('competition', l.competition, n.competition),
        ('sentiment', l.sentiment, n.sentiment),
        ('full_insight', l.full_insight, n.full_insight),
        ('data_sources', l.data_sources, n.data_sources),
        ('confidence_score', l.confidence_score, n.confidence_score),
        ('ai_model_version', l.ai_model_version, n.ai_model_version),
        ('source', l.source, n.source),
        ('created_at', l.created_at, n.created_at),
        ('updated_at', l.updated_at, n.updated_at)
    ) AS c(column_name, legacy_value, new_value)
)
-- The per-column comparison of `pairs` is values_summary.sql, appended when run.
