-- A user's latest assessment of a type, with its latest score, in the legacy
-- shape (onboarding_assessments columns plus assessment_scoring_results').
SELECT a.id AS o_id, a.user_id AS u_id, a.assessment_type, a.responses, a.status, a.created_at,
       s.overall_score AS score, s.bracket, s.category_scores, s.recommendations, s.next_steps,
       s.ai_insights, s.confidence_score AS confidence, 'new' AS source
FROM assessments a
LEFT JOIN LATERAL (
    SELECT * FROM assessment_scores x WHERE x.assessment_id = a.id ORDER BY x.created_at DESC, x.id LIMIT 1
) s ON true
WHERE a.user_id = :user_id AND a.assessment_type = :assessment_type
ORDER BY a.created_at DESC, a.id
LIMIT 1;
