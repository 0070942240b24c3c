"""The funnel equals its definition walked in Python, on random event histories (hypothesis).

A user enters at their first ``steps[0]`` event; step k+1 counts at the first event of its
type at or after step k's (strictly after when the step repeats), within 30 days of entering.
The session's time zone is New York's, whose daylight saving time starts within the
histories: the window is 720 hours whatever the session's clock. Histories are small (two
users, a few events of three types over 32 days, every 12 hours), so repeats, ties and the
window's edge come up often.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bi_workbench.domain import analytics
from bi_workbench.metrics.special import FUNNEL_WINDOW_DAYS
from bi_workbench.schema import tables as t
from tests.conftest import _engine_fixture

USERS = [uuid.UUID(int=i) for i in range(1, 3)]
TYPES = ("a", "b", "c")
START = dt.datetime(2026, 2, 20, tzinfo=dt.timezone.utc)   # New York's clocks go forward on 2026-03-08
WINDOW = dt.timedelta(days=FUNNEL_WINDOW_DAYS)

histories = st.lists(st.tuples(st.sampled_from(USERS), st.sampled_from(TYPES),
                               st.integers(0, 64).map(lambda halves: START + dt.timedelta(hours=12 * halves))),
                     max_size=14)
funnels = st.lists(st.sampled_from(TYPES), min_size=1, max_size=4)


def expected_users(history, steps) -> list[int]:
    """Walk the funnel's definition over ``history`` ((user, type, time) tuples): the users reaching each step."""
    reached = [0] * len(steps)
    for user in USERS:
        mine = sorted((when, kind) for who, kind, when in history if who == user)
        entering = [when for when, kind in mine if kind == steps[0]]
        if not entering:
            continue
        entered = at = entering[0]
        reached[0] += 1
        for number in range(1, len(steps)):
            repeat = steps[number] == steps[number - 1]
            later = [when for when, kind in mine if kind == steps[number] and when <= entered + WINDOW
                     and (when > at if repeat else when >= at)]
            if not later:
                break
            at = later[0]
            reached[number] += 1
    return reached


@pytest.fixture(scope="module")
def funnel_engine(databases, schema_template):
    yield from _engine_fixture(databases, template=schema_template)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, steps=funnels)
@example(history=[(USERS[0], "a", START), (USERS[0], "b", START)], steps=["a", "b"])           # at entering
@example(history=[(USERS[0], "a", START), (USERS[0], "b", START + WINDOW)], steps=["a", "b"])  # the window's end
@example(history=[(USERS[0], "a", START), (USERS[0], "a", START)], steps=["a", "a"])           # a repeat, tied
def test_the_funnel_equals_its_definition(funnel_engine, history, steps):
    with funnel_engine.connect() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'America/New_York'")
        conn.execute(t.users.insert(), [{"id": u, "email": f"{u.int}@example.com", "first_name": "F",
                                          "last_name": "L", "created_at": START} for u in USERS])
        if history:
            conn.execute(t.analytics_events.insert(), [{"user_id": u, "event_type": kind, "created_at": when}
                                                       for u, kind, when in history])
        frame = analytics.funnel(conn, steps)
        conn.rollback()
    assert frame["users"].tolist() == expected_users(history, steps)
