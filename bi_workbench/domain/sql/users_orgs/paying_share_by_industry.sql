-- Per industry of the users who signed up: industry, users, subscribed, paying.
SELECT coalesce(nullif(btrim(u.industry), ''), 'unknown') AS industry,
       count(*) AS users,
       count(s.id) AS subscribed,
       count(s.id) FILTER (
           WHERE NOT (coalesce(nullif(lower(btrim(s.plan)), ''), 'unknown') = ANY(CAST(:free AS text[])))
             AND lower(btrim(s.status)) = ANY(CAST(:paying AS text[]))) AS paying
FROM users u
LEFT JOIN subscriptions s ON s.user_id = u.id
WHERE (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
  AND (CAST(:organization_id AS uuid) IS NULL
       OR EXISTS (SELECT 1 FROM organization_members m
                  WHERE m.user_id = u.id AND m.organization_id = CAST(:organization_id AS uuid)))
  AND u.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND u.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
GROUP BY 1
