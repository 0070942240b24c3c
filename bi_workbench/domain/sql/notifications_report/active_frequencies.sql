-- Active email subscriptions per email type and preferences frequency: email_type, frequency, subscriptions.
--
-- Parameters: :organization_id (subscribers who are its members), :industry, :start, :end (NULL = all / open)
SELECT coalesce(nullif(btrim(x.email_type), ''), 'unknown') AS email_type,
       coalesce(nullif(btrim(x.preferences ->> 'frequency'), ''), 'unknown') AS frequency,
       count(*) AS subscriptions
FROM email_subscriptions x
LEFT JOIN users u ON u.id = x.user_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR EXISTS (
        SELECT 1 FROM organization_members m
        WHERE m.user_id = x.user_id AND m.organization_id = CAST(:organization_id AS uuid)))
  AND x.created_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND x.created_at < coalesce(CAST(:end AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR u.industry = CAST(:industry AS text))
  AND coalesce(x.is_active, false)
GROUP BY 1, 2
