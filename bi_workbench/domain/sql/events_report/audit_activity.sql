-- Audited changes per table and operation: table_name, operation, changes, records, users, first_change,
-- last_change.
--
-- Parameters: :organization_id, :industry, :since, :until (NULL = all / open)
SELECT a.table_name, a.operation, count(*) AS changes, count(DISTINCT a.record_id) AS records,
       count(DISTINCT a.user_id) AS users,
       CAST(min(a.created_at AT TIME ZONE 'UTC') AS date) AS first_change,
       CAST(max(a.created_at AT TIME ZONE 'UTC') AS date) AS last_change
FROM audit_log a
WHERE a.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND a.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
  AND (CAST(:organization_id AS uuid) IS NULL OR EXISTS (
       SELECT 1 FROM organization_members m
       WHERE m.organization_id = CAST(:organization_id AS uuid) AND m.user_id = a.user_id))
  AND (CAST(:industry AS text) IS NULL
       OR EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id AND u.industry = CAST(:industry AS text)))
GROUP BY 1, 2
ORDER BY 1, 2
