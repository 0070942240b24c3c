-- Phase 3, step 4: realtime_marketing_playbook -> engagement_intelligence. Every row moves.
--
-- * id = md5('realtime_marketing_playbook:' || id)::uuid; no user (the playbook is global);
-- * signal_score NULL: the seed wrote the constant 75.0, which overflows NUMERIC(3,2)
--   and is no measurement of anything; NULL says "no score" on the 0-1 scale;
-- * engagement_metrics {playbook_insight}, recommendations and insights as the seed
--   wrote them; source as it is; created_at = updated_at = createdat AT TIME ZONE 'UTC';
-- * a createdat outside 1678-2261 (bi_workbench/legacy/carry.py) is carried as NULL, the
--   whole legacy row kept in legacy_id_map with the reason.
WITH pending AS (
    SELECT r.*
    FROM carried_realtime_marketing_playbook r
    WHERE NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'realtime_marketing_playbook' AND m.legacy_id = r.id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'realtime_marketing_playbook' AND q.legacy_id = r.id::text)
),
inserted AS (
    INSERT INTO engagement_intelligence (
        id, signal_score, engagement_metrics, recommendations, insights, source, created_at, updated_at
    )
    SELECT md5('realtime_marketing_playbook:' || p.id)::uuid,
           NULL,
           jsonb_build_object('playbook_insight', p.insight),
           ARRAY['Review marketing playbook insights'],
           p.insight,
           p.source,
           p.createdat AT TIME ZONE 'UTC',
           p.createdat AT TIME ZONE 'UTC'
    FROM pending p
    RETURNING id
),
mapped AS (
    INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome, reason, legacy_row)
    SELECT 'realtime_marketing_playbook', p.id::text, 'engagement_intelligence',
           md5('realtime_marketing_playbook:' || p.id)::uuid, 'migrated',
           p.unfit_reason, CASE WHEN p.unfit_reason IS NOT NULL THEN p.legacy_row END
    FROM pending p
    RETURNING 1
)
SELECT jsonb_build_object('engagement_intelligence', (SELECT count(*) FROM inserted),
                          'legacy_id_map', (SELECT count(*) FROM mapped)) AS counts;
