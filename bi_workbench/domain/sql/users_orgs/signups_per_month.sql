-- Users signing up per calendar month (UTC): period, signups.
SELECT date_trunc('month', u.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS period, count(*) AS signups
FROM users u
WHERE (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
  AND (CAST(:organization_id AS uuid) IS NULL
       OR EXISTS (SELECT 1 FROM organization_members m
                  WHERE m.user_id = u.id AND m.organization_id = CAST(:organization_id AS uuid)))
  AND u.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND u.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
GROUP BY 1
ORDER BY 1
