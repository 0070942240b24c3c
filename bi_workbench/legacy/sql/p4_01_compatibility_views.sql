-- Phase 4: compatibility views for code that still reads the legacy tables (seed 4.4).
--
-- Columns, names and order as in the seed, with two DEVIATIONs that make the views
-- return what the legacy tables returned (so the checks can diff them row by row):
-- * created_at / updated_at come back as the legacy naive UTC timestamps
--   (AT TIME ZONE 'UTC'), not as timestamptz rendered in the session's time zone;
-- * friction_points is SQL NULL where the legacy column was NULL: responses holds a
--   JSON null there, which the seed's responses->'friction_points' returned as 'null'.
-- Values the migration transformed show transformed (documented in the phase 1 and
-- phase 2 steps): trimmed email, '' for a missing name, the surviving user's id as
-- u_id for an assessment of a merged duplicate.
CREATE OR REPLACE VIEW tier2_users_compat AS
SELECT
    id AS u_id,
    email,
    first_name,
    last_name,
    phone,
    title,
    company,
    company_size,
    revenue_range,
    industry,
    timezone,
    linkedin_url,
    profile_pic_url,
    agreed_terms,
    agreed_marketing,
    role,
    created_at AT TIME ZONE 'UTC' AS created_at,
    updated_at AT TIME ZONE 'UTC' AS updated_at
FROM users;

CREATE OR REPLACE VIEW onboarding_assessments_compat AS
SELECT
    id AS o_id,
    user_id AS u_id,
    responses->>'growth_metrics' AS growth_metrics,
    responses->>'gtm_strategy' AS gtm_strategy,
    responses->>'differentiator' AS differentiator,
    responses->>'brand_perception' AS brand_perception,
    responses->>'tech_stack' AS tech_stack,
    responses->>'process_discipline' AS process_discipline,
    responses->>'acquisition_channels' AS acquisition_channels,
    responses->>'retention_strategy' AS retention_strategy,
    responses->>'decision_bottlenecks' AS decision_bottlenecks,
    responses->>'future_success' AS future_success,
    responses->>'benchmark_preferences' AS benchmark_preferences,
    responses->>'unresolved_issue' AS unresolved_issue,
    responses->>'business_priorities' AS business_priorities,
    responses->>'business_overview' AS business_overview,
    responses->>'tech_maturity' AS tech_maturity,
    responses->>'team_alignment' AS team_alignment,
    responses->>'funding_status' AS funding_status,
    responses->>'growth_pace' AS growth_pace,
    responses->>'final_confirmation' AS final_confirmation,
    responses->>'strategy_decision_method' AS strategy_decision_method,
    NULLIF(responses->'friction_points', 'null'::jsonb) AS friction_points,
    created_at AT TIME ZONE 'UTC' AS created_at
FROM assessments
WHERE assessment_type = 'onboarding';
