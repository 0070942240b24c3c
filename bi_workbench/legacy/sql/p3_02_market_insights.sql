-- Phase 3, step 2: enhanced_market_insights -> market_insights.
--
-- * id = md5('enhanced_market_insights:' || id)::uuid; user_id = the mapped user (a
--   merged duplicate's insights go to the survivor);
-- * industry (NOT NULL in market_insights): the legacy value when not blank, else the
--   user's industry when not blank, else 'unknown';
-- * confidence_score: the legacy percentage (0-100) / 100, rounded to two decimals;
-- * the JSONB documents, full_insight and ai_model_version as they are; source keeps
--   its default ('ai_generated'); created_at = updated_at = created_at AT TIME ZONE 'UTC';
-- * values the new schema, its indexes or pandas cannot carry (bi_workbench/legacy/carry.py:
--   created_at outside 1678-2261, an industry over 2000 bytes, JSON nested deeper than 64
--   levels) are carried as NULL (an industry set aside then follows the rule above), JSON
--   null as NULL; the legacy_id_map entry keeps the whole legacy row and the reason.
-- The legacy_id_map entry notes a re-pointed user; the entries, the insert and the counts are
-- written by bi_workbench/legacy/books.py.
SELECT p.id AS legacy_key,
       md5('enhanced_market_insights:' || p.id)::uuid AS id,
       um.new_id AS user_id,
       CASE WHEN btrim(coalesce(p.industry, '')) <> '' THEN p.industry
            WHEN btrim(coalesce(u.industry, '')) <> '' THEN u.industry
            ELSE 'unknown' END AS industry,
       p.market_size, p.growth_rate, p.competition, p.sentiment, p.full_insight, p.data_sources,
       round(p.confidence_score / 100, 2) AS confidence_score,
       p.ai_model_version,
       p.created_at AT TIME ZONE 'UTC' AS created_at,
       p.created_at AT TIME ZONE 'UTC' AS updated_at,
       CASE WHEN um.new_id <> p.u_id THEN 'user merged: re-pointed to the surviving user' END AS note
FROM carried_enhanced_market_insights p
JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = p.u_id::text
JOIN users u ON u.id = um.new_id
