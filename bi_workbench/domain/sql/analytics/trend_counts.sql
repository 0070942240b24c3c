-- business_trends per calendar period (UTC), per industry or overall.
--
-- :period        'day' | 'week' | 'month' (validated by the caller)
-- :by_industry   true: one row per (period, industry); false: one per period (industry NULL)
-- :since, :until half-open range [since, until) of created_at; NULL = open
-- :industry      one industry (compared case-insensitively); NULL = all
--
-- A NULL or blank industry is reported as 'unknown'. Between the first and the
-- last period with a trend, every period (and, per industry, every industry seen)
-- is returned, with 0 where nothing was recorded.
WITH counted AS (
    SELECT date_trunc(CAST(:period AS text), t.created_at AT TIME ZONE 'UTC') AS period,
           CASE WHEN CAST(:by_industry AS boolean)
                THEN coalesce(nullif(btrim(t.industry), ''), 'unknown') END AS industry,
           count(*) AS trends
    FROM business_trends t
    WHERE t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL
           OR lower(btrim(t.industry)) = lower(btrim(CAST(:industry AS text))))
    GROUP BY 1, 2
),
periods AS (
    SELECT generate_series(min(period), max(period), CAST('1 ' || CAST(:period AS text) AS interval)) AS period
    FROM counted
),
industries AS (
    SELECT DISTINCT industry FROM counted
)
SELECT p.period AT TIME ZONE 'UTC' AS period, i.industry, coalesce(c.trends, 0) AS trends
FROM periods p
CROSS JOIN industries i
LEFT JOIN counted c ON c.period = p.period AND c.industry IS NOT DISTINCT FROM i.industry
ORDER BY p.period, i.industry;
