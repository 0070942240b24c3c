-- Ordered funnel over analytics_events event types.
--
-- :steps         text[] of event types, in funnel order (at least one)
-- :window_days   a user's later steps must happen within this many days of entering
-- :since, :until half-open range [since, until) of the entry (first step); NULL = open
-- :organization_id  events of that organization only; NULL = all
-- :industry      only users who have this industry (compared case-insensitively); NULL = all
--
-- A user enters at their first step-1 event in the range. Step k+1 is reached
-- at the earliest event of its type at or after the time step k was reached
-- (strictly after when both steps are the same event type, so a repeated step
-- needs a second event) and no later than entry + window. Taking the earliest
-- event at each step is what finds an ordered path whenever one exists.
-- Conversions whose denominator is 0 are NULL.
WITH RECURSIVE entered AS (
    SELECT e.user_id, min(e.created_at) AS entered_at
    FROM analytics_events e
    WHERE e.event_type = (CAST(:steps AS text[]))[1]
      AND e.user_id IS NOT NULL
      AND e.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND e.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:organization_id AS uuid) IS NULL OR e.organization_id = CAST(:organization_id AS uuid))
      AND (CAST(:industry AS text) IS NULL
           OR EXISTS (SELECT 1 FROM users u
                      WHERE u.id = e.user_id AND lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text)))))
    GROUP BY e.user_id
),
reached (user_id, step_number, reached_at, entered_at) AS (
    SELECT user_id, 1, entered_at, entered_at FROM entered
    UNION ALL
    SELECT r.user_id, r.step_number + 1, nxt.reached_at, r.entered_at
    FROM reached r
    CROSS JOIN LATERAL (
        SELECT min(e.created_at) AS reached_at
        FROM analytics_events e
        WHERE e.user_id = r.user_id
          AND e.event_type = (CAST(:steps AS text[]))[r.step_number + 1]
          AND e.created_at >= r.reached_at
          AND (e.created_at > r.reached_at
               OR e.event_type IS DISTINCT FROM (CAST(:steps AS text[]))[r.step_number])
          AND e.created_at <= r.entered_at + make_interval(days => CAST(:window_days AS integer))
          AND (CAST(:organization_id AS uuid) IS NULL OR e.organization_id = CAST(:organization_id AS uuid))
    ) nxt
    WHERE r.step_number < cardinality(CAST(:steps AS text[]))
      AND nxt.reached_at IS NOT NULL
),
counted AS (
    SELECT s.step, CAST(s.step_number AS integer) AS step_number, count(r.user_id) AS users
    FROM unnest(CAST(:steps AS text[])) WITH ORDINALITY AS s (step, step_number)
    LEFT JOIN reached r ON r.step_number = s.step_number
    GROUP BY s.step, s.step_number
)
SELECT step_number, step, users,
       CAST(users AS float8) / NULLIF(coalesce(lag(users) OVER w, users), 0) AS conversion_from_previous,
       CAST(users AS float8) / NULLIF(first_value(users) OVER w, 0) AS conversion_from_first
FROM counted
WINDOW w AS (ORDER BY step_number)
ORDER BY step_number;
