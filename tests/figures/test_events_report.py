"""Figures of the events and audit report: the data each figure draws, titles, and 'no data' when empty."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from bi_workbench.domain import analytics, events_report
from bi_workbench.figures.common import NO_DATA
from bi_workbench.figures import events_report as figures

JAN, FEB = dt.date(2025, 1, 1), dt.date(2025, 2, 1)


def annotations(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def assert_labelled(fig) -> None:
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_events_per_month_stack_one_trace_per_aggregate_type():
    frame = pd.DataFrame({"month": [JAN, JAN, FEB], "complete": [True, True, False],
                          "aggregate_type": ["assessment", "simulation", "assessment"], "events": [3, 1, 2]})
    fig = figures.events_by_month(frame)
    assert [t.name for t in fig.data] == ["assessment", "simulation"]
    assert [list(t.y) for t in fig.data] == [[3, 2], [1]]
    assert [pd.Timestamp(x).date() for x in fig.data[0].x] == [JAN, FEB]
    assert fig.layout.barmode == "stack"
    assert [pd.Timestamp(s.x0).date() for s in fig.layout.shapes] == [FEB]  # February is not over: partial
    assert_labelled(fig)


def test_events_by_type_one_trace_per_aggregate_type():
    frame = pd.DataFrame({"aggregate_type": ["assessment", "assessment", "simulation"],
                          "event_type": ["assessment_created", "assessment_scored", "simulation_started"],
                          "events": [5, 4, 2], "aggregates": [5, 4, 2], "first_event": [JAN] * 3, "last_event": [FEB] * 3})
    fig = figures.events_by_type(frame)
    assert [(t.name, list(t.y), list(t.x)) for t in fig.data] == [
        ("assessment", ["assessment_created", "assessment_scored"], [5, 4]),
        ("simulation", ["simulation_started"], [2])]


def test_snapshot_coverage_splits_the_aggregates():
    frame = pd.DataFrame({"aggregate_type": ["assessment", "simulation"], "aggregates": [10, 4],
                          "with_snapshot": [3, 0], "coverage": [0.3, 0.0], "longest_stream": [3, 2],
                          "mean_events_to_replay": [1.0, 2.0], "max_events_to_replay": [3, 2]})
    fig = figures.snapshot_coverage(frame)
    assert [(t.name, list(t.y)) for t in fig.data] == [("with a snapshot", [3, 0]), ("replayed in full", [7, 4])]
    assert list(fig.data[0].x) == ["assessment", "simulation"]


def test_audit_activity_stacks_operations_per_table_and_says_why_it_is_empty():
    frame = pd.DataFrame({"table_name": ["organizations", "organizations", "users"],
                          "operation": ["INSERT", "UPDATE", "UPDATE"], "changes": [1, 4, 2], "records": [1, 2, 2],
                          "users": [1, 1, 1], "first_change": [JAN] * 3, "last_change": [FEB] * 3})
    fig = figures.audit_activity(frame)
    assert [(t.name, list(t.x), list(t.y)) for t in fig.data] == [
        ("INSERT", ["organizations"], [1]), ("UPDATE", ["organizations", "users"], [4, 2])]
    empty = figures.audit_activity(pd.DataFrame(columns=events_report.AUDIT_COLUMNS))
    assert len(empty.data) == 0
    assert annotations(empty) == ["no data: no audited changes in this period"]
    assert_labelled(empty)


def test_partition_rows_leave_the_default_partition_out_of_the_chart():
    frame = pd.DataFrame({"parent": ["analytics_events", "analytics_events", "audit_log"],
                          "partition": ["analytics_events_2025_01", "analytics_events_default", "audit_log_2025_02"],
                          "month": [JAN, None, FEB], "rows": [5, 2, 1]})
    fig = figures.partition_rows(frame)
    assert [(t.name, list(t.y)) for t in fig.data] == [("analytics_events", [5]), ("audit_log", [1])]
    alone = figures.partition_rows(frame[frame["parent"] == "analytics_events"])
    assert alone.layout.showlegend is True  # one table: the legend still names it
    only_default = figures.partition_rows(frame[frame["month"].isna()])
    assert annotations(only_default) == [NO_DATA] and len(only_default.data) == 0


def test_an_empty_database_draws_no_data_figures(schema_database):
    with events_report.read_only_connection(schema_database) as conn:
        bounds = analytics.report_bounds(conn, {})
        assert len(figures.events_by_month(events_report.events_by_month(conn, bounds)).data) == 0
        assert len(figures.events_by_type(events_report.events_by_type(conn, bounds)).data) == 0
        assert len(figures.snapshot_coverage(events_report.snapshot_coverage(conn, bounds)).data) == 0
        assert len(figures.audit_activity(events_report.audit_activity(conn, bounds)).data) == 0
        assert len(figures.partition_rows(events_report.partition_rows(conn, bounds)).data) == 0
