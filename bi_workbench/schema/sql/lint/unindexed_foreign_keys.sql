-- Foreign keys whose columns lead no index of their table: a join or a
-- cascading delete from the referenced side has to scan the whole table.
SELECT t.relname AS table_name, c.conname AS constraint_name
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
WHERE c.contype = 'f'
  AND t.relnamespace = current_schema()::regnamespace
  AND NOT t.relispartition
  AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] = c.conkey
  )
ORDER BY table_name, constraint_name;
