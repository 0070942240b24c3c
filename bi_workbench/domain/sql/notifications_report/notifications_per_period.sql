-- Notifications sent and read per UTC :period and type: period, type, sent, read.
--
-- Parameters: :period (day, week or month), :organization_id, :industry, :start, :end (NULL = all / open)
SELECT date_trunc(CAST(:period AS text), x.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS period,
       coalesce(nullif(btrim(x.type), ''), 'unknown') AS type,
       count(*) AS sent,
       count(*) FILTER (WHERE coalesce(x.is_read, false) OR x.read_at IS NOT NULL) AS read
FROM notifications x
LEFT JOIN users u ON u.id = x.user_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR x.organization_id = CAST(:organization_id AS uuid))
  AND x.created_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND x.created_at < coalesce(CAST(:end AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR u.industry = CAST(:industry AS text))
GROUP BY 1, 2
ORDER BY 1, 2
