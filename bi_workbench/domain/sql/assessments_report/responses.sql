-- The responses of every selected assessment: assessment_id, responses.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT c.id AS assessment_id, a.responses
FROM chosen c JOIN assessments a ON a.id = c.id
ORDER BY c.id
