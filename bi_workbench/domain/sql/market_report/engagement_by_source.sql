-- Engagement intelligence signals per source: source, signals, scored, mean/median/min/max_signal,
-- with_recommendations.
WITH engagement_signals AS (
    SELECT e.id, e.created_at, CAST(e.signal_score AS float8) AS signal_score, e.recommendations, e.insights,
           coalesce(nullif(btrim(e.source), ''), 'unknown') AS source
    FROM engagement_intelligence e
    LEFT JOIN users u ON u.id = e.user_id
    WHERE e.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND e.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL OR e.organization_id = CAST(:organization_id AS uuid))
)
SELECT source, count(*) AS signals, count(signal_score) AS scored, avg(signal_score) AS mean_signal,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY signal_score) AS median_signal,
       min(signal_score) AS min_signal, max(signal_score) AS max_signal,
       count(*) FILTER (WHERE cardinality(recommendations) > 0) AS with_recommendations
FROM engagement_signals
GROUP BY source
ORDER BY signals DESC, source
