-- The selected events per aggregate type and event type: aggregate_type, event_type, events, aggregates,
-- first_event, last_event.
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
)
SELECT e.aggregate_type, e.event_type, count(*) AS events,
       count(DISTINCT e.aggregate_id) AS aggregates,
       CAST(min(e.created_at AT TIME ZONE 'UTC') AS date) AS first_event,
       CAST(max(e.created_at AT TIME ZONE 'UTC') AS date) AS last_event
FROM selected_events e
GROUP BY 1, 2
ORDER BY 1, 2
