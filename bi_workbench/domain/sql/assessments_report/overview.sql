-- Headline figures of the selected assessments (one row): assessments, completed, scored, mean and
-- median score, mean confidence, first and latest created_at.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT count(*), count(*) FILTER (WHERE status = 'completed'), count(score_id),
       avg(overall_score), percentile_cont(0.5) WITHIN GROUP (ORDER BY overall_score), avg(confidence_score),
       min(created_at), max(created_at)
FROM chosen
