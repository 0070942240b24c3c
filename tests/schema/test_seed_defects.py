"""Each schema defect of the seed (DESIGN.md), shown failing on the seed's SQL and fixed in ours."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from bi_workbench.schema import tables as t
from bi_workbench.schema.drift import index_findings

FRAGMENTS = Path(__file__).with_name("seed_fragments.sql").read_text()

SEED_AUDIT_LOG = """
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY, table_name TEXT NOT NULL, operation TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
) PARTITION BY RANGE (created_at)"""

SEED_ANALYTICS_SUMMARY = """
CREATE MATERIALIZED VIEW seed_assessment_analytics_summary AS
SELECT assessment_type, COUNT(*) as total_assessments, AVG(overall_score) as avg_score,
    COUNT(CASE WHEN overall_score >= 4.0 THEN 1 END) as high_performers,
    COUNT(CASE WHEN overall_score < 2.0 THEN 1 END) as low_performers,
    AVG(confidence_score) as avg_confidence, DATE_TRUNC('month', created_at) as month
FROM assessments a JOIN assessment_scores as2 ON a.id = as2.assessment_id
GROUP BY assessment_type, DATE_TRUNC('month', created_at)"""

SEED_REFRESH = """
CREATE OR REPLACE FUNCTION seed_refresh_analytics_views() RETURNS void AS $$
BEGIN
  REFRESH MATERIALIZED VIEW assessment_analytics_summary;
  REFRESH MATERIALIZED VIEW user_dashboard_summary;
END;
$$ LANGUAGE plpgsql"""


def seed_organization_analytics() -> sa.Select:
    """The seed's organization_analytics view (data-architecture.md, 3.2) as a query over our tables.

    Members are joined to their assessments (and scores) and to three more
    one-to-many tables before grouping, so each score is counted once per
    combination of that member's levers, simulations and events.
    """
    org, members, scores = t.organizations, t.organization_members, t.assessment_scores
    fanned = (org.outerjoin(members, org.c.id == members.c.organization_id)
              .outerjoin(t.assessments, members.c.user_id == t.assessments.c.user_id)
              .outerjoin(scores, t.assessments.c.id == scores.c.assessment_id))
    for per_user in (t.growth_levers, t.simulations, t.analytics_events):
        fanned = fanned.outerjoin(per_user, members.c.user_id == per_user.c.user_id)
    return (sa.select(org.c.id.label("organization_id"),
                      sa.func.count(members.c.user_id.distinct()).label("member_count"),
                      sa.func.count(t.assessments.c.id.distinct()).label("total_assessments"),
                      sa.func.avg(scores.c.overall_score).label("avg_assessment_score"))
            .select_from(fanned).group_by(org.c.id, org.c.name))


@pytest.fixture
def seed_schema(empty_database):
    """A connection whose search_path is a scratch schema holding the seed's DDL excerpts."""
    with empty_database.connect() as conn:
        conn.execute(sa.text("CREATE SCHEMA seed; SET search_path TO seed, public"))
        conn.connection.driver_connection.execute(FRAGMENTS)
        yield conn


def _error(conn, sql: str) -> str:
    savepoint = conn.begin_nested()
    with pytest.raises(DBAPIError) as info:
        conn.execute(sa.text(sql))
    savepoint.rollback()
    return str(info.value.orig)


def test_audit_log_primary_key_must_include_the_partition_column(seed_schema, schema_database):
    assert "must include all partitioning columns" in _error(seed_schema, SEED_AUDIT_LOG)
    pk = sa.inspect(schema_database).get_pk_constraint("audit_log")
    assert pk["constrained_columns"] == ["id", "created_at"]


def test_alter_table_partition_by_does_not_exist_so_tables_are_created_partitioned(seed_schema, schema_database):
    assert "syntax error" in _error(seed_schema, "ALTER TABLE events PARTITION BY RANGE (created_at)")
    with schema_database.connect() as conn:
        keys = dict(conn.execute(sa.text(
            "SELECT partrelid::regclass::text, pg_get_partkeydef(partrelid) FROM pg_partitioned_table"
        )).all())
    assert keys == {"audit_log": "RANGE (created_at)", "analytics_events": "RANGE (created_at)"}


def test_the_seeds_analytics_summary_has_an_ambiguous_created_at(schema_database):
    with schema_database.connect() as conn:
        assert 'column reference "created_at" is ambiguous' in _error(conn, SEED_ANALYTICS_SUMMARY)
        conn.execute(sa.text("SELECT refresh_analytics_views()"))  # ours exists and refreshes concurrently


def test_the_seeds_refresh_function_refreshes_a_plain_view_and_ours_does_not(schema_database):
    with schema_database.connect() as conn:
        conn.execute(sa.text(SEED_REFRESH))
        error = _error(conn, "SELECT seed_refresh_analytics_views()")
        assert re.search(r'"user_dashboard_summary" is not a (table or )?materialized view', error)
        conn.execute(sa.text("SELECT refresh_analytics_views()"))


def test_pg_cron_is_not_available_and_nothing_of_ours_needs_it(schema_database):
    with schema_database.connect() as conn:
        assert 'schema "cron" does not exist' in _error(
            conn, "SELECT cron.schedule('refresh-analytics', '0 2 * * *', 'SELECT refresh_analytics_views();')"
        )
        depends_on_cron = conn.execute(sa.text(
            "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prosrc ILIKE '%cron.%'"
        )).scalar()
    assert depends_on_cron == 0


def test_events_enforce_one_event_per_aggregate_version(seed_schema, schema_database):
    duplicate = (
        "INSERT INTO events (aggregate_id, aggregate_type, event_type, event_data, version) VALUES "
        "('00000000-0000-0000-0000-000000000001', 'assessment', 'created', '{}', 1), "
        "('00000000-0000-0000-0000-000000000001', 'assessment', 'created', '{}', 1)"
    )
    seed_schema.execute(sa.text(duplicate))  # the seed accepts two version-1 events
    assert seed_schema.execute(sa.text("SELECT count(*) FROM events")).scalar() == 2
    with schema_database.begin() as conn, pytest.raises(IntegrityError, match="uq_events_aggregate_id_aggregate_type_version"):
        conn.execute(sa.text(duplicate))


def test_score_scales_are_enforced(seed_schema, schema_database):
    seed_schema.execute(sa.text("INSERT INTO assessment_scores (overall_score, confidence_score) VALUES (6, 1.5)"))
    for column, value, name in [
        ("overall_score", 6, "overall_score_range"),
        ("overall_score", -0.5, "overall_score_range"),
        ("confidence_score", 1.5, "confidence_score_range"),
    ]:
        with schema_database.begin() as conn, pytest.raises(IntegrityError, match=name):
            conn.execute(sa.text(f"INSERT INTO assessment_scores ({column}) VALUES (:v)"), {"v": value})
    for table, column in [("engagement_intelligence", "signal_score"), ("news_feed", "relevance_score"),
                          ("market_insights", "confidence_score")]:
        with schema_database.begin() as conn, pytest.raises(IntegrityError, match=f"{column}_range"):
            values = "'t', 1.01" if table == "news_feed" else ("'retail', 1.01" if table == "market_insights" else "1.01")
            cols = {"news_feed": "title, ", "market_insights": "industry, "}.get(table, "")
            conn.execute(sa.text(f"INSERT INTO {table} ({cols}{column}) VALUES ({values})"))


def test_redundant_boolean_and_missing_foreign_key_indexes(seed_schema, schema_database):
    seed = index_findings(seed_schema)
    assert {row[0] for row in seed["redundant_indexes"]} == {
        "idx_users_email", "idx_organizations_slug", "idx_org_members_org", "idx_user_sessions_token",
    }
    assert [row[0] for row in seed["boolean_indexes"]] == ["idx_user_sessions_active"]
    assert {row[0] for row in seed["unindexed_foreign_keys"]} >= {"assessments", "events"}
    with schema_database.connect() as conn:
        assert index_findings(conn) == {"redundant_indexes": [], "boolean_indexes": [], "unindexed_foreign_keys": []}


def _one_org_two_members(conn) -> None:
    """Two members scoring 1.0 (10 events) and 5.0 (1 event): DESIGN.md's example."""
    conn.execute(sa.text("""
        INSERT INTO users (id, email, first_name, last_name) VALUES
          ('00000000-0000-0000-0000-0000000000a1', 'busy@x.io', 'B', 'U'),
          ('00000000-0000-0000-0000-0000000000a2', 'calm@x.io', 'C', 'A');
        INSERT INTO organizations (id, name, slug) VALUES ('00000000-0000-0000-0000-0000000000b1', 'Org', 'org');
        INSERT INTO organization_members (organization_id, user_id, role)
          SELECT '00000000-0000-0000-0000-0000000000b1', id, 'member' FROM users;
        INSERT INTO assessments (id, user_id, assessment_type) VALUES
          ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', 'onboarding'),
          ('00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000a2', 'onboarding');
        INSERT INTO assessment_scores (assessment_id, overall_score) VALUES
          ('00000000-0000-0000-0000-0000000000c1', 1.0), ('00000000-0000-0000-0000-0000000000c2', 5.0);
        INSERT INTO analytics_events (user_id, event_type)
          SELECT '00000000-0000-0000-0000-0000000000a1', 'page_view' FROM generate_series(1, 10);
        INSERT INTO analytics_events (user_id, event_type) VALUES ('00000000-0000-0000-0000-0000000000a2', 'page_view');
        INSERT INTO growth_levers (user_id, levers) VALUES
          ('00000000-0000-0000-0000-0000000000a1', '{pricing}'), ('00000000-0000-0000-0000-0000000000a1', '{referral}');
    """))


def test_organization_analytics_averages_each_score_once(schema_database):
    with schema_database.begin() as conn:
        _one_org_two_members(conn)
        seed = conn.execute(seed_organization_analytics()).one().avg_assessment_score
        ours = conn.execute(sa.text(
            "SELECT round(avg_assessment_score, 2), member_count, total_assessments, total_growth_levers "
            "FROM organization_analytics"
        )).one()
    assert round(float(seed), 2) == 1.19  # weighted by the busy member's 10 events x 2 levers
    assert (float(ours[0]), ours[1], ours[2], ours[3]) == (3.0, 2, 2, 2)


def test_user_dashboard_summary_counts_each_row_once(schema_database):
    with schema_database.begin() as conn:
        _one_org_two_members(conn)
        row = conn.execute(sa.text(
            "SELECT total_assessments, avg_assessment_score, total_growth_levers, total_simulations, "
            "last_activity_date IS NOT NULL FROM user_dashboard_summary WHERE email = 'busy@x.io'"
        )).one()
    assert (row[0], float(row[1]), row[2], row[3], row[4]) == (1, 1.0, 2, 0, True)
