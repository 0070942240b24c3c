-- Memberships per organization, role and member status: organization_id, organization, slug,
-- organization_status, role, status, members.
SELECT o.id AS organization_id, o.name AS organization, o.slug, coalesce(o.status, 'unknown') AS organization_status,
       coalesce(nullif(btrim(m.role), ''), 'unknown') AS role,
       coalesce(nullif(btrim(m.status), ''), 'unknown') AS status,
       count(*) AS members
FROM organization_members m
JOIN organizations o ON o.id = m.organization_id
JOIN users u ON u.id = m.user_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR m.organization_id = CAST(:organization_id AS uuid))
  AND (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
  AND m.joined_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND m.joined_at < coalesce(CAST(:until AS timestamptz), 'infinity')
GROUP BY o.id, o.name, o.slug, o.status, 5, 6
ORDER BY o.name, o.slug, 5, 6
