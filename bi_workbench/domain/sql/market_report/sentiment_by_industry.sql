-- Market insight sentiment per industry: industry, insights, scored, mean_sentiment,
-- median_sentiment, positive, neutral, negative.
-- Continues market_report/selection.sql (the `WITH` that defines the selection), prepended when run.
,
labelled AS (
    SELECT industry, score,
           CASE WHEN label IN ('negative', 'neutral', 'positive') THEN label
                WHEN score < -0.2 THEN 'negative'
                WHEN score >= 0.2 THEN 'positive'
                WHEN score IS NOT NULL THEN 'neutral'
           END AS label
    FROM chosen
)
SELECT industry, count(*) AS insights, count(score) AS scored, avg(score) AS mean_sentiment,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS median_sentiment,
       count(*) FILTER (WHERE label = 'positive') AS positive,
       count(*) FILTER (WHERE label = 'neutral') AS neutral,
       count(*) FILTER (WHERE label = 'negative') AS negative
FROM labelled
GROUP BY industry
ORDER BY insights DESC, industry
