-- Headline figures of the selection (one row): market insights, insights below min_confidence,
-- industries, mean confidence, latest insight, business trends, news items, engagement signals,
-- engagement signals with a score.
-- Continues market_report/selection.sql (the `WITH` that defines the selection), prepended when run.
,
engagement_signals AS (
    SELECT e.id, e.created_at, CAST(e.signal_score AS float8) AS signal_score, e.recommendations, e.insights,
           coalesce(nullif(btrim(e.source), ''), 'unknown') AS source
    FROM engagement_intelligence e
    LEFT JOIN users u ON u.id = e.user_id
    WHERE e.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND e.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL OR e.organization_id = CAST(:organization_id AS uuid))
),
everything AS (  -- the same filters without the confidence threshold
    SELECT count(*) AS n FROM market_insights i
    WHERE i.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND i.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(i.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL OR i.organization_id = CAST(:organization_id AS uuid))
)
SELECT (SELECT count(*) FROM chosen),
       (SELECT n FROM everything) - (SELECT count(*) FROM chosen),
       (SELECT count(DISTINCT industry) FROM chosen),
       (SELECT avg(confidence) FROM chosen),
       (SELECT max(created_at) FROM chosen),
       (SELECT count(*) FROM business_trends t
        WHERE t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
          AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
          AND (CAST(:industry AS text) IS NULL OR lower(btrim(t.industry)) = lower(btrim(CAST(:industry AS text))))),
       (SELECT count(*) FROM news_feed n
        WHERE coalesce(n.published_at, n.created_at) >= coalesce(CAST(:since AS timestamptz), '-infinity')
          AND coalesce(n.published_at, n.created_at) < coalesce(CAST(:until AS timestamptz), 'infinity')
          AND (CAST(:industry AS text) IS NULL
               OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(n.metadata -> 'tags') = 'array'
                                                                       THEN n.metadata -> 'tags' ELSE '[]' END) AS tag
                          WHERE lower(btrim(tag)) = lower(btrim(CAST(:industry AS text)))))),
       (SELECT count(*) FROM engagement_signals),
       (SELECT count(signal_score) FROM engagement_signals)
