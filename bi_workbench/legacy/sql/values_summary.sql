-- Appended to each values_<legacy table>.sql, after the CTEs bi_workbench/legacy/values.py
-- generates: `totals` (one row: legacy_rows and new_rows, the rows on each side) and `columns`
-- (per compared column, by position: each side's checksum and the keys of all the rows
-- where the two sides differ). One row per column (values.py orders them by name): the rows
-- and the checksum on each side, and the rows where the two sides differ (up to five
-- examples, in key order). A side's checksum is the sum over its rows of a 64-bit hash of
-- the row's key and value (hashtextextended(value, hashtextextended(key, 0)), the key's hash
-- alone for a NULL value): independent of row order, so no sort, and changed by any changed
-- key or value.
SELECT n.column_name, t.legacy_rows, t.new_rows,
       coalesce(c.legacy_checksum, 0)::text AS legacy_checksum,
       coalesce(c.new_checksum, 0)::text AS new_checksum,
       coalesce(cardinality(c.differing), 0)::bigint AS differing_rows,
       ARRAY(SELECT k FROM unnest(c.differing) AS k ORDER BY k COLLATE "C" LIMIT 5) AS examples
FROM totals t
CROSS JOIN columns c
JOIN unnest(%(column_names)s::text[]) WITH ORDINALITY AS n(column_name, position) USING (position)
