-- The floor a migration cannot beat: reading every legacy row and writing it
-- once more, with no logic, into unindexed unlogged copies (dropped at the end
-- of the benchmark's transaction).
CREATE UNLOGGED TABLE bench_tier2_users AS SELECT * FROM tier2_users;
CREATE UNLOGGED TABLE bench_onboarding_assessments AS SELECT * FROM onboarding_assessments;
CREATE UNLOGGED TABLE bench_assessment_scoring_results AS SELECT * FROM assessment_scoring_results;
CREATE UNLOGGED TABLE bench_enhanced_market_insights AS SELECT * FROM enhanced_market_insights;
CREATE UNLOGGED TABLE bench_realtime_business_trends AS SELECT * FROM realtime_business_trends;
CREATE UNLOGGED TABLE bench_realtime_marketing_playbook AS SELECT * FROM realtime_marketing_playbook;
