-- Stored simulations of the selection per UTC month and status: month, status, simulations.
--
-- Parameters: :organization_id, :industry, :since, :until (the selection; NULL = all / open)
SELECT CAST(date_trunc('month', t.created_at AT TIME ZONE 'UTC') AS date) AS month,
       coalesce(nullif(btrim(t.status), ''), 'unknown') AS status, count(*) AS simulations
FROM simulations t
WHERE (CAST(:organization_id AS uuid) IS NULL OR t.organization_id = CAST(:organization_id AS uuid))
  AND (CAST(:industry AS text) IS NULL
       OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.industry = CAST(:industry AS text)))
  AND t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
GROUP BY 1, 2
ORDER BY 1, 2
