-- The seed's three data migration functions (shared/seed/data-architecture.md, section 4,
-- phases 1-3), copied as the seed wrote them; nothing needed adapting to load. The tests
-- run them on the same legacy rows as bi_workbench's migration to show how they fail or
-- lose rows (tests/legacy/test_migrate.py, "The seed's migration functions").

CREATE OR REPLACE FUNCTION migrate_user_data()
RETURNS void AS $$
BEGIN
    -- Migrate tier2_users to users
    INSERT INTO users (
        id, email, first_name, last_name, phone, title, company,
        company_size, revenue_range, industry, timezone, linkedin_url,
        profile_pic_url, agreed_terms, agreed_marketing, role, created_at, updated_at
    )
    SELECT 
        u_id, email, first_name, last_name, phone, title, company,
        company_size, revenue_range, industry, timezone, linkedin_url,
        profile_pic_url, agreed_terms, agreed_marketing, role, created_at, NOW()
    FROM tier2_users
    ON CONFLICT (email) DO NOTHING;
    
    -- Log migration event
    INSERT INTO events (aggregate_id, aggregate_type, event_type, event_data, version)
    VALUES (gen_random_uuid(), 'migration', 'user_migration_completed', 
            jsonb_build_object('migrated_count', (SELECT COUNT(*) FROM tier2_users)), 1);
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION migrate_assessments()
RETURNS void AS $$
BEGIN
    -- Migrate onboarding_assessments
    INSERT INTO assessments (
        id, user_id, assessment_type, responses, metadata, status, completed_at, created_at
    )
    SELECT 
        o_id, u_id, 'onboarding', 
        jsonb_build_object(
            'growth_metrics', growth_metrics,
            'gtm_strategy', gtm_strategy,
            'differentiator', differentiator,
            'brand_perception', brand_perception,
            'tech_stack', tech_stack,
            'process_discipline', process_discipline,
            'acquisition_channels', acquisition_channels,
            'retention_strategy', retention_strategy,
            'decision_bottlenecks', decision_bottlenecks,
            'future_success', future_success,
            'benchmark_preferences', benchmark_preferences,
            'unresolved_issue', unresolved_issue,
            'business_priorities', business_priorities,
            'business_overview', business_overview,
            'tech_maturity', tech_maturity,
            'team_alignment', team_alignment,
            'funding_status', funding_status,
            'growth_pace', growth_pace,
            'final_confirmation', final_confirmation,
            'strategy_decision_method', strategy_decision_method,
            'friction_points', friction_points
        ),
        jsonb_build_object('source', 'onboarding_assessments'),
        'completed',
        created_at,
        created_at
    FROM onboarding_assessments;
    
    -- Migrate scoring data
    INSERT INTO assessment_scores (
        assessment_id, overall_score, bracket, category_scores, recommendations, next_steps, ai_insights, confidence_score
    )
    SELECT 
        a.id,
        asr.score,
        asr.bracket,
        asr.category_scores,
        asr.recommendations,
        asr.next_steps,
        asr.ai_insights,
        asr.confidence
    FROM assessment_scoring_results asr
    JOIN assessments a ON asr.user_id = a.user_id AND a.assessment_type = 'onboarding';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION migrate_intelligence_data()
RETURNS void AS $$
BEGIN
    -- Migrate enhanced_market_insights
    INSERT INTO market_insights (
        user_id, industry, market_size, growth_rate, competition, 
        sentiment, full_insight, data_sources, confidence_score, 
        ai_model_version, created_at
    )
    SELECT 
        u_id, industry, market_size, growth_rate, competition,
        sentiment, full_insight, data_sources, confidence_score,
        ai_model_version, created_at
    FROM enhanced_market_insights;
    
    -- Migrate realtime_business_trends
    INSERT INTO business_trends (title, insight, industry, source, created_at)
    SELECT title, insight, industry, source, createdat
    FROM realtime_business_trends;
    
    -- Migrate realtime_marketing_playbook
    INSERT INTO engagement_intelligence (
        signal_score, engagement_metrics, recommendations, insights, source, created_at
    )
    SELECT 
        75.0, -- Default signal score
        jsonb_build_object('playbook_insight', insight),
        ARRAY['Review marketing playbook insights'],
        insight,
        source,
        createdat
    FROM realtime_marketing_playbook;
END;
$$ LANGUAGE plpgsql;
