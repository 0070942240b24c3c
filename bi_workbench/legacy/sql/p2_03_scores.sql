-- Phase 2, step 3: assessment_scoring_results -> assessment_scores, one score per result.
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
-- The legacy_id_map entry notes a match after the result; the entries, the insert and the
-- counts are written by bi_workbench/legacy/books.py.
WITH matched AS (
    SELECT s.*, a.assessment_id, a.is_before
    FROM carried_assessment_scoring_results s
    JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = s.user_id::text
    CROSS JOIN LATERAL (
        SELECT c.id AS assessment_id, c.is_before
        FROM (
            SELECT a.id, a.created_at,
                   (a.created_at IS NULL OR s.created_at IS NULL
                    OR a.created_at <= s.created_at AT TIME ZONE 'UTC') AS is_before
            FROM assessments a
            WHERE a.user_id = um.new_id
              AND a.assessment_type = 'onboarding'
              AND a.metadata->>'source' = 'onboarding_assessments'
        ) c
        ORDER BY c.is_before DESC,
                 CASE WHEN c.is_before THEN c.created_at END DESC NULLS LAST,
                 CASE WHEN NOT c.is_before THEN c.created_at END ASC,
                 c.id
        LIMIT 1
    ) a
)
SELECT m.id AS legacy_key,
       md5('assessment_scoring_results:' || m.id)::uuid AS id,
       m.assessment_id,
       round(m.score, 2) AS overall_score,
       m.bracket, m.category_scores, m.recommendations, m.next_steps, m.ai_insights,
       round(m.confidence, 2) AS confidence_score,
       m.created_at AT TIME ZONE 'UTC' AS created_at,
       CASE WHEN NOT m.is_before THEN 'matched to the earliest assessment after it (none before)' END AS note
FROM matched m
