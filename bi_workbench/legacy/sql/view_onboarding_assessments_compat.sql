-- onboarding_assessments_compat against onboarding_assessments, row by row, for the
-- migrated legacy rows. The legacy side gets the documented phase 2 transformation:
-- u_id is the user the legacy u_id maps to (the survivor, for a merged duplicate).
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py).
WITH legacy AS (
    SELECT l.o_id, um.new_id AS u_id,
           l.growth_metrics, l.gtm_strategy, l.differentiator, l.brand_perception, l.tech_stack,
           l.process_discipline, l.acquisition_channels, l.retention_strategy, l.decision_bottlenecks,
           l.future_success, l.benchmark_preferences, l.unresolved_issue, l.business_priorities,
           l.business_overview, l.tech_maturity, l.team_alignment, l.funding_status, l.growth_pace,
           l.final_confirmation, l.strategy_decision_method, l.friction_points, l.created_at
    FROM carried_onboarding_assessments l
    JOIN legacy_id_map m ON m.legacy_table = 'onboarding_assessments' AND m.legacy_id = l.o_id::text
    LEFT JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = l.u_id::text
    WHERE m.outcome = 'migrated'
),
compat AS (
    SELECT v.o_id, v.u_id,
           v.growth_metrics, v.gtm_strategy, v.differentiator, v.brand_perception, v.tech_stack,
           v.process_discipline, v.acquisition_channels, v.retention_strategy, v.decision_bottlenecks,
           v.future_success, v.benchmark_preferences, v.unresolved_issue, v.business_priorities,
           v.business_overview, v.tech_maturity, v.team_alignment, v.funding_status, v.growth_pace,
           v.final_confirmation, v.strategy_decision_method, v.friction_points, v.created_at
    FROM onboarding_assessments_compat v
    JOIN legacy_id_map m ON m.legacy_table = 'onboarding_assessments' AND m.legacy_id = v.o_id::text
    WHERE m.outcome = 'migrated'
),
only_in_legacy AS (
    SELECT * FROM legacy EXCEPT ALL SELECT * FROM compat
),
only_in_view AS (
    SELECT * FROM compat EXCEPT ALL SELECT * FROM legacy
)
SELECT (SELECT count(*) FROM legacy) AS legacy_rows,
       (SELECT count(*) FROM compat) AS view_rows,
       (SELECT count(*) FROM only_in_legacy) AS only_in_legacy,
       (SELECT count(*) FROM only_in_view) AS only_in_view,
       (SELECT (array_agg(o_id::text ORDER BY o_id))[1:5]
        FROM (SELECT o_id FROM only_in_legacy UNION SELECT o_id FROM only_in_view) d) AS examples;
