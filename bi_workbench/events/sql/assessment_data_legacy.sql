-- The same shape read from the legacy tables, for users not migrated yet.
SELECT o.o_id, o.u_id, 'onboarding' AS assessment_type,
       to_jsonb(o) - 'o_id' - 'u_id' - 'created_at' AS responses, 'completed' AS status,
       o.created_at AT TIME ZONE 'UTC' AS created_at,
       r.score, r.bracket, r.category_scores, r.recommendations, r.next_steps, r.ai_insights, r.confidence,
       'legacy' AS source
FROM onboarding_assessments o
LEFT JOIN LATERAL (
    SELECT * FROM assessment_scoring_results x
    WHERE x.user_id = o.u_id AND (x.created_at >= o.created_at OR o.created_at IS NULL)
    ORDER BY x.created_at, x.id LIMIT 1
) r ON true
WHERE o.u_id = :user_id
ORDER BY o.created_at DESC NULLS LAST, o.o_id
LIMIT 1;
