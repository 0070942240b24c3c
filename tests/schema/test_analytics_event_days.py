"""The rollup analytics_event_days equals its definition after every write (triggers of ``sql/analytics_event_days.sql``).

Its definition, walked here in Python: one row per (UTC day, user, organization) that some
analytics event has, NULL user or organization included, holding how many events have it.
Random programs of inserts, updates that move events between days, users and organizations,
deletes and truncations (hypothesis) are run statement by statement, in a session whose time
zone is not UTC, and the table is compared with the definition after each one; a write straight
into one partition does not fire the triggers, and `db refresh` recounts it (after the writes it
runs beside have committed), as does the repair that restores a missing trigger. COPY, and a TRUNCATE
that names it: tests/schema/test_session_sources.py.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bi_workbench.schema import catalog
from bi_workbench.schema import tables as t
from bi_workbench.schema.apply import refresh_read_models
from tests.conftest import _engine_fixture

E, KEPT = t.analytics_events, t.analytics_event_days
UTC = dt.timezone.utc
OWNERS = [None, uuid.UUID(int=1), uuid.UUID(int=2)]
# Both sides of a UTC midnight, and of the midnight of America/New_York (the session's time zone below).
TIMES = [dt.datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC), dt.datetime(2026, 3, 10, tzinfo=UTC),
         dt.datetime(2026, 3, 10, 4, 30, tzinfo=UTC), dt.datetime(2026, 3, 10, 5, 0, tzinfo=UTC)]

events = st.tuples(st.sampled_from(TIMES), st.sampled_from(OWNERS), st.sampled_from(OWNERS))
steps = st.one_of(
    st.tuples(st.just("insert"), st.lists(events, min_size=1, max_size=4)),
    st.tuples(st.just("at"), st.integers(0, 20), st.sampled_from(TIMES)),
    st.tuples(st.just("user"), st.integers(0, 20), st.sampled_from(OWNERS)),
    st.tuples(st.just("organization"), st.integers(0, 20), st.sampled_from(OWNERS)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("delete_all"),),
    st.tuples(st.just("truncate"),),
)
POSITION = {"at": 0, "user": 1, "organization": 2}
COLUMN = {"at": "created_at", "user": "user_id", "organization": "organization_id"}


def defined(rows: dict) -> dict:
    """{(UTC midnight, user, organization): events} of ``rows`` ({event id: (created_at, user, organization)})."""
    found = collections.Counter()
    for at, user, organization in rows.values():
        found[(dt.datetime.combine(at.astimezone(UTC).date(), dt.time(), UTC), user, organization)] += 1
    return dict(found)


def kept(conn) -> dict:
    return {(day, user, org): n for day, user, org, n in conn.execute(
        sa.select(KEPT.c.day_start, KEPT.c.user_id, KEPT.c.organization_id, KEPT.c.events)).all()}


@pytest.fixture(scope="module")
def engine(databases, schema_template):
    for engine in _engine_fixture(databases, template=schema_template):
        with engine.begin() as conn:  # the owners the events name (both a user and an organization each)
            for owner in OWNERS[1:]:
                conn.execute(t.users.insert().values(id=owner, email=f"{owner}@example.com", first_name="A",
                                                    last_name="B"))
                conn.execute(t.organizations.insert().values(id=owner, name=str(owner), slug=str(owner)))
        yield engine


def _run(conn, step, rows: dict) -> None:
    """Run one step as one statement on ``conn`` and apply it to ``rows``."""
    kind, ids = step[0], sorted(rows)
    if kind == "insert":
        inserted = conn.execute(E.insert().returning(E.c.id), [
            {"event_type": "view", "created_at": at, "user_id": user, "organization_id": org}
            for at, user, org in step[1]]).scalars()
        rows.update(zip(inserted, step[1]))
    elif kind == "truncate":
        conn.exec_driver_sql("TRUNCATE analytics_events")
        rows.clear()
    elif kind == "delete_all":
        conn.execute(E.delete())
        rows.clear()
    elif ids:
        event = ids[step[1] % len(ids)]
        if kind == "delete":
            conn.execute(E.delete().where(E.c.id == event))
            del rows[event]
        else:
            conn.execute(E.update().where(E.c.id == event).values({COLUMN[kind]: step[2]}))
            changed = list(rows[event])
            changed[POSITION[kind]] = step[2]
            rows[event] = tuple(changed)


@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(steps, min_size=1, max_size=8))
@example(program=[("insert", [(TIMES[0], None, None), (TIMES[1], None, None)]), ("at", 0, TIMES[1]),
                  ("delete", 1)])                        # moved across midnight, then the day's last one deleted
@example(program=[("insert", [(TIMES[2], OWNERS[1], None)] * 2), ("organization", 0, OWNERS[2]),
                  ("user", 1, None)])                    # the same day under three keys, NULLs among them
def test_every_statement_leaves_the_rollup_equal_to_its_definition(engine, program):
    rows: dict = {}
    with engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL TimeZone = 'America/New_York'")
        for step in program:
            _run(conn, step, rows)
            assert kept(conn) == defined(rows), step
        conn.rollback()


@pytest.fixture
def emptied(engine):
    """The module's engine, its events (and so the rollup) emptied after the test (which commits)."""
    yield engine
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE analytics_events")


def test_a_write_into_one_partition_is_counted_again_by_db_refresh(emptied):
    day = dt.datetime(2026, 3, 10, tzinfo=UTC)
    with emptied.begin() as conn:
        partition = conn.execute(E.insert().values(event_type="view", created_at=TIMES[2], user_id=OWNERS[1])
                                 .returning(sa.literal_column("tableoid::regclass"))).scalar_one()
        conn.exec_driver_sql(f"UPDATE {partition} SET user_id = '{OWNERS[2]}'")  # no trigger of the parent fires
        assert kept(conn) == {(day, OWNERS[1], None): 1}
    refresh_read_models(emptied)
    with emptied.connect() as conn:
        assert kept(conn) == {(day, OWNERS[2], None): 1}


def test_db_refresh_beside_an_open_write_waits_for_it_and_counts_it_once(emptied):
    day = dt.datetime(2026, 3, 10, tzinfo=UTC)
    with emptied.connect() as writer:
        _run(writer, ("insert", [(TIMES[2], OWNERS[1], OWNERS[1])]), {})   # a new key, not committed yet
        refreshing = threading.Thread(target=refresh_read_models, args=(emptied,))
        refreshing.start()
        time.sleep(1)
        assert refreshing.is_alive()                                      # waits for the writer
        writer.commit()
        refreshing.join(60)
    assert not refreshing.is_alive()
    with emptied.connect() as conn:
        assert kept(conn) == {(day, OWNERS[1], OWNERS[1]): 1}


def test_the_repair_that_restores_a_trigger_recounts_what_was_written_without_it(emptied):
    day = dt.datetime(2026, 3, 10, tzinfo=UTC)
    with emptied.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER analytics_event_days_insert ON analytics_events")
        _run(conn, ("insert", [(TIMES[2], OWNERS[1], None)]), {})
        assert kept(conn) == {}
        repaired = catalog.repair(conn)
        assert ("missing trigger", "analytics_events.analytics_event_days_insert") in [f[:2] for f in repaired]
        assert kept(conn) == {(day, OWNERS[1], None): 1}
