-- Sentiment of market_insights per industry.
--
-- :since, :until half-open range [since, until) of created_at; NULL = open
-- :industry      one industry (compared case-insensitively); NULL = all
-- :organization_id  insights of that organization; NULL = all
--
-- The score is sentiment.score (or the document itself when it is a bare number),
-- read with jsonpath's .double() in silent mode: a JSON number or numeric text
-- counts; a missing key, a NULL or '{}' document, "n/a", an array, a value out of
-- range give NULL, never an error, and are then only counted in `insights`. The
-- label is sentiment.label when it is negative/neutral/positive, else derived from
-- the score as the platform does: < -0.2 negative, >= 0.2 positive, neutral between.
WITH docs AS (
    SELECT btrim(i.industry) AS industry,
           CAST(coalesce(jsonb_path_query_first(i.sentiment, 'strict $.score.double()', '{}', true),
                         jsonb_path_query_first(i.sentiment, 'strict $.double()', '{}', true)) AS float8) AS score,
           lower(btrim(jsonb_path_query_first(i.sentiment, 'strict $.label ? (@.type() == "string")', '{}', true)
                       #>> '{}')) AS label
    FROM market_insights i
    WHERE i.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND i.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(i.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL OR i.organization_id = CAST(:organization_id AS uuid))
),
scored AS (
    SELECT industry,
           CASE WHEN abs(score) < CAST('Infinity' AS float8) THEN score END AS score,
           label
    FROM docs
),
labelled AS (
    SELECT industry, score,
           CASE WHEN label IN ('negative', 'neutral', 'positive') THEN label
                WHEN score < -0.2 THEN 'negative'
                WHEN score >= 0.2 THEN 'positive'
                WHEN score IS NOT NULL THEN 'neutral'
           END AS label
    FROM scored
)
SELECT industry,
       count(*) AS insights,
       count(score) AS scored,
       avg(score) AS mean_sentiment,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS median_sentiment,
       count(*) FILTER (WHERE label = 'positive') AS positive,
       count(*) FILTER (WHERE label = 'neutral') AS neutral,
       count(*) FILTER (WHERE label = 'negative') AS negative
FROM labelled
GROUP BY industry
ORDER BY insights DESC, industry;
