-- Email subscriptions per email type: email_type, subscriptions, active, inactive, active_share.
--
-- Parameters: :organization_id (subscribers who are its members), :industry, :start, :end (NULL = all / open)
SELECT coalesce(nullif(btrim(x.email_type), ''), 'unknown') AS email_type,
       count(*) AS subscriptions,
       count(*) FILTER (WHERE coalesce(x.is_active, false)) AS active,
       count(*) FILTER (WHERE NOT coalesce(x.is_active, false)) AS inactive,
       CAST(count(*) FILTER (WHERE coalesce(x.is_active, false)) AS float8) / count(*) AS active_share
FROM email_subscriptions x
LEFT JOIN users u ON u.id = x.user_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR EXISTS (
        SELECT 1 FROM organization_members m
        WHERE m.user_id = x.user_id AND m.organization_id = CAST(:organization_id AS uuid)))
  AND x.created_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND x.created_at < coalesce(CAST(:end AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR u.industry = CAST(:industry AS text))
GROUP BY 1
ORDER BY subscriptions DESC, 1
