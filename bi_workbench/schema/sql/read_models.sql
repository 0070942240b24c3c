-- Read models. The seed's versions LEFT JOIN five one-to-many tables and then
-- aggregate, so every count and average is multiplied by the rows of the other
-- tables (an organization's average score weighted by its members' activity).
-- Here each table is aggregated on its own, per user, in a LATERAL subquery that
-- always returns one row: the numbers are right, and a lookup of one user or
-- organization touches only that user's rows through their indexes.

-- security_invoker: the views read tenant tables with the caller's rights, so
-- row-level security applies to analysts (CREATE OR REPLACE would otherwise
-- reset it to the owner's rights).
CREATE OR REPLACE VIEW user_dashboard_summary WITH (security_invoker = true) AS
SELECT
    u.id AS user_id,
    u.email,
    u.first_name,
    u.last_name,
    u.company,
    u.industry,
    s.plan,
    s.status AS subscription_status,
    a.total_assessments,
    sc.avg_assessment_score,
    gl.total_growth_levers,
    sim.total_simulations,
    a.last_assessment_date,
    ae.last_activity_date
FROM users u
LEFT JOIN subscriptions s ON s.user_id = u.id
CROSS JOIN LATERAL (
    SELECT count(*) AS total_assessments, max(created_at) AS last_assessment_date
    FROM assessments WHERE user_id = u.id
) a
CROSS JOIN LATERAL (
    SELECT avg(x.overall_score) AS avg_assessment_score
    FROM assessment_scores x JOIN assessments y ON y.id = x.assessment_id
    WHERE y.user_id = u.id
) sc
CROSS JOIN LATERAL (SELECT count(*) AS total_growth_levers FROM growth_levers WHERE user_id = u.id) gl
CROSS JOIN LATERAL (SELECT count(*) AS total_simulations FROM simulations WHERE user_id = u.id) sim
CROSS JOIN LATERAL (SELECT max(created_at) AS last_activity_date FROM analytics_events WHERE user_id = u.id) ae;

CREATE OR REPLACE VIEW organization_analytics WITH (security_invoker = true) AS
SELECT
    o.id AS organization_id,
    o.name AS organization_name,
    m.member_count,
    a.total_assessments,
    sc.avg_assessment_score,
    gl.total_growth_levers,
    sim.total_simulations,
    a.last_assessment_date,
    ae.last_activity_date
FROM organizations o
CROSS JOIN LATERAL (
    SELECT count(DISTINCT user_id) AS member_count FROM organization_members WHERE organization_id = o.id
) m
CROSS JOIN LATERAL (
    SELECT count(*) AS total_assessments, max(x.created_at) AS last_assessment_date
    FROM assessments x
    WHERE x.user_id IN (SELECT user_id FROM organization_members WHERE organization_id = o.id)
) a
CROSS JOIN LATERAL (
    SELECT avg(x.overall_score) AS avg_assessment_score
    FROM assessment_scores x JOIN assessments y ON y.id = x.assessment_id
    WHERE y.user_id IN (SELECT user_id FROM organization_members WHERE organization_id = o.id)
) sc
CROSS JOIN LATERAL (
    SELECT count(*) AS total_growth_levers FROM growth_levers
    WHERE user_id IN (SELECT user_id FROM organization_members WHERE organization_id = o.id)
) gl
CROSS JOIN LATERAL (
    SELECT count(*) AS total_simulations FROM simulations
    WHERE user_id IN (SELECT user_id FROM organization_members WHERE organization_id = o.id)
) sim
CROSS JOIN LATERAL (
    SELECT max(created_at) AS last_activity_date FROM analytics_events
    WHERE user_id IN (SELECT user_id FROM organization_members WHERE organization_id = o.id)
) ae;

-- The seed's version grouped by an ambiguous created_at; this one buckets by
-- the assessment's creation month in UTC (so the buckets do not move with the
-- session's TimeZone) and counts assessments, not joined score rows.
CREATE MATERIALIZED VIEW IF NOT EXISTS assessment_analytics_summary AS
SELECT
    a.assessment_type,
    count(DISTINCT a.id) AS total_assessments,
    avg(s.overall_score) AS avg_score,
    count(*) FILTER (WHERE s.overall_score >= 4.0) AS high_performers,
    count(*) FILTER (WHERE s.overall_score < 2.0) AS low_performers,
    avg(s.confidence_score) AS avg_confidence,
    date_trunc('month', a.created_at AT TIME ZONE 'UTC') AS month
FROM assessments a
JOIN assessment_scores s ON s.assessment_id = a.id
GROUP BY a.assessment_type, date_trunc('month', a.created_at AT TIME ZONE 'UTC');

-- REFRESH ... CONCURRENTLY needs a unique index over all rows; NULLS NOT
-- DISTINCT (PostgreSQL 15+) covers assessments without a creation time.
CREATE UNIQUE INDEX IF NOT EXISTS ux_assessment_analytics_summary_type_month
    ON assessment_analytics_summary (assessment_type, month) NULLS NOT DISTINCT;

-- Refreshes the materialized read models without blocking readers. The seed's
-- version also refreshed user_dashboard_summary, which is a plain view, and
-- scheduled itself with pg_cron, which a stock server lacks: the workbench's
-- `db refresh` command (or any scheduler) calls this instead.
CREATE OR REPLACE FUNCTION refresh_analytics_views()
RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY assessment_analytics_summary;
END
$fn$;
