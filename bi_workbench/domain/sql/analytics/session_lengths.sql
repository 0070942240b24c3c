-- Session length summary of ended user_sessions, overall or per group.
--
-- :by            'device' | 'os' | 'browser' (keys of device_info), 'source' (source of
--                the session's analytics events), or NULL for one overall row 'all'
-- :since, :until half-open range [since, until) of started_at; NULL = open
-- :organization_id  sessions of that organization's members; NULL = all
-- :industry      only sessions whose user has this industry (compared case-insensitively); NULL = all
--
-- Only ended sessions count (ended_at set); sessions ending before they start are
-- data errors and are left out. A missing group value is reported as 'unknown'.
WITH sources AS (
    -- Read only when grouping by source (the condition folds to false otherwise): the
    -- source of each session's events, in one pass over the events of the range.
    SELECT e.session_id, min(e.source) AS source
    FROM analytics_events e
    WHERE CAST(:by AS text) = 'source'
      AND e.session_id IS NOT NULL
      AND e.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity') - interval '1 day'
    GROUP BY e.session_id
),
ended AS (
    SELECT extract(epoch FROM s.ended_at - s.started_at) / 60.0 AS minutes,
           CASE CAST(:by AS text)
               WHEN 'device' THEN s.device_info ->> 'device'
               WHEN 'os' THEN s.device_info ->> 'os'
               WHEN 'browser' THEN s.device_info ->> 'browser'
               WHEN 'source' THEN src.source
               ELSE 'all'
           END AS grp
    FROM user_sessions s
    LEFT JOIN sources src ON src.session_id = s.id
    WHERE s.ended_at IS NOT NULL
      AND s.started_at IS NOT NULL
      AND s.ended_at >= s.started_at
      AND s.started_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND s.started_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:organization_id AS uuid) IS NULL
           OR EXISTS (SELECT 1 FROM organization_members m
                      WHERE m.user_id = s.user_id AND m.organization_id = CAST(:organization_id AS uuid)))
      AND (CAST(:industry AS text) IS NULL
           OR EXISTS (SELECT 1 FROM users u
                      WHERE u.id = s.user_id AND lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text)))))
)
SELECT coalesce(nullif(btrim(grp), ''), 'unknown') AS "group",
       count(*) AS sessions,
       CAST(avg(minutes) AS float8) AS mean_minutes,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(minutes AS float8)) AS median_minutes,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY CAST(minutes AS float8)) AS p90_minutes
FROM ended
GROUP BY 1
ORDER BY sessions DESC, 1;
