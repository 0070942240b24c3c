-- The :n most active organizations of organization_analytics: name, slug, members, assessments, growth_levers,
-- simulations, activity, avg_assessment_score, last_assessment_date, last_activity_date.
--
-- Parameters: :organization_id, :industry (NULL = all), :n
SELECT v.organization_name,
       o.slug,
       coalesce(v.member_count, 0),
       coalesce(v.total_assessments, 0),
       coalesce(v.total_growth_levers, 0),
       coalesce(v.total_simulations, 0),
       coalesce(v.total_assessments, 0) + coalesce(v.total_growth_levers, 0) + coalesce(v.total_simulations, 0)
           AS activity,
       CAST(v.avg_assessment_score AS float8),
       v.last_assessment_date,
       v.last_activity_date
FROM organization_analytics v
JOIN organizations o ON o.id = v.organization_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR v.organization_id = CAST(:organization_id AS uuid))
  AND (CAST(:industry AS text) IS NULL OR EXISTS (
        SELECT 1 FROM organization_members m JOIN users u ON u.id = m.user_id
        WHERE m.organization_id = v.organization_id AND u.industry = CAST(:industry AS text)))
ORDER BY activity DESC, v.organization_name, o.slug
LIMIT :n
