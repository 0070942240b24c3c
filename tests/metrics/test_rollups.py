"""The day rollup of analytics events (`entities.ROLLUPS`) answers as the events do, and is read only where it can.

Every request the rollup serves (events and active users, by organization or industry, per
grain; retention) is compared with the same request over the events themselves (the rollups
taken away), on the demo data, for selections of the whole history, an industry, an
organization, a date range and an as_of date; a bound inside a day, a dimension the rollup
does not keep and a metric with a row condition read the events.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench import metrics
from bi_workbench.metrics import compile as compiled_metrics
from bi_workbench.metrics.api import compiled
from bi_workbench.metrics.catalog import METRICS
from bi_workbench.metrics.selection import Bounds, Selection
from bi_workbench.schema import tables as t

SELECTIONS = {"whole history": {}, "an industry": {"industry": "saas"}, "an organization": {"organization": True},
              "a date range": {"since": "2025-03-01", "until": "2025-09-30"}, "as of a day": {"as_of": "2025-12-31"}}
REQUESTS = [dict(by=None, grain=None), dict(by=None, grain="week"), dict(by="organization", grain="month"),
            dict(by="industry", grain="day"), dict(by=["organization", "industry"], grain=None)]


def _bounds(conn, organization=None, **selection) -> Bounds:
    if organization:
        events = t.analytics_events
        selection["organization_id"] = conn.scalar(
            sa.select(events.c.organization_id).where(events.c.organization_id.is_not(None))
            .group_by(events.c.organization_id).order_by(sa.func.count().desc(), events.c.organization_id).limit(1))
    return Selection.of(**selection).resolve(conn)


def _without_rollups(monkeypatch, ask):
    with monkeypatch.context() as patched:
        patched.setattr(compiled_metrics, "ROLLUPS", {})
        return ask()


@pytest.mark.parametrize("selection", SELECTIONS)
def test_the_rollup_answers_as_the_events_do(demo_engine, monkeypatch, selection):
    with demo_engine.connect() as conn:
        bounds = _bounds(conn, **SELECTIONS[selection])
        for request in REQUESTS:
            ask = lambda: metrics.query(["events", "active_users"], engine=conn, bounds=bounds, **request)  # noqa: E731
            rolled = ask()
            assert rolled["events"].sum() > 0, request
            pd.testing.assert_frame_equal(rolled, _without_rollups(monkeypatch, ask), obj=str(request))
        ask = lambda: metrics.query("retention", grain="month", engine=conn, bounds=bounds)  # noqa: E731
        retained = ask()
        assert retained["active_users"].sum() > 0
        pd.testing.assert_frame_equal(retained, _without_rollups(monkeypatch, ask))


def _reads_rollup(bounds: Bounds, names, by=()) -> bool:
    text = compiled(compiled_metrics.measured([METRICS[n] for n in names], bounds, by, "week"))
    return "analytics_event_days" in text


def test_the_rollup_is_read_only_where_every_bound_is_a_utc_midnight_and_the_request_is_its_own(demo_engine):
    with demo_engine.connect() as conn:
        bounds = _bounds(conn)
    assert bounds.cutoff.time() == dt.time() and _reads_rollup(bounds, ["events", "active_users"])
    assert _reads_rollup(Bounds(Selection(since=dt.date(2025, 1, 1)), bounds.cutoff), ["events"])
    inside_a_day = Bounds(bounds.selection, bounds.cutoff - dt.timedelta(hours=5))
    assert not _reads_rollup(inside_a_day, ["events", "active_users"])
    assert not _reads_rollup(bounds, ["events"], by=["event_type"])        # a dimension the rollup does not keep
    assert not _reads_rollup(bounds, ["store_events"])                     # an entity without one
    with demo_engine.connect() as conn:                                    # and inside a day, the events' answer
        counted = metrics.query("events", engine=conn, bounds=inside_a_day)["events"].iloc[0]
        expected = conn.scalar(sa.select(sa.func.count()).where(t.analytics_events.c.created_at < inside_a_day.cutoff))
    assert counted == expected > 0
