-- Headline counts of the selection: users signed up, organizations created, memberships started,
-- subscriptions started, paying subscriptions, first and latest sign-up (one row).
WITH chosen_users AS (
    SELECT u.id, u.created_at FROM users u
    WHERE (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL
           OR EXISTS (SELECT 1 FROM organization_members m
                      WHERE m.user_id = u.id AND m.organization_id = CAST(:organization_id AS uuid)))
      AND u.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND u.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
),
chosen_orgs AS (
    SELECT o.id FROM organizations o
    WHERE (CAST(:organization_id AS uuid) IS NULL OR o.id = CAST(:organization_id AS uuid))
      AND o.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND o.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL
           OR EXISTS (SELECT 1 FROM organization_members m JOIN users u ON u.id = m.user_id
                      WHERE m.organization_id = o.id
                        AND lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text)))))
),
chosen_members AS (
    SELECT m.id FROM organization_members m JOIN users u ON u.id = m.user_id
    WHERE (CAST(:organization_id AS uuid) IS NULL OR m.organization_id = CAST(:organization_id AS uuid))
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
      AND m.joined_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND m.joined_at < coalesce(CAST(:until AS timestamptz), 'infinity')
),
chosen_subscriptions AS (
    SELECT s.plan, s.status FROM subscriptions s JOIN users u ON u.id = s.user_id
    WHERE (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL
           OR EXISTS (SELECT 1 FROM organization_members m
                      WHERE m.user_id = u.id AND m.organization_id = CAST(:organization_id AS uuid)))
      AND s.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND s.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
)
SELECT (SELECT count(*) FROM chosen_users),
       (SELECT count(*) FROM chosen_orgs),
       (SELECT count(*) FROM chosen_members),
       (SELECT count(*) FROM chosen_subscriptions),
       (SELECT count(*) FROM chosen_subscriptions
        WHERE NOT (lower(coalesce(plan, '')) = ANY(CAST(:free AS text[])))
          AND lower(status) = ANY(CAST(:paying AS text[]))),
       (SELECT min(created_at) FROM chosen_users),
       (SELECT max(created_at) FROM chosen_users)
