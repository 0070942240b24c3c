"""The read model session_sources equals its definition after every write (triggers of ``sql/session_sources.sql``).

Its definition, walked here in Python: a session that some analytics event names has
one row, its source the least of those events' sources (NULL when none has one).
Random programs of inserts, updates that move events between sessions or change their
source, deletes and truncations (hypothesis) are run statement by statement, and the
table is compared with the definition after each one; COPY fires the same triggers (and the
day rollup's); a
write straight into one partition does not, and `db refresh` recounts it; a TRUNCATE naming
it (or the day rollup) with the events empties every one of them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bi_workbench.schema import tables as t
from bi_workbench.schema.apply import refresh_read_models
from tests.conftest import _engine_fixture

E, KEPT = t.analytics_events, t.session_sources
SESSIONS = [uuid.UUID(int=i) for i in range(1, 4)]
SOURCES = ("api", "mobile", "web", None)
AT = dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc)

events = st.tuples(st.sampled_from([*SESSIONS, None]), st.sampled_from(SOURCES))
steps = st.one_of(
    st.tuples(st.just("insert"), st.lists(events, min_size=1, max_size=4)),
    st.tuples(st.just("source"), st.integers(0, 20), st.sampled_from(SOURCES)),
    st.tuples(st.just("move"), st.integers(0, 20), st.sampled_from([*SESSIONS, None])),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("truncate")),
)


def defined(rows: dict) -> dict:
    """{session: least source or None} of ``rows`` ({event id: (session, source)}), sessions named only."""
    found: dict = {}
    for session, source in rows.values():
        if session is not None:
            named = [s for s in (found.get(session), source) if s is not None]
            found[session] = min(named) if named else None
    return found


def kept(conn) -> dict:
    return dict(conn.execute(sa.select(KEPT.c.session_id, KEPT.c.source)).all())


@pytest.fixture(scope="module")
def engine(databases, schema_template):
    yield from _engine_fixture(databases, template=schema_template)


def _run(conn, step, rows: dict) -> None:
    """Run one step as one statement on ``conn`` and apply it to ``rows`` ({event id: (session, source)})."""
    kind, ids = step[0], sorted(rows)
    if kind == "insert":
        inserted = conn.execute(E.insert().returning(E.c.id), [
            {"event_type": "view", "session_id": s, "source": src, "created_at": AT} for s, src in step[1]]).scalars()
        rows.update(zip(inserted, step[1]))
    elif kind == "truncate":
        conn.exec_driver_sql("TRUNCATE analytics_events")
        rows.clear()
    elif ids:
        event = ids[step[1] % len(ids)]
        session, source = rows[event]
        if kind == "delete":
            conn.execute(E.delete().where(E.c.id == event))
            del rows[event]
        else:
            column, value = ("source", step[2]) if kind == "source" else ("session_id", step[2])
            conn.execute(E.update().where(E.c.id == event).values({column: value}))
            rows[event] = (session, value) if kind == "source" else (value, source)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(steps, min_size=1, max_size=8))
@example(program=[("insert", [(SESSIONS[0], "web"), (SESSIONS[0], None)]), ("insert", [(SESSIONS[0], "api")]),
                  ("source", 2, None)])                         # the least source removed: the next one counts
@example(program=[("insert", [(SESSIONS[0], None)]), ("move", 0, SESSIONS[1])])   # a NULL source, moved
def test_every_statement_leaves_the_read_model_equal_to_its_definition(engine, program):
    rows: dict = {}
    with engine.connect() as conn:
        for step in program:
            _run(conn, step, rows)
            assert kept(conn) == defined(rows), step
        conn.rollback()


def test_copy_fires_the_same_triggers(engine):
    """One COPY is one statement: this read model and the day rollup (``analytics_event_days``) see all its rows."""
    days = t.analytics_event_days
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy("COPY analytics_events (event_type, session_id, source, created_at) FROM STDIN") as copy:
            for session, source in ((SESSIONS[0], "web"), (SESSIONS[0], "mobile"), (SESSIONS[1], None)):
                copy.write_row(("view", session, source, AT))
        assert kept(conn) == {SESSIONS[0]: "mobile", SESSIONS[1]: None}
        rolled = conn.execute(sa.select(days.c.day_start, days.c.user_id, days.c.organization_id, days.c.events)).all()
        assert rolled == [(AT.replace(hour=0), None, None, 3)]
        conn.rollback()


@pytest.mark.parametrize("statement", ["TRUNCATE analytics_events, session_sources",
                                       "TRUNCATE session_sources, analytics_events, user_sessions CASCADE",
                                       "TRUNCATE analytics_event_days, analytics_events",
                                       "TRUNCATE analytics_events, analytics_event_days, session_sources"])
def test_a_truncate_that_names_a_read_model_too_empties_them_all(engine, statement):
    """The events' read models (this one, the day rollup ``analytics_event_days``) are emptied with them."""
    with engine.connect() as conn:
        _run(conn, ("insert", [(SESSIONS[0], "web")]), {})
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.analytics_event_days)) == 1
        conn.exec_driver_sql(statement)
        for table in (E, KEPT, t.analytics_event_days):
            assert conn.scalar(sa.select(sa.func.count()).select_from(table)) == 0, table.name
        conn.rollback()


def test_a_write_into_one_partition_is_counted_again_by_db_refresh(engine):
    try:
        with engine.begin() as conn:
            partition = conn.execute(E.insert().values(event_type="view", session_id=SESSIONS[2], source="web",
                                                       created_at=AT).returning(sa.literal_column("tableoid::regclass"))
                                     ).scalar_one()
            conn.exec_driver_sql(f"UPDATE {partition} SET source = 'api'")  # no trigger of the parent fires
            assert kept(conn) == {SESSIONS[2]: "web"}
        refresh_read_models(engine)
        with engine.connect() as conn:
            assert kept(conn) == {SESSIONS[2]: "api"}
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE analytics_events")
