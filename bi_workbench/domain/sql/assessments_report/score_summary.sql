-- Statistics of the selected overall scores (one row): count, mean, std, min, the 10/25/50/75/90th
-- percentiles (an array), max.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT count(overall_score), avg(overall_score), stddev_samp(overall_score), min(overall_score),
       percentile_cont(ARRAY[0.1, 0.25, 0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY overall_score),
       max(overall_score)
FROM chosen
