"""Figures of report 07_notifications: traces, values, titles; a 'no data' figure for no rows."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from bi_workbench.figures import notifications as figures
from tests.figures.drawn import has_titles, naive as utc, shaded


PER_PERIOD = pd.DataFrame({"period": utc("2025-01-06", "2025-01-20", "2025-01-20"), "complete": [True, False, False],
                           "type": ["billing", "billing", "system"], "sent": [2, 1, 1], "read": [1, 1, 1]})
TOTALS = pd.DataFrame({"period": utc("2025-01-06", "2025-01-13", "2025-01-20"), "complete": [True, True, False],
                       "sent": [2, 0, 2], "read": [1, 0, 2], "read_rate": [0.5, float("nan"), 1.0]})


def test_sent_by_type_stacks_one_trace_per_type():
    fig = figures.sent_by_type(PER_PERIOD, "week")
    assert [t.name for t in fig.data] == ["billing", "system"] and fig.layout.barmode == "stack"
    assert list(fig.data[0].x) == [datetime(2025, 1, 6), datetime(2025, 1, 20)] and list(fig.data[0].y) == [2, 1]
    assert list(fig.data[1].y) == [1] and has_titles(fig)
    assert shaded(fig) == [pd.Timestamp("2025-01-20")]  # the week the bound cuts


def test_sent_and_read_draw_the_read_rate_on_a_second_axis_with_gaps_for_quiet_periods():
    over = figures.sent_and_read(TOTALS.assign(complete=True), "week")
    sent, read, rate = over.data
    assert list(sent.y) == [2, 0, 2] and list(read.y) == [1, 0, 2]
    assert rate.yaxis == "y2" and list(rate.y) == [0.5, None, 1.0]
    assert not shaded(over)


def test_a_week_not_over_is_shaded_and_drawn_apart_never_as_the_end_of_a_line():
    """Issue 10, example 5: the last week's read rate covers a few days; it must not read as a collapse."""
    fig = figures.sent_and_read(TOTALS, "week")
    sent, read, rate, *partial = fig.data
    assert list(sent.y) == [2, 0, None] and list(read.y) == [1, 0, None] and list(rate.y) == [0.5, None, None]
    assert [(t.name, list(t.y), t.mode) for t in partial] == [
        ("sent so far", [2.0], "markers"), ("read so far", [2.0], "markers"), ("read rate so far", [1.0], "markers")]
    assert partial[-1].yaxis == "y2" and shaded(fig) == [pd.Timestamp("2025-01-20")]


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
