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
WITH pending AS (
    SELECT e.*, um.new_id AS user_id_new, u.industry AS user_industry
    FROM carried_enhanced_market_insights e
    JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = e.u_id::text
    JOIN users u ON u.id = um.new_id
    WHERE NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'enhanced_market_insights' AND m.legacy_id = e.id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'enhanced_market_insights' AND q.legacy_id = e.id::text)
),
inserted AS (
    INSERT INTO market_insights (
        id, user_id, industry, market_size, growth_rate, competition, sentiment, full_insight,
        data_sources, confidence_score, ai_model_version, created_at, updated_at
    )
    SELECT md5('enhanced_market_insights:' || p.id)::uuid, p.user_id_new,
           CASE WHEN btrim(coalesce(p.industry, '')) <> '' THEN p.industry
                WHEN btrim(coalesce(p.user_industry, '')) <> '' THEN p.user_industry
                ELSE 'unknown' END,
           p.market_size, p.growth_rate, p.competition, p.sentiment, p.full_insight,
           p.data_sources, round(p.confidence_score / 100, 2), p.ai_model_version,
           p.created_at AT TIME ZONE 'UTC', p.created_at AT TIME ZONE 'UTC'
    FROM pending p
    RETURNING id
),
mapped AS (
    INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome, reason, legacy_row)
    SELECT 'enhanced_market_insights', p.id::text, 'market_insights',
           md5('enhanced_market_insights:' || p.id)::uuid, 'migrated',
           nullif(concat_ws('; ',
                            CASE WHEN p.user_id_new <> p.u_id THEN 'user merged: re-pointed to the surviving user' END,
                            p.unfit_reason), ''),
           CASE WHEN p.unfit_reason IS NOT NULL THEN p.legacy_row END
    FROM pending p
    RETURNING 1
)
SELECT jsonb_build_object('market_insights', (SELECT count(*) FROM inserted),
                          'legacy_id_map', (SELECT count(*) FROM mapped)) AS counts;
