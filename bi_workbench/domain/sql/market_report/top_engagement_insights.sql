-- The engagement insights recorded most often: insight, signals, sources, mean_signal, latest.
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
SELECT btrim(insights) AS insight, count(*) AS signals, count(DISTINCT source) AS sources,
       avg(signal_score) AS mean_signal, max(created_at) AS latest
FROM engagement_signals
WHERE nullif(btrim(insights), '') IS NOT NULL
GROUP BY 1
ORDER BY signals DESC, insight
LIMIT CAST(:limit AS integer)
