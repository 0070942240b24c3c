-- Phase 2, step 3: scoring results that cannot become assessment scores, quarantined whole.
--
-- Reasons, the first that applies:
-- * 'orphan: no user id' / 'orphan: user quarantined' / 'orphan: user not found'
--   (as for assessments);
-- * 'invalid: score outside 0-5' / 'invalid: confidence outside 0-1': the value rounded
--   to the new columns' two decimals breaks their scale (NaN included);
-- * 'unmatched: user has no onboarding assessment': the person (after merging) has no
--   migrated onboarding assessment the result could belong to.
WITH judged AS (
    SELECT s.id, s.legacy_row,
           CASE WHEN s.user_id IS NULL THEN 'orphan: no user id'
                WHEN um.new_id IS NULL AND EXISTS (
                         SELECT 1 FROM migration_quarantine uq
                         WHERE uq.legacy_table = 'tier2_users' AND uq.legacy_id = s.user_id::text)
                THEN 'orphan: user quarantined'
                WHEN um.new_id IS NULL THEN 'orphan: user not found'
                WHEN s.score IS NOT NULL AND round(s.score, 2) NOT BETWEEN 0 AND 5
                THEN 'invalid: score outside 0-5'
                WHEN s.confidence IS NOT NULL AND round(s.confidence, 2) NOT BETWEEN 0 AND 1
                THEN 'invalid: confidence outside 0-1'
                WHEN NOT EXISTS (
                         SELECT 1 FROM assessments a
                         WHERE a.user_id = um.new_id AND a.assessment_type = 'onboarding'
                           AND a.metadata->>'source' = 'onboarding_assessments')
                THEN 'unmatched: user has no onboarding assessment'
           END AS reason
    FROM carried_assessment_scoring_results s
    LEFT JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = s.user_id::text
    WHERE NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'assessment_scoring_results' AND m.legacy_id = s.id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'assessment_scoring_results' AND q.legacy_id = s.id::text)
),
quarantined AS (
    INSERT INTO migration_quarantine (legacy_table, legacy_id, legacy_row, reason, phase)
    SELECT 'assessment_scoring_results', j.id::text,
           coalesce(j.legacy_row, (SELECT to_jsonb(l) FROM assessment_scoring_results l WHERE l.id = j.id)),
           j.reason, 2
    FROM judged j
    WHERE j.reason IS NOT NULL
    RETURNING 1
)
SELECT jsonb_build_object('migration_quarantine', count(*)) AS counts FROM quarantined;
