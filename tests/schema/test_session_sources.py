"""user_sessions.first_source is what the events say, after any write (schema/sql/session_sources.sql).

The rule: the first source, by name, of the analytics events the session's own
user logged in it; NULL without one. Every kind of write to either table is
checked against that rule recomputed from the events, on a real PostgreSQL:
hand-picked cases, random sequences of writes (hypothesis), and the demo seed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bi_workbench.schema import tables as t

USERS = [uuid.UUID(int=i) for i in (1, 2, 3)]
SESSIONS = [uuid.UUID(int=i) for i in range(11, 15)]  # the last is not a session until a test adds it
SOURCES = ["web", "mobile", "api", None]
AT = datetime(2025, 1, 6, 10, 0, tzinfo=timezone.utc)

RULE = sa.text("""
SELECT s.id, s.first_source,
       (SELECT min(e.source) FROM analytics_events e WHERE e.session_id = s.id AND e.user_id = s.user_id)
  FROM user_sessions s ORDER BY s.id
""")


@pytest.fixture(scope="module")
def engine(request, databases, schema_template):
    from bi_workbench.database.connection import create_engine

    url = databases.create(template=schema_template)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(t.users.insert(), [{"id": u, "email": f"u{i}@example.com", "first_name": "U", "last_name": str(i)}
                                        for i, u in enumerate(USERS)])
    yield engine
    engine.dispose()
    databases.drop(url)


@pytest.fixture
def conn(engine):
    """A connection whose writes are rolled back after the test."""
    with engine.connect() as conn, conn.begin() as transaction:
        _add_sessions(conn, [(0, 0), (1, 0), (2, 1)])
        yield conn
        transaction.rollback()


def _add_sessions(conn, pairs) -> None:
    conn.execute(t.user_sessions.insert(), [
        {"id": SESSIONS[s], "user_id": USERS[u], "session_token": f"token-{s}", "started_at": AT} for s, u in pairs])


def _add_events(conn, events) -> None:
    """events: (user index, session index or None, source) -> one INSERT statement."""
    conn.execute(t.analytics_events.insert(), [
        {"user_id": USERS[u], "session_id": None if s is None else SESSIONS[s], "source": src,
         "event_type": "page_view", "created_at": AT} for u, s, src in events])


def _sources(conn) -> dict:
    return {row[0]: row[1] for row in conn.execute(RULE)}


def _assert_rule(conn) -> None:
    wrong = [(row[0], row[1], row[2]) for row in conn.execute(RULE) if row[1] != row[2]]
    assert wrong == [], "sessions whose first_source is not their events' (id, stored, from the events)"


def test_inserted_events_lower_the_source_to_the_first_by_name(conn):
    _add_events(conn, [(0, 0, "web"), (0, 0, "mobile"), (0, 1, "web")])
    _add_events(conn, [(0, 0, "api")])
    assert _sources(conn) == {SESSIONS[0]: "api", SESSIONS[1]: "web", SESSIONS[2]: None}


def test_an_event_of_another_user_leaves_the_session_alone(conn):
    _add_events(conn, [(1, 0, "api"), (0, 0, "web")])
    assert _sources(conn)[SESSIONS[0]] == "web"


def test_deleted_and_updated_events_recompute_their_sessions(conn):
    _add_events(conn, [(0, 0, "web"), (0, 0, "api"), (0, 1, "mobile")])
    conn.execute(sa.delete(t.analytics_events).where(t.analytics_events.c.source == "api"))
    assert _sources(conn)[SESSIONS[0]] == "web"
    conn.execute(sa.update(t.analytics_events).where(t.analytics_events.c.session_id == SESSIONS[1])
                 .values(session_id=SESSIONS[0]))
    assert _sources(conn) == {SESSIONS[0]: "mobile", SESSIONS[1]: None, SESSIONS[2]: None}
    conn.execute(sa.text("TRUNCATE analytics_events"))
    assert set(_sources(conn).values()) == {None}


def test_a_session_added_after_its_events_takes_their_source(conn):
    _add_events(conn, [(2, 3, "mobile"), (2, 3, "web")])
    _add_sessions(conn, [(3, 2)])
    assert _sources(conn)[SESSIONS[3]] == "mobile"


def test_a_source_set_by_hand_gives_way_to_the_events(conn):
    _add_events(conn, [(0, 0, "web")])
    conn.execute(sa.update(t.user_sessions).values(first_source="aaa"))
    assert _sources(conn) == {SESSIONS[0]: "web", SESSIONS[1]: None, SESSIONS[2]: None}
    conn.execute(t.user_sessions.insert().values(id=SESSIONS[3], user_id=USERS[0], session_token="t", started_at=AT,
                                                 first_source="aaa"))
    assert _sources(conn)[SESSIONS[3]] is None


def test_a_session_moved_to_another_user_takes_that_users_events(conn):
    _add_events(conn, [(0, 2, "web"), (1, 2, "api")])
    assert _sources(conn)[SESSIONS[2]] == "api"
    conn.execute(sa.update(t.user_sessions).where(t.user_sessions.c.id == SESSIONS[2]).values(user_id=USERS[0]))
    assert _sources(conn)[SESSIONS[2]] == "web"


user = st.integers(0, len(USERS) - 1)
session = st.integers(0, len(SESSIONS) - 1)
source = st.sampled_from(SOURCES)
writes = st.one_of(
    st.tuples(st.just("insert"), st.lists(st.tuples(user, st.one_of(st.none(), session), source), min_size=1,
                                          max_size=6)),
    st.tuples(st.just("set_source"), session, source),
    st.tuples(st.just("move"), session, session),
    st.tuples(st.just("delete"), source),
    st.tuples(st.just("add_session"), user),
    st.tuples(st.just("reassign"), session, user),
    st.tuples(st.just("truncate")),
)


def _write(conn, write) -> None:
    e, s = t.analytics_events, t.user_sessions
    kind, *args = write
    if kind == "insert":
        _add_events(conn, args[0])
    elif kind == "set_source":
        conn.execute(sa.update(e).where(e.c.session_id == SESSIONS[args[0]]).values(source=args[1]))
    elif kind == "move":
        conn.execute(sa.update(e).where(e.c.session_id == SESSIONS[args[0]]).values(session_id=SESSIONS[args[1]]))
    elif kind == "delete":
        conn.execute(sa.delete(e).where(e.c.source.is_(None) if args[0] is None else e.c.source == args[0]))
    elif kind == "add_session":
        if conn.execute(sa.select(sa.func.count()).where(s.c.id == SESSIONS[3])).scalar() == 0:
            _add_sessions(conn, [(3, args[0])])
    elif kind == "reassign":
        conn.execute(sa.update(s).where(s.c.id == SESSIONS[args[0]]).values(user_id=USERS[args[1]]))
    else:
        conn.execute(sa.text("TRUNCATE analytics_events"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(writes, min_size=1, max_size=8))
def test_any_sequence_of_writes_keeps_the_rule(engine, sequence):
    with engine.connect() as conn, conn.begin() as transaction:
        _add_sessions(conn, [(0, 0), (1, 0), (2, 1)])
        for write in sequence:
            _write(conn, write)
            _assert_rule(conn)
        transaction.rollback()


def test_the_demo_seed_keeps_the_rule(demo):
    _assert_rule(demo)
    assert demo.execute(sa.text("SELECT count(first_source) FROM user_sessions")).scalar() > 0
