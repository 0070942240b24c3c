-- On-disk size (heap, TOAST and indexes) and live row estimate of each named relation.
SELECT c.relname AS table_name,
       pg_total_relation_size(c.oid) + coalesce(parts.bytes, 0) AS total_bytes,
       pg_indexes_size(c.oid) + coalesce(parts.index_bytes, 0) AS index_bytes
FROM pg_class c
LEFT JOIN LATERAL (
    SELECT sum(pg_total_relation_size(i.inhrelid)) AS bytes, sum(pg_indexes_size(i.inhrelid)) AS index_bytes
    FROM pg_inherits i WHERE i.inhparent = c.oid
) parts ON true
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relname = ANY(%(names)s)
  AND c.relkind IN ('r', 'p')
ORDER BY c.relname;
