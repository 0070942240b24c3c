-- Phase 2, step 1: onboarding_assessments -> assessments (assessment_type 'onboarding').
--
-- An assessment whose user is not a user was quarantined before, as an orphan
-- (bi_workbench/legacy/books.py, `orphans`); every row read names a mapped user.
-- * id = o_id (the legacy UUID is reused); user_id = the user the legacy u_id maps to,
--   so the assessments of a merged duplicate are re-pointed to the surviving user;
-- * responses exactly as the seed's jsonb_build_object (every answer as typed, JSON null
--   for NULL; friction_points as the JSON array it is);
-- * metadata {source, legacy_id, legacy_user_id}: the legacy row stays traceable, and
--   so does the legacy user it belonged to when that user was merged;
-- * status 'completed', completed_at = created_at = updated_at = created_at AT TIME ZONE
--   'UTC' (naive UTC); a NULL created_at stays NULL;
-- * values the new schema, its indexes or pandas cannot carry (bi_workbench/legacy/carry.py:
--   created_at outside 1678-2261, friction_points nested deeper than 64 levels) are carried
--   as NULL, and a JSON null friction_points as NULL; the legacy_id_map entry then keeps the
--   whole legacy row and names the columns set aside in its reason.
-- The legacy_id_map entry notes a re-pointed user; the entries, the insert and the counts are
-- written by bi_workbench/legacy/books.py.
SELECT p.o_id AS legacy_key,
       p.o_id AS id,
       um.new_id AS user_id,
       'onboarding' AS assessment_type,
       jsonb_build_object(
           'growth_metrics', p.growth_metrics,
           'gtm_strategy', p.gtm_strategy,
           'differentiator', p.differentiator,
           'brand_perception', p.brand_perception,
           'tech_stack', p.tech_stack,
           'process_discipline', p.process_discipline,
           'acquisition_channels', p.acquisition_channels,
           'retention_strategy', p.retention_strategy,
           'decision_bottlenecks', p.decision_bottlenecks,
           'future_success', p.future_success,
           'benchmark_preferences', p.benchmark_preferences,
           'unresolved_issue', p.unresolved_issue,
           'business_priorities', p.business_priorities,
           'business_overview', p.business_overview,
           'tech_maturity', p.tech_maturity,
           'team_alignment', p.team_alignment,
           'funding_status', p.funding_status,
           'growth_pace', p.growth_pace,
           'final_confirmation', p.final_confirmation,
           'strategy_decision_method', p.strategy_decision_method,
           'friction_points', p.friction_points
       ) AS responses,
       jsonb_build_object('source', 'onboarding_assessments',
                          'legacy_id', p.o_id::text,
                          'legacy_user_id', p.u_id::text) AS metadata,
       'completed' AS status,
       p.created_at AT TIME ZONE 'UTC' AS completed_at,
       p.created_at AT TIME ZONE 'UTC' AS created_at,
       p.created_at AT TIME ZONE 'UTC' AS updated_at,
       CASE WHEN um.new_id <> p.u_id THEN 'user merged: re-pointed to the surviving user' END AS note
FROM carried_onboarding_assessments p
JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = p.u_id::text
