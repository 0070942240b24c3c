-- The organization's (or its members') latest scored assessment before :until: category_scores, created_at.
--
-- Parameters: :organization_id, :until (exclusive; NULL = open)
SELECT s.category_scores, s.created_at
FROM assessment_scores s
JOIN assessments a ON a.id = s.assessment_id
WHERE (a.organization_id = CAST(:organization_id AS uuid)
       OR (a.organization_id IS NULL AND EXISTS (
           SELECT 1 FROM organization_members m
           WHERE m.organization_id = CAST(:organization_id AS uuid) AND m.user_id = a.user_id)))
  AND s.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
ORDER BY s.created_at DESC, s.id DESC
LIMIT 1
