-- Lever plans of the selection per normalized status (blank: 'suggested'): status, plans.
--
-- Parameters: :organization_id, :industry, :since, :until (the selection; NULL = all / open)
SELECT coalesce(nullif(lower(btrim(t.status)), ''), 'suggested') AS status, count(*) AS plans
FROM growth_levers t
WHERE (CAST(:organization_id AS uuid) IS NULL OR t.organization_id = CAST(:organization_id AS uuid))
  AND (CAST(:industry AS text) IS NULL
       OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.industry = CAST(:industry AS text)))
  AND t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
GROUP BY 1
