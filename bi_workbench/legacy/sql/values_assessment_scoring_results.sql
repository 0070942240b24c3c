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
           md5('assessment_scoring_results:' || l.id)::uuid::text AS new_id,
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
),
new AS (
    SELECT m.legacy_id, m.legacy_row::text AS kept_row,
           n.id::text AS new_id, n.assessment_id::text AS assessment_id, a.user_id::text AS user_id,
           n.overall_score::text AS overall_score, n.bracket, n.category_scores::text AS category_scores,
           n.recommendations::text AS recommendations, n.next_steps::text AS next_steps,
           n.ai_insights, n.confidence_score::text AS confidence_score, n.created_at::text AS created_at
    FROM legacy_id_map m
    JOIN assessment_scores n ON n.id = m.new_id
    LEFT JOIN assessments a ON a.id = n.assessment_id
    WHERE m.legacy_table = 'assessment_scoring_results' AND m.outcome = 'migrated'
),
pairs AS (
    SELECT l.legacy_id AS legacy_key, n.legacy_id AS new_key, c.column_name, c.legacy_value, c.new_value
    FROM legacy l
    FULL JOIN new n ON n.legacy_id = l.legacy_id
    CROSS JOIN LATERAL (VALUES
        ('legacy_row kept', l.kept_row, n.kept_row),
        ('id', l.new_id, n.new_id),
        ('assessment_id', l.assessment_id, n.assessment_id),
        ('user_id', l.user_id, n.user_id),
        ('overall_score', l.overall_score, n.overall_score),
        ('bracket', l.bracket, n.bracket),
        ('category_scores', l.category_scores, n.category_scores),
        ('recommendations', l.recommendations, n.recommendations),
        ('next_steps', l.next_steps, n.next_steps),
        ('ai_insights', l.ai_insights, n.ai_insights),
        ('confidence_score', l.confidence_score, n.confidence_score),
        ('created_at', l.created_at, n.created_at)
    ) AS c(column_name, legacy_value, new_value)
)
-- The per-column comparison of `pairs` is values_summary.sql, appended when run.
