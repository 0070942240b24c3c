-- Carried values, assessment_scoring_results -> assessment_scores (outcome 'migrated').
-- The expected assessment is recomputed here independently of the phase 2 step: the
-- person's onboarding assessment with the latest time at or before the result (a NULL
-- assessment time as -infinity, a NULL result time as +infinity), else the earliest
-- after it, ties to the smallest id. Scores are compared rounded to two decimals.
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH expected AS (
    SELECT DISTINCT ON (s.id) s.id, a.id AS assessment_id, a.user_id
    FROM carried_assessment_scoring_results s
    JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = s.user_id::text
    JOIN assessments a ON a.user_id = um.new_id AND a.assessment_type = 'onboarding'
                      AND a.metadata @> '{"source": "onboarding_assessments"}'
    ORDER BY s.id,
             coalesce(a.created_at, '-infinity') <= coalesce(s.created_at AT TIME ZONE 'UTC', 'infinity') DESC,
             CASE WHEN coalesce(a.created_at, '-infinity') <= coalesce(s.created_at AT TIME ZONE 'UTC', 'infinity')
                  THEN coalesce(a.created_at, '-infinity') END DESC,
             CASE WHEN coalesce(a.created_at, '-infinity') > coalesce(s.created_at AT TIME ZONE 'UTC', 'infinity')
                  THEN a.created_at END ASC,
             a.id
),
legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           md5('assessment_scoring_results:' || l.id)::uuid::text AS id,
           e.assessment_id::text AS assessment_id,
           e.user_id::text AS user_id,
           round(l.score, 2)::text AS overall_score,
           l.bracket, l.category_scores::text AS category_scores,
           l.recommendations::text AS recommendations, l.next_steps::text AS next_steps,
           l.ai_insights, round(l.confidence, 2)::text AS confidence_score,
           (l.created_at AT TIME ZONE 'UTC')::text AS created_at
    FROM legacy_id_map m
    JOIN carried_assessment_scoring_results l ON l.id::text = m.legacy_id
    LEFT JOIN expected e ON e.id = l.id
    WHERE m.legacy_table = 'assessment_scoring_results' AND m.outcome = 'migrated'
)
-- `new` and `pairs` (the new table's side, column by column) are generated from these columns
-- (bi_workbench/legacy/values.py); values_summary.sql compares them.
