-- Analytics events per event type: event_type, events, users, share, web, mobile, api, other_sources.
--
-- Parameters: :organization_id, :industry, :start, :end (NULL = all / open)
SELECT x.event_type,
       count(*) AS events,
       count(DISTINCT x.user_id) AS users,
       CAST(count(*) AS float8) / sum(count(*)) OVER () AS share,
       count(*) FILTER (WHERE x.source = 'web') AS web,
       count(*) FILTER (WHERE x.source = 'mobile') AS mobile,
       count(*) FILTER (WHERE x.source = 'api') AS api,
       count(*) FILTER (WHERE x.source IS NULL OR x.source NOT IN ('web', 'mobile', 'api')) AS other_sources
FROM analytics_events x
LEFT JOIN users u ON u.id = x.user_id
WHERE (CAST(:organization_id AS uuid) IS NULL OR x.organization_id = CAST(:organization_id AS uuid))
  AND x.created_at >= coalesce(CAST(:start AS timestamptz), '-infinity')
  AND x.created_at < coalesce(CAST(:end AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR u.industry = CAST(:industry AS text))
GROUP BY x.event_type
ORDER BY events DESC, x.event_type
