-- Appended to each values_<legacy table>.sql (which ends with its `pairs` CTE):
-- per column, the rows and an md5 checksum on each side, and the rows where
-- the two sides differ (up to five examples).
SELECT column_name,
       count(legacy_key) AS legacy_rows,
       count(new_key) AS new_rows,
       md5(coalesce(string_agg(legacy_key || '=' || coalesce(quote_literal(legacy_value), 'NULL'), ','
                               ORDER BY legacy_key COLLATE "C") FILTER (WHERE legacy_key IS NOT NULL), '')) AS legacy_checksum,
       md5(coalesce(string_agg(new_key || '=' || coalesce(quote_literal(new_value), 'NULL'), ','
                               ORDER BY new_key COLLATE "C") FILTER (WHERE new_key IS NOT NULL), '')) AS new_checksum,
       count(*) FILTER (WHERE legacy_key IS DISTINCT FROM new_key OR legacy_value IS DISTINCT FROM new_value) AS differing_rows,
       (array_agg(coalesce(legacy_key, new_key) ORDER BY coalesce(legacy_key, new_key) COLLATE "C")
            FILTER (WHERE legacy_key IS DISTINCT FROM new_key OR legacy_value IS DISTINCT FROM new_value))[1:5] AS examples
FROM pairs
GROUP BY column_name
ORDER BY column_name;
