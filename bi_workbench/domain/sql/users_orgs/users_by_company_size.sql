-- The selection's users per company size band (blank = 'unknown'): value, users.
SELECT coalesce(nullif(btrim(u.company_size), ''), 'unknown') AS value, count(*) AS users
FROM users u
WHERE (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
  AND (CAST(:organization_id AS uuid) IS NULL
       OR EXISTS (SELECT 1 FROM organization_members m
                  WHERE m.user_id = u.id AND m.organization_id = CAST(:organization_id AS uuid)))
  AND u.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND u.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
GROUP BY 1
