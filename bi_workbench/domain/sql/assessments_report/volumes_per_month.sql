-- Selected assessments per calendar month (UTC): period, assessments, completed, scored.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT date_trunc('month', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS period,
       count(*) AS assessments, count(*) FILTER (WHERE status = 'completed') AS completed,
       count(score_id) AS scored
FROM chosen
GROUP BY 1
ORDER BY 1
