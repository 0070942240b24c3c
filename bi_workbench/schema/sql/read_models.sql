-- Read models: the two dashboard views and assessment_analytics_summary are
-- generated from the metrics layer's definitions (bi_workbench/metrics/read_models.py:
-- latest score per assessment, the ownership rule, one LATERAL aggregate per table
-- so nothing multiplies); revisions 0002 and 0007 create them from there. This file
-- keeps what is not a query: the refresh function.

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
