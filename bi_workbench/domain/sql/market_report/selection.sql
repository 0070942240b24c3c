-- The selection shared by this folder's queries: the market insights of the selection with their JSON figures read as numbers (filters: since, until, industry, organization_id, min_confidence).
-- Prepended to each query that continues it (see the module's SELECTION_QUERIES).
WITH docs AS (
    SELECT btrim(i.industry) AS industry, i.created_at, CAST(i.confidence_score AS float8) AS confidence,
           CAST(coalesce(jsonb_path_query_first(i.sentiment, 'strict $.score.double()', '{}', true),
                         jsonb_path_query_first(i.sentiment, 'strict $.double()', '{}', true)) AS float8) AS score,
           lower(btrim(jsonb_path_query_first(i.sentiment, 'strict $.label ? (@.type() == "string")', '{}', true)
                       #>> '{}')) AS label,
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
      AND (CAST(:min_confidence AS float8) <= 0 OR i.confidence_score >= CAST(:min_confidence AS float8))
),
chosen AS (
    SELECT industry, created_at, confidence,
           CASE WHEN abs(score) < CAST('Infinity' AS float8) THEN score END AS score,
           CASE WHEN abs(tam) < CAST('Infinity' AS float8) THEN tam END AS tam,
           CASE WHEN abs(sam) < CAST('Infinity' AS float8) THEN sam END AS sam,
           CASE WHEN abs(som) < CAST('Infinity' AS float8) THEN som END AS som,
           CASE WHEN abs(cagr) < CAST('Infinity' AS float8) THEN cagr END AS cagr,
           label
    FROM docs
)
