-- One row on the store's global order: events, first_position, last_position, missing_positions, gaps,
-- out_of_time_order.
--
-- Parameters: no parameters
WITH ordered AS (
    SELECT position, created_at,
           position - lag(position) OVER (ORDER BY position) AS step,
           created_at < lag(created_at) OVER (ORDER BY position) AS earlier
    FROM events
)
SELECT count(*) AS events, min(position) AS first_position, max(position) AS last_position,
       coalesce(max(position) - min(position) + 1 - count(*), 0) AS missing_positions,
       count(*) FILTER (WHERE step > 1) AS gaps,
       count(*) FILTER (WHERE earlier) AS out_of_time_order
FROM ordered
