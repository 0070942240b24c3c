"""Server-side cursors read whole: planned for every row, fetched ahead, the connection the caller's after."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from bi_workbench.database.cursors import every_row, prefetched
from bi_workbench.domain import rubric_scores
from bi_workbench.events.consistency import replay_streams
from bi_workbench.loaders import iter_load
from bi_workbench.schema import tables as t

SERIES = sa.text("SELECT n FROM generate_series(1, 50) AS n")


def declared_fractions(engine, setting: str = "cursor_tuple_fraction") -> list[str]:
    """Record, for each server-side cursor the engine declares, the ``setting`` it is planned with."""
    seen = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        if context.execution_options.get("stream_results"):  # a server-side cursor: DECLARE plans it now
            seen.append(cursor.connection.execute("SELECT current_setting(%s)", [setting]).fetchone()[0])

    return seen


def fraction(conn) -> str:
    return conn.execute(sa.text("SELECT current_setting('cursor_tuple_fraction')")).scalar()


def test_a_cursor_read_whole_is_planned_for_every_row_and_the_callers_setting_comes_back(schema_database):
    seen = declared_fractions(schema_database)
    with schema_database.begin() as conn:
        conn.execute(sa.text("SET LOCAL cursor_tuple_fraction = 0.3"))
        result = every_row(conn, SERIES, 7)
        assert fraction(conn) == "0.3"
        assert [len(batch) for batch in result.partitions()] == [7] * 7 + [1]
    assert seen == ["1"]
    with schema_database.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert [row[0] for row in every_row(conn, SERIES, 7)] == list(range(1, 51))
        assert [row[0] for row in prefetched(every_row(conn, SERIES, 7))] == list(range(1, 51))
        assert [row["n"] for row in prefetched(every_row(conn, SERIES, 7).mappings())] == list(range(1, 51))
    assert seen == ["1"]  # autocommit holds no cursor between statements: a plain query


def test_planner_settings_hold_while_the_cursor_is_declared_and_the_replay_check_streams_its_join(schema_database):
    seen = declared_fractions(schema_database, "enable_hashjoin")
    with schema_database.begin() as conn:
        assert sum(1 for _row in every_row(conn, SERIES, 7, planner={"enable_hashjoin": "off"})) == 50
        assert conn.execute(sa.text("SELECT current_setting('enable_hashjoin')")).scalar() == "on"
        replay_streams(conn, batch=2)      # merged along the stream index: its first streams arrive at once
    assert seen == ["off", "off"]


def test_the_package_reads_every_row_through_cursors_planned_for_it(schema_database):
    seen = declared_fractions(schema_database)
    with schema_database.begin() as conn:
        user = uuid.uuid4()
        conn.execute(t.users.insert().values(id=user, email="cursor@example.com", first_name="C", last_name="U"))
        conn.execute(t.assessments.insert().values(user_id=user, assessment_type="onboarding", responses={}))
        replay_streams(conn, batch=2)
        rubric_scores.refresh(conn, batch=2)
    chunks = list(iter_load("users", chunksize=1, engine=schema_database, fast=False))
    assert len(chunks) == 1 and len(seen) == 3 and set(seen) == {"1"}


def test_leaving_a_prefetched_result_early_leaves_the_connection_usable_and_errors_reach_the_caller(schema_database):
    with schema_database.begin() as conn:
        rows = prefetched(every_row(conn, SERIES, 4))
        assert [next(rows)[0] for _ in range(5)] == [1, 2, 3, 4, 5]
        rows.close()  # waits for the fetch under way, then the connection is the caller's again
        assert list(prefetched(every_row(conn, SERIES, 4).scalars())) == list(range(1, 51))
        assert conn.execute(sa.text("SELECT 7")).scalar() == 7
    with schema_database.begin() as conn, pytest.raises(sa.exc.DataError):
        list(prefetched(every_row(conn, sa.text("SELECT 1 / (n - 30) FROM generate_series(1, 50) AS n"), 4)))


def test_a_statement_failing_before_the_server_sees_it_leaves_the_callers_setting(schema_database):
    with schema_database.begin() as conn:
        conn.execute(sa.text("SET LOCAL cursor_tuple_fraction = 0.3"))
        with pytest.raises(sa.exc.StatementError):
            every_row(conn, sa.text("SELECT :missing"), 5)  # no value bound: refused in the client
        assert fraction(conn) == "0.3"
