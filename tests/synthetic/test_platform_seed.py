"""seed_platform: counts, determinism and the platform's invariants, on the real schema."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from bi_workbench.schema import tables
from bi_workbench.synthetic import PLATFORM_TABLES, REFERENCE_DATE, SyntheticDataError, seed_legacy, seed_platform
from bi_workbench.synthetic.bulk import copy_columns

from .conftest import ALL_TABLES, checksums, migrate_users, restart_sequences, seed_all

#: Expected rows per table at small scale (inclusive ranges).
SMALL_COUNTS = {
    "organizations": (20, 50), "organization_members": (120, 300), "subscriptions": (200, 290),
    "assessment_invitations": (30, 150), "growth_levers": (150, 450), "growth_progress": (300, 2000),
    "simulations": (80, 350), "events": (400, 2000), "snapshots": (50, 300), "user_sessions": (400, 1200),
    "analytics_events": (2000, 5000), "dashboard_widgets": (300, 1200), "notifications": (1000, 2000),
    "team_messages": (200, 1500), "email_subscriptions": (500, 1000), "news_feed": (40, 40),
}
def scalar(engine, query: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(query), params).scalar()


def test_row_counts_of_small(schema_database):
    with schema_database.begin() as conn:
        seed_legacy(conn, "small", 42, progress=False)
        migrate_users(conn)
        written = seed_platform(conn, "small", 42, progress=False)
    assert list(written) == [t.name for t in PLATFORM_TABLES]
    for table, (low, high) in SMALL_COUNTS.items():
        assert low <= written[table] <= high, (table, written[table])
        assert scalar(schema_database, f"SELECT count(*) FROM {table}") == written[table]
    assert scalar(schema_database, "SELECT count(*) FROM business_trends") == 0  # migrated, never generated


def test_same_seed_same_database_other_seed_other_database(schema_database):
    runs = []
    for seed in (42, 42, 7):
        with schema_database.connect() as conn:
            with conn.begin() as transaction:
                restart_sequences(conn)
                seed_all(conn, seed)
                runs.append(checksums(conn, ALL_TABLES))
                transaction.rollback()
    assert runs[0] == runs[1]
    assert all(runs[0][t] != runs[2][t] for t in runs[0])


def test_refuses_tables_that_hold_rows(platform_database):
    with platform_database.begin() as conn, pytest.raises(SyntheticDataError, match="already hold rows"):
        seed_platform(conn, "small", 42, progress=False)


def test_event_versions_are_contiguous_and_snapshots_name_existing_versions(platform_database):
    gaps = """SELECT count(*) FROM (SELECT aggregate_id, aggregate_type FROM events GROUP BY 1, 2
              HAVING min(version) <> 1 OR max(version) <> count(*) OR count(DISTINCT version) <> count(*)) g"""
    assert scalar(platform_database, gaps) == 0
    backwards = """SELECT count(*) FROM events a JOIN events b USING (aggregate_id, aggregate_type)
                   WHERE b.version = a.version + 1 AND (b.created_at < a.created_at OR b.position < a.position)"""
    assert scalar(platform_database, backwards) == 0
    out_of_time = """SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY position) AS back
                     FROM events) e WHERE back"""
    assert scalar(platform_database, out_of_time) == 0
    assert scalar(platform_database, "SELECT count(DISTINCT aggregate_type) FROM events") == 2  # no assessments here
    orphan_snapshots = """SELECT count(*) FROM snapshots s WHERE NOT EXISTS (SELECT 1 FROM events e
        WHERE (e.aggregate_id, e.aggregate_type, e.version) = (s.aggregate_id, s.aggregate_type, s.version))"""
    assert scalar(platform_database, orphan_snapshots) == 0
    lever_streams = """SELECT count(*) FROM growth_levers g WHERE NOT EXISTS (SELECT 1 FROM events e
        WHERE e.aggregate_id = g.id AND e.aggregate_type = 'growth_lever' AND e.version = 1
          AND e.event_type = 'lever_suggested')"""
    assert scalar(platform_database, lever_streams) == 0


def test_read_times_follow_creation(platform_database):
    for table in ("notifications", "team_messages"):
        assert scalar(platform_database, f"SELECT count(*) FROM {table} WHERE read_at < created_at") == 0
        assert scalar(platform_database, f"SELECT count(*) FROM {table} WHERE is_read <> (read_at IS NOT NULL)") == 0
        assert scalar(platform_database, f"SELECT count(*) FROM {table} WHERE is_read") >= 1


def test_memberships_messages_and_subscriptions_respect_their_organizations(platform_database):
    assert scalar(platform_database, """SELECT count(*) FROM organizations o WHERE NOT EXISTS (
        SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.user_id = o.owner_id
        AND m.role = 'owner')""") == 0
    assert scalar(platform_database, "SELECT count(DISTINCT role) FROM organization_members") == 4
    outsiders = """SELECT count(*) FROM team_messages t WHERE NOT EXISTS (SELECT 1 FROM organization_members m
        WHERE m.organization_id = t.organization_id AND m.user_id = t.sender_id)
        OR (t.recipient_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM organization_members m
        WHERE m.organization_id = t.organization_id AND m.user_id = t.recipient_id))"""
    assert scalar(platform_database, outsiders) == 0
    assert scalar(platform_database, "SELECT count(*) FROM team_messages WHERE sender_id = recipient_id") == 0
    assert scalar(platform_database, "SELECT count(*) - count(DISTINCT user_id) FROM subscriptions") == 0
    free = "SELECT count(*) FROM subscriptions WHERE (plan = 'free') <> (billing_cycle IS NULL)"
    assert scalar(platform_database, free) == 0


def test_analytics_events_sit_in_monthly_partitions_inside_their_sessions(platform_database):
    assert scalar(platform_database, """SELECT count(*) FROM analytics_events e LEFT JOIN user_sessions s
        ON s.id = e.session_id WHERE s.id IS NULL OR s.user_id <> e.user_id OR e.created_at < s.started_at
        OR e.created_at > coalesce(s.ended_at, :reference)""", reference=REFERENCE_DATE) == 0
    assert scalar(platform_database, """SELECT count(*) FROM analytics_events e
        WHERE tableoid::regclass::text NOT LIKE 'analytics_events_20%'""") == 0
    assert scalar(platform_database, "SELECT count(DISTINCT tableoid) FROM analytics_events") >= 30
    signups = "SELECT count(*) - count(DISTINCT user_id) FROM analytics_events WHERE event_type = 'signup'"
    assert scalar(platform_database, signups) == 0
    assert scalar(platform_database, "SELECT count(DISTINCT event_type) FROM analytics_events") >= 8
    assert scalar(platform_database, "SELECT count(DISTINCT source) FROM analytics_events") == 3


def test_activity_has_weekly_seasonality_and_grows(platform_database):
    weekday, weekend = scalar(platform_database, """SELECT array[
        count(*) FILTER (WHERE extract(isodow FROM created_at) < 6) / 5.0,
        count(*) FILTER (WHERE extract(isodow FROM created_at) >= 6) / 2.0]::float8[] FROM analytics_events""")
    assert weekend < 0.75 * weekday
    first_year, last_year = scalar(platform_database, """SELECT array[
        count(*) FILTER (WHERE created_at < :reference - interval '2 years'),
        count(*) FILTER (WHERE created_at >= :reference - interval '1 year')] FROM analytics_events""",
                                   reference=REFERENCE_DATE)
    assert last_year > 1.5 * first_year


def test_nothing_is_dated_after_the_reference_date(platform_database):
    for table in PLATFORM_TABLES:
        for column in table.c:
            if column.name.endswith("_at") and column.name != "expires_at":  # pending invitations expire later
                late = scalar(platform_database, f"SELECT count(*) FROM {table.name} WHERE {column.name} > :reference",
                              reference=REFERENCE_DATE)
                assert late == 0, (table.name, column.name)


def test_lever_and_progress_values_stay_on_their_scales(platform_database):
    assert scalar(platform_database, """SELECT count(*) FROM growth_levers WHERE NOT levers <@ ARRAY[
        'referral_program','pricing_optimization','content_marketing','sales_enablement',
        'onboarding_improvement','churn_reduction','partnerships','paid_acquisition']""") == 0
    assert scalar(platform_database, "SELECT count(DISTINCT status) FROM growth_levers") == 5
    assert scalar(platform_database, """SELECT count(*) FROM growth_progress
        WHERE (status = 'completed') <> (completed_at IS NOT NULL)
           OR (status = 'completed' AND progress_percentage <> 100)""") == 0
    running = "SELECT count(*) FROM simulations WHERE (status = 'running') <> (completed_at IS NULL)"
    assert scalar(platform_database, running) == 0
    assert scalar(platform_database, "SELECT min(relevance_score) >= 0 AND max(relevance_score) <= 1 FROM news_feed")


def test_assessments_already_migrated_get_event_streams(schema_database):
    scored, unscored, streamed = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
    with schema_database.begin() as conn:
        seed_legacy(conn, "small", 42, progress=False)
        migrate_users(conn)
        user = conn.execute(sa.text("SELECT id FROM users ORDER BY id LIMIT 1")).scalar()
        for assessment in (scored, unscored, streamed):
            conn.execute(sa.text("""INSERT INTO assessments (id, user_id, assessment_type, created_at)
                                    VALUES (:id, :user, 'onboarding', '2025-01-01T00:00:00Z')"""),
                         {"id": assessment, "user": user})
        for when, score in (("2025-01-02T00:00:00Z", 3.1), ("2025-02-01T00:00:00Z", 3.6)):
            conn.execute(sa.text("""INSERT INTO assessment_scores (assessment_id, overall_score, bracket, created_at)
                                    VALUES (:id, :score, 'scaling', :when)"""),
                         {"id": scored, "score": score, "when": when})
        conn.execute(sa.text("""INSERT INTO events (aggregate_id, aggregate_type, event_type, event_data, version)
                                VALUES (:id, 'assessment', 'assessment_migrated', '{}', 1)"""), {"id": streamed})
        seed_platform(conn, "small", 42, progress=False)
        rows = conn.execute(sa.text("""SELECT aggregate_id, version, event_type, event_data->>'overall_score' AS score
                                       FROM events WHERE aggregate_type = 'assessment' ORDER BY 1, 2""")).all()
    assert [(r.aggregate_id, r.version, r.event_type, r.score) for r in rows] == [
        (scored, 1, "assessment_created", None), (scored, 2, "assessment_scored", "3.1"),
        (scored, 3, "assessment_scored", "3.6"), (unscored, 1, "assessment_created", None),
        (streamed, 1, "assessment_migrated", None),
    ]


@pytest.mark.parametrize("missing", ["id", "created_at"])
def test_ids_and_timestamps_never_come_from_database_defaults(schema_database, missing):
    batch = {"id": ["00000000-0000-4000-8000-000000000001"], "title": ["t"], "created_at": ["2026-01-01T00:00:00+00"]}
    del batch[missing]
    with schema_database.begin() as conn, pytest.raises(SyntheticDataError, match=missing):
        copy_columns(conn, tables.news_feed, batch, progress=False)


def test_platform_data_on_top_of_the_real_migration(schema_database):
    """The intended pipeline: legacy data, the migration's phases, then the platform tables."""
    migration = pytest.importorskip("bi_workbench.legacy.migrate")
    with schema_database.begin() as conn:
        seed_legacy(conn, "small", 42, progress=False)
    migration.migrate(schema_database)
    with schema_database.begin() as conn:
        written = seed_platform(conn, "small", 42, progress=False)
    assert all(low <= written[table] <= high for table, (low, high) in SMALL_COUNTS.items()), written
    unstreamed = """SELECT count(*) FROM assessments a WHERE NOT EXISTS (SELECT 1 FROM events e
        WHERE e.aggregate_id = a.id AND e.aggregate_type = 'assessment' AND e.version = 1)"""
    assert scalar(schema_database, unstreamed) == 0
    scored = "SELECT count(*) FROM events WHERE event_type = 'assessment_scored'"
    assert scalar(schema_database, scored) == scalar(schema_database, "SELECT count(*) FROM assessment_scores") > 0
    gaps = """SELECT count(*) FROM (SELECT 1 FROM events GROUP BY aggregate_id, aggregate_type
              HAVING max(version) <> count(*)) g"""
    assert scalar(schema_database, gaps) == 0
