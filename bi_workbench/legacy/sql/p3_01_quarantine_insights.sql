-- Phase 3, step 1: market insights that cannot move, quarantined whole.
--
-- Reasons, the first that applies: 'orphan: no user id' / 'orphan: user quarantined' /
-- 'orphan: user not found' (as for assessments); 'invalid: confidence_score outside
-- 0-100' (the legacy percentage, scaled and rounded, would break the 0-1 scale).
WITH judged AS (
    SELECT e.id, e.legacy_row,
           CASE WHEN e.u_id IS NULL THEN 'orphan: no user id'
                WHEN um.new_id IS NULL AND EXISTS (
                         SELECT 1 FROM migration_quarantine uq
                         WHERE uq.legacy_table = 'tier2_users' AND uq.legacy_id = e.u_id::text)
                THEN 'orphan: user quarantined'
                WHEN um.new_id IS NULL THEN 'orphan: user not found'
                WHEN e.confidence_score IS NOT NULL AND round(e.confidence_score / 100, 2) NOT BETWEEN 0 AND 1
                THEN 'invalid: confidence_score outside 0-100'
           END AS reason
    FROM carried_enhanced_market_insights e
    LEFT JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = e.u_id::text
    WHERE NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'enhanced_market_insights' AND m.legacy_id = e.id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'enhanced_market_insights' AND q.legacy_id = e.id::text)
),
quarantined AS (
    INSERT INTO migration_quarantine (legacy_table, legacy_id, legacy_row, reason, phase)
    SELECT 'enhanced_market_insights', j.id::text,
           coalesce(j.legacy_row, (SELECT to_jsonb(l) FROM enhanced_market_insights l WHERE l.id = j.id)), j.reason, 3
    FROM judged j
    WHERE j.reason IS NOT NULL
    RETURNING 1
)
SELECT jsonb_build_object('migration_quarantine', count(*)) AS counts FROM quarantined;
