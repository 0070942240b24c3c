-- Phase 3, step 3: realtime_business_trends -> business_trends. Every row moves.
--
-- * id = md5('realtime_business_trends:' || id)::uuid; metadata {source, legacy_id};
-- * title and insight are NOT NULL in business_trends: NULL or blank -> '' (the same
--   rule as for names: a row is never dropped for a missing text);
-- * industry and source as they are; trend_type keeps its default ('business');
--   created_at = createdat AT TIME ZONE 'UTC';
-- * a createdat outside 1678-2261 or an industry over 2000 bytes (bi_workbench/legacy/carry.py)
--   is carried as NULL, the whole legacy row kept in legacy_id_map with the reason.
WITH pending AS (
    SELECT b.*
    FROM carried_realtime_business_trends b
    WHERE NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'realtime_business_trends' AND m.legacy_id = b.id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'realtime_business_trends' AND q.legacy_id = b.id::text)
),
inserted AS (
    INSERT INTO business_trends (id, title, insight, industry, source, metadata, created_at)
    SELECT md5('realtime_business_trends:' || p.id)::uuid,
           CASE WHEN btrim(coalesce(p.title, '')) = '' THEN '' ELSE p.title END,
           CASE WHEN btrim(coalesce(p.insight, '')) = '' THEN '' ELSE p.insight END,
           p.industry, p.source,
           jsonb_build_object('source', 'realtime_business_trends', 'legacy_id', p.id::text),
           p.createdat AT TIME ZONE 'UTC'
    FROM pending p
    RETURNING id
),
mapped AS (
    INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome, reason, legacy_row)
    SELECT 'realtime_business_trends', p.id::text, 'business_trends',
           md5('realtime_business_trends:' || p.id)::uuid, 'migrated',
           p.unfit_reason, CASE WHEN p.unfit_reason IS NOT NULL THEN p.legacy_row END
    FROM pending p
    RETURNING 1
)
SELECT jsonb_build_object('business_trends', (SELECT count(*) FROM inserted),
                          'legacy_id_map', (SELECT count(*) FROM mapped)) AS counts;
