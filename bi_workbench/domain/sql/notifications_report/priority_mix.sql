-- Notifications per type and priority: type, priority, sent.
--
-- Parameters: :organization_id, :industry, :start, :end (NULL = all / open)
SELECT coalesce(nullif(btrim(x.type), ''), 'unknown') AS type,
       coalesce(nullif(btrim(x.priority), ''), 'unknown') AS priority,
       count(*) AS sent
FROM notifications x
LEFT JOIN users u ON u.id = x.user_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR x.organization_id = CAST(:organization_id AS uuid))
  AND x.created_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND x.created_at < coalesce(CAST(:end AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR u.industry = CAST(:industry AS text))
GROUP BY 1, 2
