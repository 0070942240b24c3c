-- Market size and growth rate of market_insights per industry, read from JSONB.
--
-- :since, :until half-open range [since, until) of created_at; NULL = open
-- :industry      one industry (compared case-insensitively); NULL = all
-- :organization_id  insights of that organization; NULL = all
--
-- tam_usd, sam_usd, som_usd are keys of market_size (a bare number is taken as
-- the TAM); cagr is the key of growth_rate (a bare number is taken as the CAGR).
-- Values are read with jsonpath's .double() in silent mode: a JSON number or
-- numeric text counts; a missing key, a NULL or odd document ("big", [], {}) or a
-- value out of range gives NULL, never an error, and is left out of the
-- statistics (`sized` and `with_growth` count the usable ones).
WITH docs AS (
    SELECT btrim(i.industry) AS industry,
           CAST(coalesce(jsonb_path_query_first(i.market_size, 'strict $.tam_usd.double()', '{}', true),
                         jsonb_path_query_first(i.market_size, 'strict $.double()', '{}', true)) AS float8) AS tam,
           CAST(jsonb_path_query_first(i.market_size, 'strict $.sam_usd.double()', '{}', true) AS float8) AS sam,
           CAST(jsonb_path_query_first(i.market_size, 'strict $.som_usd.double()', '{}', true) AS float8) AS som,
           CAST(coalesce(jsonb_path_query_first(i.growth_rate, 'strict $.cagr.double()', '{}', true),
                         jsonb_path_query_first(i.growth_rate, 'strict $.double()', '{}', true)) AS float8) AS cagr
    FROM market_insights i
    WHERE i.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND i.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(i.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL OR i.organization_id = CAST(:organization_id AS uuid))
),
finite AS (
    SELECT industry,
           CASE WHEN abs(tam) < CAST('Infinity' AS float8) THEN tam END AS tam,
           CASE WHEN abs(sam) < CAST('Infinity' AS float8) THEN sam END AS sam,
           CASE WHEN abs(som) < CAST('Infinity' AS float8) THEN som END AS som,
           CASE WHEN abs(cagr) < CAST('Infinity' AS float8) THEN cagr END AS cagr
    FROM docs
)
SELECT industry,
       count(*) AS insights,
       count(tam) AS sized,
       avg(tam) AS tam_usd_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tam) AS tam_usd_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY sam) AS sam_usd_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY som) AS som_usd_median,
       count(cagr) AS with_growth,
       avg(cagr) AS cagr_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY cagr) AS cagr_median
FROM finite
GROUP BY industry
ORDER BY insights DESC, industry;
