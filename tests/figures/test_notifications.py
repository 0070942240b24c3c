"""Figures of report 07_notifications: traces, values, titles; a 'no data' figure for no rows."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import pytest

from bi_workbench.domain import analytics
from bi_workbench.domain import notifications_report as nr
from bi_workbench.domain.engagement_report import empty_frame
from bi_workbench.figures import notifications as figures
from bi_workbench.figures.common import NO_DATA


def utc(*texts: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts)))


def is_no_data(fig: go.Figure) -> bool:
    return not fig.data and [a.text for a in fig.layout.annotations] == [NO_DATA]


def has_titles(fig: go.Figure) -> bool:
    return bool(fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text)


PER_PERIOD = pd.DataFrame({"period": utc("2025-01-06", "2025-01-20", "2025-01-20"), "complete": [True, False, False],
                           "type": ["billing", "billing", "system"], "sent": [2, 1, 1], "read": [1, 1, 1]})
TOTALS = pd.DataFrame({"period": utc("2025-01-06", "2025-01-13", "2025-01-20"), "complete": [True, True, False],
                       "sent": [2, 0, 2], "read": [1, 0, 2], "read_rate": [0.5, float("nan"), 1.0]})


def shaded(fig: go.Figure) -> list:
    """The x0 of every shaded period not yet over."""
    return [pd.Timestamp(shape.x0) for shape in fig.layout.shapes]


def test_sent_by_type_stacks_one_trace_per_type():
    fig = figures.sent_by_type(PER_PERIOD, "week")
    assert [t.name for t in fig.data] == ["billing", "system"] and fig.layout.barmode == "stack"
    assert list(fig.data[0].x) == [datetime(2025, 1, 6), datetime(2025, 1, 20)] and list(fig.data[0].y) == [2, 1]
    assert list(fig.data[1].y) == [1] and has_titles(fig)
    assert shaded(fig) == [pd.Timestamp("2025-01-20")]  # the week the bound cuts


def test_sent_and_read_draw_the_read_rate_on_a_second_axis_with_gaps_for_quiet_periods():
    fig = figures.sent_and_read(TOTALS, "week")
    sent, read, rate = fig.data
    assert list(sent.y) == [2, 0, 2] and list(read.y) == [1, 0, 2]
    assert rate.yaxis == "y2" and list(rate.y) == [0.5, None, 1.0]
    assert shaded(fig) == [pd.Timestamp("2025-01-20")]
    assert not shaded(figures.sent_and_read(TOTALS.assign(complete=True), "week"))


def test_read_rates_draw_one_bar_per_group_with_sent_and_hours_in_the_hover():
    frame = pd.DataFrame({"group": ["billing", "system"], "sent": [3, 1], "read": [2, 1], "read_rate": [0.6667, 1.0],
                          "median_hours_to_read": [2.0, float("nan")], "p90_hours_to_read": [2.0, 4.0]})
    fig = figures.read_rates(frame, "type")
    bar = fig.data[0]
    assert list(bar.x) == ["billing", "system"] and list(bar.y) == [0.6667, 1.0]
    assert [list(c) for c in bar.customdata] == [[3, 2.0], [1, None]]
    assert fig.layout.title.text == "Read rate of notifications by type"


def test_priority_mix_stacks_priorities_from_urgent_to_low_per_type():
    mix = pd.DataFrame({"type": ["billing", "billing", "system"], "priority": ["low", "high", "urgent"],
                        "sent": [1, 3, 2], "share_of_type": [0.25, 0.75, 1.0]})
    fig = figures.priority_mix(mix)
    assert [t.name for t in fig.data] == ["urgent", "high", "low"]
    assert all(list(t.y) == ["billing", "system"] for t in fig.data)
    assert [list(t.x) for t in fig.data] == [[0.0, 1.0], [0.75, 0.0], [0.25, 0.0]]


def test_team_messages_draw_messages_and_read_share():
    frame = pd.DataFrame({"organization": ["A", "A", "B"], "slug": ["a", "a-2", "b"], "messages": [3, 2, 1],
                          "to_a_recipient": [2, 2, 0], "read": [1, 2, 0], "read_share": [0.5, 1.0, float("nan")],
                          "senders": [2, 1, 1]})
    bars, share = figures.team_messages(frame).data
    assert list(bars.x) == ["A (a)", "A (a-2)", "B"] and list(bars.y) == [3, 2, 1]
    assert share.yaxis == "y2" and list(share.y) == [0.5, 1.0, None]


def test_subscriptions_stack_active_and_inactive():
    frame = pd.DataFrame({"email_type": ["weekly_digest", "marketing"], "subscriptions": [3, 1], "active": [2, 0],
                          "inactive": [1, 1], "active_share": [0.6667, 0.0]})
    fig = figures.subscriptions(frame)
    assert [(t.name, list(t.x), list(t.y)) for t in fig.data] == [
        ("active", ["weekly_digest", "marketing"], [2, 0]), ("inactive", ["weekly_digest", "marketing"], [1, 1])]


@pytest.mark.parametrize("draw, frame", [
    (lambda f: figures.sent_by_type(f, "month"), empty_frame(nr.PER_PERIOD_COLUMNS)),
    (lambda f: figures.sent_and_read(f, "month"), empty_frame(nr.TOTALS_COLUMNS)),
    (figures.read_rates, empty_frame(analytics.NOTIFICATION_COLUMNS)),
    (figures.priority_mix, empty_frame(nr.PRIORITY_COLUMNS)),
    (figures.team_messages, empty_frame(nr.MESSAGES_BY_ORG_COLUMNS)),
    (figures.subscriptions, empty_frame(nr.SUBSCRIPTION_COLUMNS)),
])
def test_no_rows_give_a_titled_figure_saying_no_data(draw, frame):
    fig = draw(frame)
    assert is_no_data(fig) and has_titles(fig)
