-- Fresh planner statistics for the tables the migration reads and writes. Rows written
-- earlier in the same transaction count, so the steps after a large INSERT join by
-- index and hash, not by nested scans planned for empty tables. ANALYZE samples a
-- bounded number of rows, so this stays cheap on large tables.
ANALYZE tier2_users, onboarding_assessments, assessment_scoring_results,
        enhanced_market_insights, realtime_business_trends, realtime_marketing_playbook,
        legacy_id_map, migration_quarantine,
        users, assessments, assessment_scores, market_insights, business_trends, engagement_intelligence;
