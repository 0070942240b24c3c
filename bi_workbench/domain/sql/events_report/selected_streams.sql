-- The streams with an event in the selection: aggregate_type, aggregate_id.
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
SELECT DISTINCT e.aggregate_type, e.aggregate_id FROM selected_events e
