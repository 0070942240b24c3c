-- The overall score of every scored assessment of the selection: overall_score.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT overall_score FROM chosen WHERE overall_score IS NOT NULL
