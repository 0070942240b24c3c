-- Carried values, enhanced_market_insights -> market_insights (outcome 'migrated'):
-- user through legacy_id_map, industry by the phase 3 rule (legacy, else the user's,
-- else 'unknown'), confidence percentage / 100 rounded to two decimals, naive UTC times.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           md5('enhanced_market_insights:' || l.id)::uuid::text AS id,
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
)
-- `new` and `pairs` (the new table's side, column by column) are generated from these columns
-- (bi_workbench/legacy/values.py); values_summary.sql compares them.
