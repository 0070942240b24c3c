-- The fields of each aggregate's table row that its event stream must replay to.
SELECT 'assessment' AS aggregate_type, id AS aggregate_id,
       jsonb_build_object('status', status, 'assessment_type', assessment_type) AS stored
FROM assessments
UNION ALL
SELECT 'growth_lever', id, jsonb_build_object('status', status, 'levers', to_jsonb(levers))
FROM growth_levers
UNION ALL
SELECT 'simulation', id, jsonb_build_object('status', status)
FROM simulations
