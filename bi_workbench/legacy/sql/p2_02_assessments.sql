-- Phase 2, step 2: onboarding_assessments -> assessments (assessment_type 'onboarding').
--
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
WITH pending AS (
    SELECT o.*, um.new_id AS user_id_new
    FROM carried_onboarding_assessments o
    JOIN legacy_id_map um ON um.legacy_table = 'tier2_users' AND um.legacy_id = o.u_id::text
    WHERE NOT EXISTS (SELECT 1 FROM legacy_id_map m
                      WHERE m.legacy_table = 'onboarding_assessments' AND m.legacy_id = o.o_id::text)
      AND NOT EXISTS (SELECT 1 FROM migration_quarantine q
                      WHERE q.legacy_table = 'onboarding_assessments' AND q.legacy_id = o.o_id::text)
),
inserted AS (
    INSERT INTO assessments (
        id, user_id, assessment_type, responses, metadata, status, completed_at, created_at, updated_at
    )
    SELECT p.o_id, p.user_id_new, 'onboarding',
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
           ),
           jsonb_build_object('source', 'onboarding_assessments',
                              'legacy_id', p.o_id::text,
                              'legacy_user_id', p.u_id::text),
           'completed',
           p.created_at AT TIME ZONE 'UTC',
           p.created_at AT TIME ZONE 'UTC',
           p.created_at AT TIME ZONE 'UTC'
    FROM pending p
    RETURNING id, user_id, (metadata->>'legacy_user_id')::uuid AS legacy_user_id
),
mapped AS (
    INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome, reason, legacy_row)
    SELECT 'onboarding_assessments', i.id::text, 'assessments', i.id, 'migrated',
           nullif(concat_ws('; ',
                            CASE WHEN i.user_id <> i.legacy_user_id THEN 'user merged: re-pointed to the surviving user' END,
                            p.unfit_reason), ''),
           CASE WHEN p.unfit_reason IS NOT NULL THEN p.legacy_row END
    FROM inserted i
    JOIN pending p ON p.o_id = i.id
    RETURNING 1
)
SELECT jsonb_build_object('assessments', (SELECT count(*) FROM inserted),
                          'legacy_id_map', (SELECT count(*) FROM mapped)) AS counts;
