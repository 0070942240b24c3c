-- The selection's latest completed assessment (at most one row): id, completed_at, overall_score,
-- bracket, confidence_score, responses.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT c.id, c.completed_at, c.overall_score, c.bracket, c.confidence_score, a.responses
FROM chosen c
JOIN assessments a ON a.id = c.id
WHERE c.status = 'completed'
ORDER BY c.completed_at DESC NULLS LAST, c.created_at DESC, c.id DESC
LIMIT 1
