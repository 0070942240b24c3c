-- The first :limit gaps of the global order: after_position, next_position, missing.
--
-- Parameters: :limit
SELECT after_position, next_position, next_position - after_position - 1 AS missing
FROM (SELECT position AS next_position, lag(position) OVER (ORDER BY position) AS after_position FROM events) s
WHERE next_position - after_position > 1
ORDER BY after_position
LIMIT :limit
