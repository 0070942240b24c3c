-- The seed's user_dashboard_summary (data-architecture.md, 3.1), created only
-- inside the benchmark's transaction (and rolled back) as the baseline that
-- ours is measured against: it joins five one-to-many tables, then groups.
CREATE TEMPORARY VIEW seed_user_dashboard_summary AS
SELECT u.id as user_id, u.email, u.first_name, u.last_name, u.company, u.industry,
    s.plan, s.status as subscription_status,
    COUNT(DISTINCT a.id) as total_assessments, AVG(as2.overall_score) as avg_assessment_score,
    COUNT(DISTINCT gl.id) as total_growth_levers, COUNT(DISTINCT sim.id) as total_simulations,
    MAX(a.created_at) as last_assessment_date, MAX(ae.created_at) as last_activity_date
FROM users u
LEFT JOIN subscriptions s ON u.id = s.user_id
LEFT JOIN assessments a ON u.id = a.user_id
LEFT JOIN assessment_scores as2 ON a.id = as2.assessment_id
LEFT JOIN growth_levers gl ON u.id = gl.user_id
LEFT JOIN simulations sim ON u.id = sim.user_id
LEFT JOIN analytics_events ae ON u.id = ae.user_id
GROUP BY u.id, u.email, u.first_name, u.last_name, u.company, u.industry, s.plan, s.status;
