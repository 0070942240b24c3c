-- Read rate and time to read of notifications, per group.
--
-- :by            'type' | 'priority' | 'channel' (metadata.channel), or NULL for one row 'all'
-- :since, :until half-open range [since, until) of created_at (when sent); NULL = open
-- :organization_id  notifications of that organization; NULL = all
-- :industry      only notifications whose user has this industry (compared case-insensitively); NULL = all
--
-- A notification is read when is_read is true or read_at is set. Hours to read
-- are read_at - created_at of read notifications whose read_at is known and not
-- before created_at. A missing group value is reported as 'unknown'.
WITH sent AS (
    SELECT CASE CAST(:by AS text)
               WHEN 'type' THEN n.type
               WHEN 'priority' THEN n.priority
               WHEN 'channel' THEN jsonb_path_query_first(n.metadata, 'strict $.channel ? (@.type() == "string")',
                                                          '{}', true) #>> '{}'
               ELSE 'all'
           END AS grp,
           coalesce(n.is_read, false) OR n.read_at IS NOT NULL AS is_read,
           CASE WHEN n.read_at >= n.created_at
                THEN extract(epoch FROM n.read_at - n.created_at) / 3600.0 END AS hours_to_read
    FROM notifications n
    WHERE n.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND n.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:organization_id AS uuid) IS NULL OR n.organization_id = CAST(:organization_id AS uuid))
      AND (CAST(:industry AS text) IS NULL
           OR EXISTS (SELECT 1 FROM users u
                      WHERE u.id = n.user_id AND lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text)))))
)
SELECT coalesce(nullif(btrim(grp), ''), 'unknown') AS "group",
       count(*) AS sent,
       count(*) FILTER (WHERE is_read) AS read,
       CAST(count(*) FILTER (WHERE is_read) AS float8) / count(*) AS read_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(hours_to_read AS float8)) AS median_hours_to_read,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY CAST(hours_to_read AS float8)) AS p90_hours_to_read
FROM sent
GROUP BY 1
ORDER BY sent DESC, 1;
