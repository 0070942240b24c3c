-- Phase 3, step 3: realtime_business_trends -> business_trends. Every row moves.
--
-- * id = md5('realtime_business_trends:' || id)::uuid; metadata {source, legacy_id};
-- * title and insight are NOT NULL in business_trends: NULL or blank -> '' (the same
--   rule as for names: a row is never dropped for a missing text);
-- * industry and source as they are; trend_type keeps its default ('business');
--   created_at = createdat AT TIME ZONE 'UTC';
-- * a createdat outside 1678-2261 or an industry over 2000 bytes (bi_workbench/legacy/carry.py)
--   is carried as NULL, the whole legacy row kept in legacy_id_map with the reason.
-- The insert, the legacy_id_map entries and the counts are written by bi_workbench/legacy/books.py.
SELECT p.id AS legacy_key,
       md5('realtime_business_trends:' || p.id)::uuid AS id,
       CASE WHEN btrim(coalesce(p.title, '')) = '' THEN '' ELSE p.title END AS title,
       CASE WHEN btrim(coalesce(p.insight, '')) = '' THEN '' ELSE p.insight END AS insight,
       p.industry, p.source,
       jsonb_build_object('source', 'realtime_business_trends', 'legacy_id', p.id::text) AS metadata,
       p.createdat AT TIME ZONE 'UTC' AS created_at
FROM carried_realtime_business_trends p
