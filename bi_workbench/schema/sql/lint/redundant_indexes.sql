-- Indexes whose columns are a leading prefix of another index on the same
-- table (or a duplicate of it): the other index serves every lookup they serve.
-- A unique index is never reported (it enforces something), nor a partial or
-- expression index.
SELECT ca.relname AS index_name, t.relname AS table_name, cb.relname AS covered_by
FROM pg_index a
JOIN pg_index b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
JOIN pg_class ca ON ca.oid = a.indexrelid
JOIN pg_class cb ON cb.oid = b.indexrelid AND cb.relam = ca.relam
JOIN pg_class t ON t.oid = a.indrelid
JOIN pg_am am ON am.oid = ca.relam AND am.amname = 'btree'
WHERE t.relnamespace = current_schema()::regnamespace
  AND NOT t.relispartition
  AND NOT a.indisunique
  AND a.indpred IS NULL AND b.indpred IS NULL
  AND a.indexprs IS NULL AND b.indexprs IS NULL
  AND (string_to_array(b.indkey::text, ' '))[1:a.indnkeyatts] = string_to_array(a.indkey::text, ' ')
  AND (b.indisunique OR b.indnkeyatts > a.indnkeyatts OR a.indexrelid > b.indexrelid)
ORDER BY table_name, index_name;
