-- Carried values, onboarding_assessments -> assessments (outcome 'migrated'), per column:
-- rows and checksums on each side, legacy side after the phase 2 rules (user through
-- legacy_id_map, responses as the seed built them, timestamps naive UTC).
-- Legacy rows are read in their carried form (carried_<table>, bi_workbench/legacy/carry.py):
-- a value set aside is NULL, and the migrated row's legacy_id_map entry must keep the whole
-- legacy row ('legacy_row kept').
WITH legacy AS (
    SELECT m.legacy_id,
           CASE WHEN l.unfit_reason IS NOT NULL THEN l.legacy_row::text END AS kept_row,
           um.new_id::text AS user_id,
           'onboarding' AS assessment_type,
           jsonb_build_object(
               'growth_metrics', l.growth_metrics,
               'gtm_strategy', l.gtm_strategy,
               'differentiator', l.differentiator,
               'brand_perception', l.brand_perception,
               'tech_stack', l.tech_stack,
               'process_discipline', l.process_discipline,
               'acquisition_channels', l.acquisition_channels,
               'retention_strategy', l.retention_strategy,
               'decision_bottlenecks', l.decision_bottlenecks,
               'future_success', l.future_success,
               'benchmark_preferences', l.benchmark_preferences,
               'unresolved_issue', l.unresolved_issue,
               'business_priorities', l.business_priorities,
               'business_overview', l.business_overview,
               'tech_maturity', l.tech_maturity,
               'team_alignment', l.team_alignment,
               'funding_status', l.funding_status,
               'growth_pace', l.growth_pace,
               'final_confirmation', l.final_confirmation,
               'strategy_decision_method', l.strategy_decision_method,
               'friction_points', l.friction_points
           )::text AS responses,
           jsonb_build_object('source', 'onboarding_assessments', 'legacy_id', l.o_id::text,
                              'legacy_user_id', l.u_id::text)::text AS metadata,
           'completed' AS status,
           (l.created_at AT TIME ZONE 'UTC')::text AS created_at,
           (l.created_at AT TIME ZONE 'UTC')::text AS completed_at,
           (l.created_at AT TIME ZONE 'UTC')::text AS updated_at
    FROM legacy_id_map m
    JOIN carried_onboarding_assessments l ON l.o_id::text = m.legacy_id
    LEFT JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = l.u_id::text
    WHERE m.legacy_table = 'onboarding_assessments' AND m.outcome = 'migrated'
)
-- `new` and `pairs` (the new table's side, column by column) are generated from these columns
-- (bi_workbench/legacy/values.py); values_summary.sql compares them.
