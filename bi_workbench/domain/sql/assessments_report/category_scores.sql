-- Statistics of the stored category scores per category, over all brackets (bracket = the all
-- parameter) and per bracket: bracket, category, scores, mean, median, min, max.
WITH chosen AS (
    SELECT a.id, a.status, a.created_at, a.completed_at,
           s.id AS score_id, CAST(s.overall_score AS float8) AS overall_score,
           lower(btrim(s.bracket)) AS bracket, CAST(s.confidence_score AS float8) AS confidence_score,
           s.category_scores
    FROM assessments a
    LEFT JOIN users u ON u.id = a.user_id
    LEFT JOIN LATERAL (
        SELECT * FROM assessment_scores s
        WHERE s.assessment_id = a.id
        ORDER BY s.created_at DESC NULLS LAST, s.id DESC
        LIMIT 1
    ) s ON true
    WHERE a.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND a.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL
           OR a.organization_id = CAST(:organization_id AS uuid)
           OR (a.organization_id IS NULL
               AND EXISTS (SELECT 1 FROM organization_members m
                           WHERE m.user_id = a.user_id AND m.organization_id = CAST(:organization_id AS uuid))))
      AND (CAST(:bracket AS text) IS NULL OR lower(btrim(s.bracket)) = lower(btrim(CAST(:bracket AS text))))
),
category_values AS (
    SELECT coalesce(c.bracket, '(none)') AS bracket, e.key AS category,
           CAST(jsonb_path_query_first(e.value, 'strict $.double()', '{}', true) AS float8) AS score
    FROM chosen c
    CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(c.category_scores) = 'object'
                                       THEN c.category_scores ELSE '{}' END) AS e
    WHERE c.score_id IS NOT NULL
)
SELECT CASE WHEN GROUPING(bracket) = 1 THEN :all ELSE bracket END AS bracket, category,
       count(score) AS scores, avg(score) AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS median,
       min(score) AS min, max(score) AS max
FROM category_values
GROUP BY GROUPING SETS ((category), (bracket, category))
