-- Dashboard widgets per type: widget_type, widgets, active, inactive, active_share, users.
--
-- Parameters: :organization_id, :industry, :start, :end (NULL = all / open)
SELECT x.widget_type,
       count(*) AS widgets,
       count(*) FILTER (WHERE coalesce(x.is_active, false)) AS active,
       count(*) FILTER (WHERE NOT coalesce(x.is_active, false)) AS inactive,
       CAST(count(*) FILTER (WHERE coalesce(x.is_active, false)) AS float8) / count(*) AS active_share,
       count(DISTINCT x.user_id) AS users
FROM dashboard_widgets x
LEFT JOIN users u ON u.id = x.user_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR x.organization_id = CAST(:organization_id AS uuid))
  AND x.created_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND x.created_at < coalesce(CAST(:end AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR u.industry = CAST(:industry AS text))
GROUP BY x.widget_type
ORDER BY widgets DESC, x.widget_type
