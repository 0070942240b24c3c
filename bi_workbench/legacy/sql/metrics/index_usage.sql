-- Share of scans that used an index, per table, from the statistics collector
-- (counts since the last stats reset; partitions are added to their parent).
SELECT coalesce(p.inhparent::regclass::text, s.relname) AS table_name,
       sum(coalesce(s.idx_scan, 0))::bigint AS index_scans,
       sum(s.seq_scan)::bigint AS sequential_scans
FROM pg_stat_user_tables s
LEFT JOIN pg_inherits p ON p.inhrelid = s.relid
WHERE s.schemaname = current_schema()
  AND coalesce(p.inhparent::regclass::text, s.relname) = ANY(%(names)s)
GROUP BY 1
ORDER BY 1;
