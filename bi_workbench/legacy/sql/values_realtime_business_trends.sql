-- Carried values, realtime_business_trends -> business_trends (outcome 'migrated'):
-- NULL or blank title / insight as '', metadata {source, legacy_id}, naive UTC times.
WITH legacy AS (
    SELECT m.legacy_id,
           md5('realtime_business_trends:' || l.id)::uuid::text AS new_id,
           CASE WHEN btrim(coalesce(l.title, '')) = '' THEN '' ELSE l.title END AS title,
           CASE WHEN btrim(coalesce(l.insight, '')) = '' THEN '' ELSE l.insight END AS insight,
           l.industry, l.source, 'business' AS trend_type,
           jsonb_build_object('source', 'realtime_business_trends', 'legacy_id', l.id::text)::text AS metadata,
           (l.createdat AT TIME ZONE 'UTC')::text AS created_at
    FROM legacy_id_map m
    JOIN realtime_business_trends l ON l.id::text = m.legacy_id
    WHERE m.legacy_table = 'realtime_business_trends' AND m.outcome = 'migrated'
),
new AS (
    SELECT m.legacy_id,
           n.id::text AS new_id, n.title, n.insight, n.industry, n.source, n.trend_type,
           n.metadata::text AS metadata, n.created_at::text AS created_at
    FROM legacy_id_map m
    JOIN business_trends n ON n.id = m.new_id
    WHERE m.legacy_table = 'realtime_business_trends' AND m.outcome = 'migrated'
),
pairs AS (
    SELECT l.legacy_id AS legacy_key, n.legacy_id AS new_key, c.column_name, c.legacy_value, c.new_value
    FROM legacy l
    FULL JOIN new n ON n.legacy_id = l.legacy_id
    CROSS JOIN LATERAL (VALUES
        ('id', l.new_id, n.new_id),
        ('title', l.title, n.title),
        ('insight', l.insight, n.insight),
        ('industry', l.industry, n.industry),
        ('source', l.source, n.source),
        ('trend_type', l.trend_type, n.trend_type),
        ('metadata', l.metadata, n.metadata),
        ('created_at', l.created_at, n.created_at)
    ) AS c(column_name, legacy_value, new_value)
)
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
