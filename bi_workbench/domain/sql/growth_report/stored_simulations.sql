-- Stored simulations of the selection per status: status, simulations, with_results, median_p50,
-- mean_probability_of_target, first_created, last_created.
--
-- Parameters: :organization_id, :industry, :since, :until (the selection; NULL = all / open)
SELECT coalesce(nullif(btrim(t.status), ''), 'unknown') AS status, count(*) AS simulations,
       count(*) FILTER (WHERE jsonb_typeof(t.output_data -> 'p50') = 'number') AS with_results,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN jsonb_typeof(t.output_data -> 'p50') = 'number'
                                                         THEN CAST(t.output_data ->> 'p50' AS float8) END)
           AS median_p50,
       avg(CASE WHEN jsonb_typeof(t.output_data -> 'probability_of_target') = 'number'
                THEN CAST(t.output_data ->> 'probability_of_target' AS float8) END) AS mean_probability_of_target,
       CAST(min(t.created_at AT TIME ZONE 'UTC') AS date) AS first_created,
       CAST(max(t.created_at AT TIME ZONE 'UTC') AS date) AS last_created
FROM simulations t
WHERE (CAST(:organization_id AS uuid) IS NULL OR t.organization_id = CAST(:organization_id AS uuid))
  AND (CAST(:industry AS text) IS NULL
       OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id AND u.industry = CAST(:industry AS text)))
  AND t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
GROUP BY 1
ORDER BY 1
