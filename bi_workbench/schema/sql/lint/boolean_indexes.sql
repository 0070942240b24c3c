-- Full indexes on one boolean column: with two values the planner prefers a
-- scan, so they cost writes and serve nothing (a partial index would).
SELECT ci.relname AS index_name, t.relname AS table_name
FROM pg_index i
JOIN pg_class ci ON ci.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE t.relnamespace = current_schema()::regnamespace
  AND NOT t.relispartition
  AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL
  AND a.atttypid = 'bool'::regtype
ORDER BY table_name, index_name;
