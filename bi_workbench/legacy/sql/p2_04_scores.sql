-- Phase 2, step 4: assessment_scoring_results -> assessment_scores, one score per result.
--
-- A result names a user, not an assessment. It is matched to one assessment of the
-- same person (after merging duplicates), among the onboarding assessments migrated
-- from onboarding_assessments:
-- * the latest one created at or before the scoring time;
-- * if there is none, the earliest one created after it (reason kept in legacy_id_map);
-- * an assessment with a NULL created_at counts as older than any dated one; a result
--   with a NULL created_at takes the person's latest assessment;
-- * ties go to the smallest assessment id.
-- The LATERAL ... LIMIT 1 picks exactly one, so no result is ever multiplied (the
-- seed joined on user_id only: two assessments x two results gave four scores).
-- id = md5('assessment_scoring_results:' || id)::uuid (deterministic); overall_score and
-- confidence_score are rounded to the columns' two decimals; created_at naive UTC.
-- Values the new schema or pandas cannot carry (bi_workbench/legacy/carry.py: created_at
-- outside 1678-2261, category_scores nested deeper than 64 levels, a bracket over 2000
-- bytes) are carried as NULL, the whole legacy row kept in legacy_id_map with the reason.
WITH pending AS (
    SELECT s.*, um.new_id AS person
    FROM carried_assessment_scoring_results s
    JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = s.user_id::text
    WHERE NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'assessment_scoring_results' AND m.legacy_id = s.id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'assessment_scoring_results' AND q.legacy_id = s.id::text)
),
matched AS (
    SELECT p.*, a.assessment_id, a.is_before
    FROM pending p
    CROSS JOIN LATERAL (
        SELECT c.id AS assessment_id, c.is_before
        FROM (
            SELECT a.id, a.created_at,
                   (a.created_at IS NULL OR p.created_at IS NULL
                    OR a.created_at <= p.created_at AT TIME ZONE 'UTC') AS is_before
            FROM assessments a
            WHERE a.user_id = p.person
              AND a.assessment_type = 'onboarding'
              AND a.metadata->>'source' = 'onboarding_assessments'
        ) c
        ORDER BY c.is_before DESC,
                 CASE WHEN c.is_before THEN c.created_at END DESC NULLS LAST,
                 CASE WHEN NOT c.is_before THEN c.created_at END ASC,
                 c.id
        LIMIT 1
    ) a
),
inserted AS (
    INSERT INTO assessment_scores (
        id, assessment_id, overall_score, bracket, category_scores, recommendations, next_steps,
        ai_insights, confidence_score, created_at
    )
    SELECT md5('assessment_scoring_results:' || m.id)::uuid, m.assessment_id,
           round(m.score, 2), m.bracket, m.category_scores, m.recommendations, m.next_steps,
           m.ai_insights, round(m.confidence, 2), m.created_at AT TIME ZONE 'UTC'
    FROM matched m
    RETURNING id
),
mapped AS (
    INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome, reason, legacy_row)
    SELECT 'assessment_scoring_results', m.id::text, 'assessment_scores',
           md5('assessment_scoring_results:' || m.id)::uuid, 'migrated',
           nullif(concat_ws('; ',
                            CASE WHEN NOT m.is_before THEN 'matched to the earliest assessment after it (none before)' END,
                            m.unfit_reason), ''),
           CASE WHEN m.unfit_reason IS NOT NULL THEN m.legacy_row END
    FROM matched m
    RETURNING 1
)
SELECT jsonb_build_object('assessment_scores', (SELECT count(*) FROM inserted),
                          'legacy_id_map', (SELECT count(*) FROM mapped)) AS counts;
