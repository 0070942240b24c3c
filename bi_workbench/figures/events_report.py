"""Figures of report ``05_events_audit``: each takes a frame of `bi_workbench.domain.events_report` and returns a Figure.

Every figure has a title and axis titles; a frame without rows gives the same
figure with no traces and a centred "no data" annotation (with the reason when
one is given, e.g. "no audited changes in this period"), so a report on an empty
selection still runs and says why a chart is blank.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .common import mark_incomplete, no_data, titled


def _months(values: pd.Series) -> list:
    """Return month dates as datetimes (plotly draws them on a date axis)."""
    return [pd.Timestamp(v).to_pydatetime() for v in values]


def events_by_month(frame: pd.DataFrame) -> go.Figure:
    """Return events per month as bars stacked by aggregate type.

    ``frame``: `events_report.events_by_month` (month, complete, aggregate_type, events); the month the
    report's bound cuts is shaded (its count is partial).
    """
    title, x_title, y_title = "Events per month by aggregate type", "month (UTC)", "events"
    if frame.empty:
        return no_data(title, x_title, y_title)
    traces = [go.Bar(x=_months(rows["month"]), y=[int(v) for v in rows["events"]], name=str(kind))
              for kind, rows in frame.groupby("aggregate_type", sort=True, observed=True)]
    fig = mark_incomplete(go.Figure(traces), frame.assign(month=_months(frame["month"])), period="month")
    return titled(fig, title, x_title, y_title, barmode="stack", showlegend=True)


def events_by_type(frame: pd.DataFrame) -> go.Figure:
    """Return events per event type as horizontal bars, grouped by aggregate type (one trace each).

    ``frame``: `events_report.events_by_type`.
    """
    title, x_title, y_title = "Events by event type", "events", "event type"
    if frame.empty:
        return no_data(title, x_title, y_title)
    traces = [go.Bar(x=[int(v) for v in rows["events"]], y=list(rows["event_type"]), orientation="h", name=str(kind))
              for kind, rows in frame.groupby("aggregate_type", sort=True, observed=True)]
    return titled(go.Figure(traces), title, x_title, y_title, yaxis={"autorange": "reversed"}, showlegend=True)


def snapshot_coverage(frame: pd.DataFrame) -> go.Figure:
    """Return, per aggregate type, the aggregates with and without a snapshot as stacked bars.

    ``frame``: `events_report.snapshot_coverage`.
    """
    title, x_title, y_title = "Snapshot coverage of the event streams", "aggregate type", "aggregates"
    if frame.empty:
        return no_data(title, x_title, y_title)
    kinds = list(frame["aggregate_type"])
    with_snapshot = [int(v) for v in frame["with_snapshot"]]
    fig = go.Figure([
        go.Bar(x=kinds, y=with_snapshot, name="with a snapshot"),
        go.Bar(x=kinds, y=[int(a) - s for a, s in zip(frame["aggregates"], with_snapshot)], name="replayed in full"),
    ])
    return titled(fig, title, x_title, y_title, barmode="stack")


def audit_activity(frame: pd.DataFrame) -> go.Figure:
    """Return audited changes per table as bars stacked by operation; 'no audited changes' when empty.

    ``frame``: `events_report.audit_activity`.
    """
    title, x_title, y_title = "Audited changes by table and operation", "table", "changes"
    if frame.empty:
        return no_data(title, x_title, y_title, "no audited changes in this period")
    traces = [go.Bar(x=list(rows["table_name"]), y=[int(v) for v in rows["changes"]], name=str(operation))
              for operation, rows in frame.groupby("operation", sort=True, observed=True)]
    return titled(go.Figure(traces), title, x_title, y_title, barmode="stack")


def partition_rows(frame: pd.DataFrame) -> go.Figure:
    """Return the rows of each monthly partition as bars, one trace per partitioned table.

    ``frame``: `events_report.partition_rows`; the default partition (no month) is left out of the chart.
    """
    title, x_title, y_title = "Rows per monthly partition", "partition month (UTC)", "rows"
    monthly = frame[frame["month"].notna()] if not frame.empty else frame
    if monthly.empty:
        return no_data(title, x_title, y_title)
    traces = [go.Bar(x=_months(rows["month"]), y=[int(v) for v in rows["rows"]], name=str(parent))
              for parent, rows in monthly.groupby("parent", sort=True, observed=True)]
    return titled(go.Figure(traces), title, x_title, y_title, barmode="group", showlegend=True)
