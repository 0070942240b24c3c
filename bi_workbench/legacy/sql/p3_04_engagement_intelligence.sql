-- Phase 3, step 4: realtime_marketing_playbook -> engagement_intelligence. Every row moves.
--
-- * id = md5('realtime_marketing_playbook:' || id)::uuid; no user (the playbook is global);
-- * signal_score NULL: the seed wrote the constant 75.0, which overflows NUMERIC(3,2)
--   and is no measurement of anything; NULL says "no score" on the 0-1 scale;
-- * engagement_metrics {playbook_insight}, recommendations and insights as the seed
--   wrote them; source as it is; created_at = updated_at = createdat AT TIME ZONE 'UTC';
-- * a createdat outside 1678-2261 (bi_workbench/legacy/carry.py) is carried as NULL, the
--   whole legacy row kept in legacy_id_map with the reason.
-- The insert, the legacy_id_map entries and the counts are written by bi_workbench/legacy/books.py.
SELECT p.id AS legacy_key,
       md5('realtime_marketing_playbook:' || p.id)::uuid AS id,
       NULL::numeric AS signal_score,
       jsonb_build_object('playbook_insight', p.insight) AS engagement_metrics,
       ARRAY['Review marketing playbook insights'] AS recommendations,
       p.insight AS insights,
       p.source,
       p.createdat AT TIME ZONE 'UTC' AS created_at,
       p.createdat AT TIME ZONE 'UTC' AS updated_at
FROM carried_realtime_marketing_playbook p
