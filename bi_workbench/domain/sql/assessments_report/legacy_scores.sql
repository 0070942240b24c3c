-- The legacy (migrated) score rows of the selected assessments: assessment_id, overall_score,
-- bracket, created_at.
-- Continues assessments_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT s.assessment_id, CAST(s.overall_score AS float8) AS overall_score, s.bracket, s.created_at
FROM chosen c
JOIN assessment_scores s ON s.assessment_id = c.id
WHERE EXISTS (SELECT 1 FROM legacy_id_map m
              WHERE m.new_table = 'assessment_scores' AND m.new_id = s.id AND m.outcome = 'migrated')
ORDER BY s.assessment_id, s.created_at, s.id
