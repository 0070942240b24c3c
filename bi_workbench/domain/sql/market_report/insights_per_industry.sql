-- Market insights per industry: industry, insights, with_confidence, mean_confidence, first, latest.
-- Continues market_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT industry, count(*) AS insights, count(confidence) AS with_confidence, avg(confidence) AS mean_confidence,
       min(created_at) AS first, max(created_at) AS latest
FROM chosen
GROUP BY industry
ORDER BY insights DESC, industry
