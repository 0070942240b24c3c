-- Scored assessments per bracket: bracket, assessments, mean, min and max score, mean confidence.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT coalesce(bracket, '(none)') AS bracket, count(*) AS assessments,
       avg(overall_score), min(overall_score), max(overall_score), avg(confidence_score)
FROM chosen
WHERE score_id IS NOT NULL
GROUP BY 1
