-- The signal score of every scored engagement signal of the selection: signal_score.
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
SELECT signal_score FROM engagement_signals WHERE signal_score IS NOT NULL
