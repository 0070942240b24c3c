"""Figures of report 06_dashboard_analytics: traces, values, titles; a 'no data' figure for no rows."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from bi_workbench.figures import engagement as figures
from tests.figures.drawn import has_titles, is_no_data, naive as utc, shaded


def test_active_users_draws_users_as_a_line_and_events_as_bars_in_naive_utc():
    frame = pd.DataFrame({"period": utc("2025-01-06", "2025-01-13"), "complete": [True, True], "active_users": [2, 1],
                          "events": [5, 0]})
    fig = figures.active_users(frame, "week")
    bars, line = fig.data
    assert (bars.type, line.type) == ("bar", "scatter")
    assert list(line.y) == [2, 1] and list(bars.y) == [5, 0] and bars.yaxis == "y2"
    assert list(line.x) == [datetime(2025, 1, 6), datetime(2025, 1, 13)]
    assert fig.layout.title.text == "Active users per week" and has_titles(fig)
    assert not fig.layout.shapes  # every week is over


def test_active_users_shade_the_period_the_bound_cuts():
    """Issue 10, example 5: the last week holds one day of data; it is marked, not drawn as a plain collapse."""
    frame = pd.DataFrame({"period": utc("2025-01-06", "2025-01-13", "2025-01-20"), "complete": [True, True, False],
                          "active_users": [40, 42, 1], "events": [300, 310, 5]})
    fig = figures.active_users(frame, "week")
    assert shaded(fig) == [pd.Timestamp("2025-01-20")]
    assert "not over" in " ".join(a.text for a in fig.layout.annotations)
    bars, line, partial = fig.data
    assert list(line.y) == [40.0, 42.0, None]  # the line ends with the last week that is over
    assert (partial.name, list(partial.y), partial.mode) == ("active users so far", [1.0], "markers")


def test_event_mix_stacks_the_sources_that_occur():
    frame = pd.DataFrame({"event_type": ["page_view", "signup"], "events": [4, 1], "users": [3, 1],
                          "share": [0.8, 0.2], "web": [3, 0], "mobile": [1, 0], "api": [0, 1], "other_sources": [0, 0]})
    fig = figures.event_mix(frame)
    assert [t.name for t in fig.data] == ["web", "mobile", "api"]
    assert list(fig.data[0].x) == [3, 0] and list(fig.data[0].y) == ["page_view", "signup"]
    assert fig.layout.barmode == "stack" and has_titles(fig)


def test_funnel_draws_the_steps_in_order():
    frame = pd.DataFrame({"step_number": [2, 1], "step": ["upgrade", "signup"], "users": [3, 10],
                          "conversion_from_previous": [0.3, 1.0], "conversion_from_first": [0.3, 1.0]})
    fig = figures.funnel(frame)
    assert fig.data[0].type == "funnel"
    assert list(fig.data[0].y) == ["signup", "upgrade"] and list(fig.data[0].x) == [10, 3]
    assert "at or after the previous one" in fig.layout.title.text  # the caption says the order rule


def test_a_funnel_no_one_entered_has_no_data():
    with_zeros = pd.DataFrame({"step_number": [1, 2], "step": ["signup", "upgrade"], "users": [0, 0],
                               "conversion_from_previous": [float("nan")] * 2,
                               "conversion_from_first": [float("nan")] * 2})
    assert is_no_data(figures.funnel(with_zeros))


def test_retention_heatmap_has_a_row_per_cohort_and_blank_cells_not_observed_yet():
    long = pd.DataFrame({
        "cohort": utc("2025-01-01", "2025-01-01", "2025-02-01"),
        "cohort_size": [4, 4, 2], "period_number": [0, 1, 0], "active_users": [4, 2, 2],
        "retention": [1.0, 0.5, 1.0],
    })
    heat = figures.retention_heatmap(long).data[0]
    assert heat.type == "heatmap"
    assert list(heat.y) == ["2025-01 (n=4)", "2025-02 (n=2)"] and list(heat.x) == [0, 1]
    assert [list(row) for row in heat.z] == [[1.0, 0.5], [1.0, None]]


def test_session_lengths_label_each_group_with_its_dimension():
    frame = pd.DataFrame({"dimension": ["device", "source"], "group": ["desktop", "web"], "sessions": [5, 5],
                          "mean_minutes": [4.0, 4.0], "median_minutes": [3.5, 3.5], "p90_minutes": [9.0, 9.0]})
    fig = figures.session_lengths(frame)
    assert [t.name for t in fig.data] == ["median", "90th percentile"]
    assert list(fig.data[0].x) == ["device: desktop", "source: web"] and list(fig.data[1].y) == [9.0, 9.0]


def test_widgets_stack_active_and_inactive():
    frame = pd.DataFrame({"widget_type": ["funnel", "kpi_card"], "widgets": [3, 2], "active": [2, 2],
                          "inactive": [1, 0], "active_share": [0.6667, 1.0], "users": [2, 1]})
    fig = figures.widgets_by_type(frame)
    assert [(t.name, list(t.y)) for t in fig.data] == [("active", [2, 2]), ("inactive", [1, 0])]
    assert fig.layout.barmode == "stack"


def test_top_organizations_keep_organizations_of_the_same_name_apart():
    frame = pd.DataFrame({"organization": ["Twin", "Solo", "Twin"], "slug": ["twin", "solo", "twin-2"],
                          "members": [1, 1, 1], "assessments": [3, 2, 1], "growth_levers": [1, 1, 0],
                          "simulations": [0, 0, 0], "activity": [4, 3, 1]})
    fig = figures.top_organizations(frame)
    assert [t.name for t in fig.data] == ["assessments", "growth levers", "simulations"]
    assert list(fig.data[0].y) == ["Twin (twin)", "Solo", "Twin (twin-2)"] and list(fig.data[0].x) == [3, 2, 1]
