"""The headline numbers' previous period, checked with hand-written SQL on the small demo data.

The previous period is written here from its definition, not from `Bounds.previous`: the
same number of days just before ``since`` (or, without ``since``, the same selection 30 days
earlier); a flow counts the rows whose time falls in it, a stock reads the state at its end.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bi_workbench import reports
from bi_workbench.reports.headlines import MIME_TYPE, change_text

#: metric -> (table, hand-written measure over its rows ``x``, row condition, kind)
HAND = {
    "users": ("users", "count(*)", "true", "flow"),
    "assessments": ("assessments", "count(*)", "true", "flow"),
    "paying_customers": ("subscriptions", "count(*)", "coalesce(lower(x.plan), '') <> 'free' "
                         "AND lower(x.status) IN ('active', 'past_due')", "stock"),
    "notification_read_rate": ("notifications", "avg(CASE WHEN x.is_read OR x.read_at IS NOT NULL THEN 1.0 "
                               "ELSE 0.0 END)", "true", "flow"),
}


def hand_value(conn, metric: str, since: str | None, end: str) -> float | None:
    """``metric`` over [since, end) for a flow, at ``end`` for a stock (or a flow without since); dates in UTC."""
    table, measure, condition, kind = HAND[metric]
    lower = "true" if kind == "stock" or since is None else "x.created_at >= CAST(:since AS date) AT TIME ZONE 'UTC'"
    value = conn.execute(sa.text(
        f"SELECT {measure} FROM {table} x WHERE x.created_at < CAST(:end AS date) AT TIME ZONE 'UTC' "
        f"AND {lower} AND {condition}"), {"since": since, "end": end}).scalar()
    return None if value is None else float(value)


def test_the_previous_61_days_of_flows_and_the_stock_at_their_end(demo_engine):
    params = {"since": "2026-04-01", "until": "2026-05-31"}
    headlines = reports.headlines(list(HAND), params, demo_engine)
    with demo_engine.connect() as conn:
        now = {name: hand_value(conn, name, "2026-04-01", "2026-06-01") for name in HAND}
        before = {name: hand_value(conn, name, "2026-01-30", "2026-04-01") for name in HAND}
    for record in headlines.records:
        name = record["metric"]
        assert record["value"] == pytest.approx(now[name]), name
        assert record["previous_value"] == pytest.approx(before[name]), name
        assert record["kind"] == HAND[name][3]
        assert record["compared"] == "previous 61 days"
        assert record["previous_selection"]["since"] == "2026-01-30"
        assert record["previous_selection"]["until"] == "2026-03-31"
    for name in ("users", "assessments", "paying_customers"):
        assert before[name] > 0
        record = next(r for r in headlines.records if r["metric"] == name)
        assert record["change_unit"] == "relative"
        assert record["change"] == pytest.approx(now[name] / before[name] - 1), name
    rate = next(r for r in headlines.records if r["metric"] == "notification_read_rate")
    assert rate["change_unit"] == "points"
    assert rate["change"] == pytest.approx(now["notification_read_rate"] - before["notification_read_rate"])


def test_without_since_the_numbers_are_compared_with_themselves_30_days_earlier(demo_engine):
    headlines = reports.headlines(["users", "paying_customers"], {"as_of": "2026-06-05"}, demo_engine)
    with demo_engine.connect() as conn:
        before = {name: hand_value(conn, name, None, "2026-05-07") for name in ("users", "paying_customers")}
    for record in headlines.records:
        assert record["previous_value"] == pytest.approx(before[record["metric"]])
        assert record["compared"] == "30 days earlier"


def test_the_cards_and_the_recorded_json_carry_the_change(demo_engine):
    headlines = reports.headlines(["users", "notification_read_rate"], {"since": "2026-04-01"}, demo_engine)
    bundle = headlines._repr_mimebundle_()
    (users, rate) = bundle[MIME_TYPE]["headlines"]
    expected = f"{users['change']:+.1%} vs {users['compared']}"
    assert change_text(users) == expected and expected in bundle["text/html"]
    assert change_text(rate) == f"{rate['change'] * 100:+.1f} pts vs {rate['compared']}"


def test_a_previous_period_without_rows_has_no_change(demo_engine):
    headlines = reports.headlines(["users"], {"since": "2001-01-01", "until": "2001-01-31"}, demo_engine)
    (record,) = headlines.records
    assert record["previous_value"] == 0
    assert record["change"] is None
    assert change_text(record) == "n/a vs previous 31 days"
