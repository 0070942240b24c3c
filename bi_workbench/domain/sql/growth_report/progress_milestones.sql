-- The selection's growth_progress milestones with their catalogue lever: lever, status, progress_percentage,
-- created_at.
--
-- Parameters: :organization_id, :industry, :since, :until (the selection; NULL = all / open)
SELECT coalesce(
           (SELECT l FROM unnest(g.levers) AS l
            WHERE strpos(lower(t.milestone), replace(lower(l), '_', ' ')) > 0 ORDER BY l LIMIT 1),
           CASE WHEN cardinality(g.levers) = 1 THEN g.levers[1] END,
           'unattributed') AS lever,
       t.status, t.progress_percentage, t.created_at
FROM growth_progress t
LEFT JOIN growth_levers g ON g.id = t.lever_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR t.organization_id = CAST(:organization_id AS uuid))
  AND (CAST(:industry AS text) IS NULL
       OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.industry = CAST(:industry AS text)))
  AND t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
