-- Snapshot coverage of the selected streams per aggregate type: aggregate_type, aggregates, with_snapshot,
-- coverage, longest_stream, mean_events_to_replay, max_events_to_replay.
--
-- Parameters: :aggregate_type, :organization_id, :industry, :since, :until (the selection; NULL = all / open)
WITH selected_events AS (
    SELECT e.* FROM events e
    WHERE (CAST(:aggregate_type AS text) IS NULL OR e.aggregate_type = CAST(:aggregate_type AS text))
      AND (CAST(:organization_id AS uuid) IS NULL OR e.organization_id = CAST(:organization_id AS uuid))
      AND (CAST(:industry AS text) IS NULL
           OR EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id AND u.industry = CAST(:industry AS text)))
      AND e.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND e.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
),
chosen AS (SELECT DISTINCT e.aggregate_type, e.aggregate_id FROM selected_events e),
streams AS (
    SELECT c.aggregate_type, c.aggregate_id, max(x.version) AS version
    FROM chosen c JOIN events x ON x.aggregate_type = c.aggregate_type AND x.aggregate_id = c.aggregate_id
    GROUP BY 1, 2
),
snaps AS (SELECT aggregate_type, aggregate_id, max(version) AS version FROM snapshots GROUP BY 1, 2)
SELECT s.aggregate_type, count(*) AS aggregates, count(n.version) AS with_snapshot,
       CAST(count(n.version) AS float8) / count(*) AS coverage,
       max(s.version) AS longest_stream,
       avg(s.version - coalesce(n.version, 0)) AS mean_events_to_replay,
       max(s.version - coalesce(n.version, 0)) AS max_events_to_replay
FROM streams s
LEFT JOIN snaps n ON n.aggregate_type = s.aggregate_type AND n.aggregate_id = s.aggregate_id
GROUP BY 1
ORDER BY 1
