-- Statistics of the stored category scores per category, over all brackets (bracket = the all
-- parameter) and per bracket: bracket, category, scores, mean, median, min, max.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
,
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
