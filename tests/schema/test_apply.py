"""Applying the schema: idempotent, upgrades in place, all or nothing."""

import pytest
import sqlalchemy as sa

from bi_workbench.errors import SchemaApplyError, SchemaMissingError
from bi_workbench.schema import current_revision, head_revision, init_schema, metadata, require_schema
from bi_workbench.schema.drift import compare


def _relations(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r','p','v','m')"
        )).scalars())


def test_init_creates_every_table_of_the_model_and_nothing_drifts(empty_database):
    before, after = init_schema(empty_database)
    assert (before, after) == (None, head_revision())
    assert set(metadata.tables) <= _relations(empty_database)
    with empty_database.connect() as conn:
        assert compare(conn) == []


def test_the_model_has_the_seeds_23_tables():
    seed_tables = {
        "users", "organizations", "organization_members", "subscriptions", "assessments", "assessment_scores",
        "assessment_invitations", "market_insights", "business_trends", "engagement_intelligence", "news_feed",
        "growth_levers", "simulations", "growth_progress", "events", "snapshots", "audit_log", "dashboard_widgets",
        "analytics_events", "user_sessions", "notifications", "team_messages", "email_subscriptions",
    }
    assert len(seed_tables) == 23 and seed_tables <= set(metadata.tables)


def test_init_is_idempotent(schema_database):
    relations = _relations(schema_database)
    assert init_schema(schema_database) == (head_revision(), head_revision())
    assert _relations(schema_database) == relations


def test_an_older_database_is_upgraded_in_place_keeping_its_data(empty_database):
    init_schema(empty_database, revision="0001")
    with empty_database.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (email, first_name, last_name) VALUES ('a@x.io', 'A', 'B')"))
        assert current_revision(conn) == "0001"
    assert "user_dashboard_summary" not in _relations(empty_database)
    assert init_schema(empty_database) == ("0001", head_revision())
    with empty_database.connect() as conn:
        assert conn.execute(sa.text("SELECT email, total_assessments FROM user_dashboard_summary")).one() == ("a@x.io", 0)


def test_a_failing_upgrade_leaves_the_database_as_it_was(empty_database):
    init_schema(empty_database, revision="0001")
    with empty_database.begin() as conn:
        # An object in the way of revision 0002: same name, different return type.
        conn.execute(sa.text("CREATE FUNCTION refresh_analytics_views() RETURNS integer LANGUAGE sql AS 'SELECT 1'"))
    relations = _relations(empty_database)
    with pytest.raises(SchemaApplyError, match="rolled back: cannot change return type"):
        init_schema(empty_database)
    assert _relations(empty_database) == relations  # no view of 0002 half-created
    with empty_database.connect() as conn:
        assert current_revision(conn) == "0001"
        assert conn.execute(sa.text("SELECT to_regproc('ensure_monthly_partitions')")).scalar() is None


def test_a_database_with_foreign_tables_of_our_names_is_refused(empty_database):
    with empty_database.begin() as conn:
        conn.execute(sa.text("CREATE TABLE users (id int)"))
    with pytest.raises(SchemaApplyError, match="already has tables named like the workbench's \\(users\\)"):
        init_schema(empty_database)


def test_a_database_without_the_schema_is_named_as_such(empty_database):
    with empty_database.connect() as conn, pytest.raises(SchemaMissingError, match="run `bi-workbench db init`"):
        require_schema(conn)


def test_partitions_are_made_ahead_and_rows_in_the_default_partition_move_into_a_new_month(schema_database):
    with schema_database.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO analytics_events (event_type, created_at) VALUES ('page_view', '2021-03-15T10:00:00Z')"
        ))
        assert conn.execute(sa.text("SELECT count(*) FROM analytics_events_default")).scalar() == 1
        created = conn.execute(sa.text(
            "SELECT ensure_monthly_partitions('analytics_events'::regclass, DATE '2021-02-01', DATE '2021-04-01')"
        )).scalar()
        assert created == 3
        assert conn.execute(sa.text("SELECT count(*) FROM analytics_events_default")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM analytics_events_2021_03")).scalar() == 1
        again = conn.execute(sa.text(
            "SELECT ensure_monthly_partitions('analytics_events'::regclass, DATE '2021-02-01', DATE '2021-04-01')"
        )).scalar()
        assert again == 0


def test_partition_bounds_are_utc_months_whatever_the_session_time_zone(schema_database):
    with schema_database.begin() as conn:
        conn.execute(sa.text("SET TIME ZONE 'Pacific/Auckland'"))
        conn.execute(sa.text("SELECT ensure_monthly_partitions('audit_log'::regclass, DATE '2022-01-01', DATE '2022-01-01')"))
        bound = conn.execute(sa.text(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'audit_log_2022_01'"
        )).scalar()
    assert "2022-01-01 13:00:00+13" in bound and "2022-02-01 13:00:00+13" in bound  # midnight UTC


def test_every_constraint_and_index_has_a_name_from_the_convention(schema_database):
    inspector = sa.inspect(schema_database)
    for table in metadata.sorted_tables:
        names = [ix["name"] for ix in inspector.get_indexes(table.name)]
        names += [uq["name"] for uq in inspector.get_unique_constraints(table.name)]
        names += [fk["name"] for fk in inspector.get_foreign_keys(table.name)]
        names += [ck["name"] for ck in inspector.get_check_constraints(table.name)]
        names.append(inspector.get_pk_constraint(table.name)["name"])
        for name in names:
            assert name.split("_", 1)[0] in {"ix", "uq", "fk", "ck", "pk"}, name
            assert table.name in name, name


def test_concurrent_inits_of_a_fresh_database_all_succeed(empty_database):
    import subprocess
    import sys

    url = empty_database.url.render_as_string(hide_password=False)
    code = f"from bi_workbench.database import create_engine; from bi_workbench.schema import init_schema; " \
           f"print(init_schema(create_engine({url!r})))"
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    results = [run.communicate(timeout=300) + (run.returncode,) for run in runs]
    assert [code for _out, _err, code in results] == [0, 0, 0], [err for _out, err, _code in results]
    created = [out for out, _err, _code in results if out.startswith("(None,")]
    assert len(created) == 1   # one created the schema, the others found it made
    with empty_database.connect() as conn:
        assert compare(conn) == [] and current_revision(conn) == head_revision()
