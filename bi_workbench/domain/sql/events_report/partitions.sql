-- The partitions of the tables :parents with the first day of their month (NULL for a default partition):
-- parent, partition, month.
--
-- Parameters: :parents (text[])
SELECT p.relname AS parent, c.relname AS partition,
       CAST(CAST((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1] AS timestamptz)
            AT TIME ZONE 'UTC' AS date) AS month
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relname = ANY(CAST(:parents AS text[])) AND p.relnamespace = CAST(current_schema() AS regnamespace)
