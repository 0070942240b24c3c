-- Retention by signup cohort: share of a cohort active in each period after signup.
--
-- :cohort        'day' | 'week' | 'month' (validated by the caller): cohort and period length
-- :periods       last period number reported (0 is the signup period itself)
-- :as_of         the "now" of the report; NULL = the latest created_at of analytics_events or users
-- :since, :until half-open range [since, until) of users.created_at (which cohorts)
-- :organization_id  members of that organization, active in its events; NULL = all
-- :industry      only users who have this industry (compared case-insensitively); NULL = all
--
-- A user belongs to the cohort of date_trunc(cohort, users.created_at) in UTC and
-- is active in period n when they have an analytics event in the n-th calendar
-- period after their cohort's period. Cells whose period starts after as_of are
-- not reported (not yet observable); cells with nobody active are 0.
WITH bounds AS (
    SELECT coalesce(CAST(:as_of AS timestamptz),
                    greatest((SELECT max(created_at) FROM analytics_events),
                             (SELECT max(created_at) FROM users))) AS as_of,
           CAST('1 ' || CAST(:cohort AS text) AS interval) AS step
),
cohort_users AS (
    SELECT u.id AS user_id, date_trunc(CAST(:cohort AS text), u.created_at AT TIME ZONE 'UTC') AS cohort
    FROM users u
    CROSS JOIN bounds b
    WHERE u.created_at <= b.as_of
      AND u.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND u.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:organization_id AS uuid) IS NULL
           OR EXISTS (SELECT 1 FROM organization_members m
                      WHERE m.user_id = u.id AND m.organization_id = CAST(:organization_id AS uuid)))
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
),
sizes AS (
    SELECT cohort, count(*) AS cohort_size FROM cohort_users GROUP BY cohort
),
activity AS (
    SELECT DISTINCT c.cohort, c.user_id, date_trunc(CAST(:cohort AS text), e.created_at AT TIME ZONE 'UTC') AS period
    FROM cohort_users c
    JOIN analytics_events e ON e.user_id = c.user_id
    CROSS JOIN bounds b
    WHERE e.created_at <= b.as_of
      AND e.created_at >= c.cohort AT TIME ZONE 'UTC'
      AND (CAST(:organization_id AS uuid) IS NULL OR e.organization_id = CAST(:organization_id AS uuid))
),
active AS (
    SELECT cohort,
           CAST(CASE CAST(:cohort AS text)
                    WHEN 'month' THEN (extract(year FROM period) - extract(year FROM cohort)) * 12
                                      + extract(month FROM period) - extract(month FROM cohort)
                    WHEN 'week' THEN (CAST(period AS date) - CAST(cohort AS date)) / 7
                    ELSE CAST(period AS date) - CAST(cohort AS date)
                END AS integer) AS period_number,
           count(*) AS active_users
    FROM activity
    GROUP BY 1, 2
),
cells AS (
    SELECT s.cohort, s.cohort_size, n AS period_number
    FROM sizes s
    CROSS JOIN bounds b
    CROSS JOIN generate_series(0, CAST(:periods AS integer)) AS n
    WHERE (s.cohort + n * b.step) AT TIME ZONE 'UTC' <= b.as_of
)
SELECT c.cohort AT TIME ZONE 'UTC' AS cohort, c.cohort_size, c.period_number,
       coalesce(a.active_users, 0) AS active_users,
       CAST(coalesce(a.active_users, 0) AS float8) / c.cohort_size AS retention,
       (SELECT as_of FROM bounds) AS as_of
FROM cells c
LEFT JOIN active a ON a.cohort = c.cohort AND a.period_number = c.period_number
ORDER BY c.cohort, c.period_number;
