-- Active users and events per calendar period (UTC) of analytics_events.
--
-- :period        'day' | 'week' | 'month' (validated by the caller)
-- :since, :until half-open range [since, until) on created_at; NULL = open
-- :organization_id  events of that organization only; NULL = all
-- :industry      only events whose user has this industry (compared case-insensitively); NULL = all
--
-- Periods without events between the first and the last active period are
-- returned with zeros, so a chart of the frame has no silent gaps.
WITH counted AS (
    SELECT date_trunc(CAST(:period AS text), e.created_at AT TIME ZONE 'UTC') AS period,
           count(DISTINCT e.user_id) AS active_users,
           count(*) AS events
    FROM analytics_events e
    WHERE e.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND e.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:organization_id AS uuid) IS NULL OR e.organization_id = CAST(:organization_id AS uuid))
      AND (CAST(:industry AS text) IS NULL
           OR EXISTS (SELECT 1 FROM users u
                      WHERE u.id = e.user_id AND lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text)))))
    GROUP BY 1
),
periods AS (
    SELECT generate_series(min(period), max(period), CAST('1 ' || CAST(:period AS text) AS interval)) AS period
    FROM counted
)
SELECT p.period AT TIME ZONE 'UTC' AS period,
       coalesce(c.active_users, 0) AS active_users,
       coalesce(c.events, 0) AS events
FROM periods p
LEFT JOIN counted c ON c.period = p.period
ORDER BY p.period;
