-- Subscriptions per plan and status (blank = 'unknown'): plan, status, subscriptions.
SELECT coalesce(nullif(lower(btrim(s.plan)), ''), 'unknown') AS plan,
       coalesce(nullif(lower(btrim(s.status)), ''), 'unknown') AS status,
       count(*) AS subscriptions
FROM subscriptions s
JOIN users u ON u.id = s.user_id
WHERE (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
  AND (CAST(:organization_id AS uuid) IS NULL
       OR EXISTS (SELECT 1 FROM organization_members m
                  WHERE m.user_id = u.id AND m.organization_id = CAST(:organization_id AS uuid)))
  AND s.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND s.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
GROUP BY 1, 2
