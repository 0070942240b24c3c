"""Figures of report ``07_notifications``: each takes a frame of `bi_workbench.domain.notifications_report`.

Titles and axis titles are always set; a frame without rows gives a figure
without traces and a centred "no data" annotation (see `bi_workbench.figures.engagement`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..domain.notifications_report import PRIORITY_ORDER
from .common import mark_incomplete, naive_utc, no_data, titled
from .engagement import active_and_inactive, organization_labels, over_only, partial_points

# A right-hand axis of shares, 0% to 100% in steps of 20%, without its own grid.
_SHARE_AXIS = {"overlaying": "y", "side": "right", "range": [0, 1], "tickmode": "linear", "tick0": 0, "dtick": 0.2,
               "tickformat": ".0%", "showgrid": False}


def sent_by_type(frame: pd.DataFrame, granularity: str = "week") -> go.Figure:
    """Return notifications sent per period as bars stacked by type (types by name).

    ``frame``: `notifications_report.notifications_per_period` (period, complete, type, sent, read); a period
    not over at the report's bound is shaded.
    """
    title, x_title, y_title = f"Notifications sent per {granularity}, by type", f"{granularity} (UTC)", "notifications"
    if frame.empty:
        return no_data(title, x_title, y_title)
    traces = []
    for kind in sorted(frame["type"].unique()):
        part = frame[frame["type"] == kind].sort_values("period")
        traces.append(go.Bar(x=naive_utc(part["period"]), y=list(part["sent"]), name=str(kind)))
    fig = mark_incomplete(go.Figure(traces), frame.assign(period=naive_utc(frame["period"])))
    return titled(fig, title, x_title, y_title, barmode="stack")


def sent_and_read(totals: pd.DataFrame, granularity: str = "week") -> go.Figure:
    """Return notifications sent and read per period as lines, and the read rate on a second axis.

    ``totals``: `notifications_report.period_totals` (period, complete, sent, read, read_rate); a period not
    over at the report's bound is shaded and its values drawn as hollow markers, not as the end of the lines
    (its read rate counts only a few days: partial, not a drop).
    """
    title, x_title, y_title = f"Notifications sent and read per {granularity}", f"{granularity} (UTC)", "notifications"
    if totals.empty:
        return no_data(title, x_title, y_title)
    periods, complete = naive_utc(totals["period"]), totals["complete"]
    fig = go.Figure([
        go.Scatter(x=periods, y=over_only(totals["sent"], complete), name="sent", mode="lines"),
        go.Scatter(x=periods, y=over_only(totals["read"], complete), name="read", mode="lines"),
        go.Scatter(x=periods, y=over_only(totals["read_rate"], complete), name="read rate",
                   mode="lines", line={"dash": "dot"}, yaxis="y2"),
        *partial_points(periods, totals["sent"], complete, "sent"),
        *partial_points(periods, totals["read"], complete, "read"),
        *partial_points(periods, totals["read_rate"], complete, "read rate", yaxis="y2"),
    ])
    mark_incomplete(fig, totals.assign(period=periods))
    return titled(fig, title, x_title, y_title,
                  yaxis2={"title": {"text": "read rate"}, **_SHARE_AXIS},
                  legend={"orientation": "h", "y": -0.2})


def read_rates(frame: pd.DataFrame, by: str = "type") -> go.Figure:
    """Return the read rate per group as bars, with the median hours to read in the hover text.

    ``frame``: `notifications_report.read_rates` (group, sent, read, read_rate, median/p90_hours_to_read).
    """
    title, x_title, y_title = f"Read rate of notifications by {by}", by, "read rate"
    if frame.empty:
        return no_data(title, x_title, y_title)
    fig = go.Figure(go.Bar(
        x=list(frame["group"]), y=list(frame["read_rate"]), name="read rate",
        customdata=[[int(s), None if pd.isna(h) else float(h)]
                    for s, h in zip(frame["sent"], frame["median_hours_to_read"])],
        hovertemplate="%{x}: %{y:.1%} of %{customdata[0]} read, median %{customdata[1]} h<extra></extra>",
    ))
    return titled(fig, title, x_title, y_title, yaxis={"range": [0, 1], "tickformat": ".0%"})


def priority_mix(mix: pd.DataFrame) -> go.Figure:
    """Return each notification type's priority mix as 100% stacked horizontal bars (urgent first).

    ``mix``: `notifications_report.priority_mix` (type, priority, sent, share_of_type).
    """
    title, x_title, y_title = "Priority mix by notification type", "share of the type's notifications", "type"
    if mix.empty:
        return no_data(title, x_title, y_title)
    priorities = [p for p in PRIORITY_ORDER if p in set(mix["priority"])]
    priorities += sorted(set(mix["priority"]) - set(PRIORITY_ORDER))
    types = sorted(mix["type"].unique())
    traces = []
    for priority in priorities:
        part = mix[mix["priority"] == priority].set_index("type").reindex(types)
        traces.append(go.Bar(x=[0.0 if pd.isna(v) else float(v) for v in part["share_of_type"]], y=types,
                             orientation="h", name=str(priority)))
    return titled(go.Figure(traces), title, x_title, y_title, barmode="stack",
                  xaxis={"range": [0, 1], "tickformat": ".0%"}, yaxis={"autorange": "reversed"})


def team_messages(frame: pd.DataFrame) -> go.Figure:
    """Return team messages per organization as bars and the read share as markers on a second axis.

    ``frame``: `notifications_report.team_messages_by_organization`.
    """
    title, x_title, y_title = "Team messages by organization", "organization", "messages"
    if frame.empty:
        return no_data(title, x_title, y_title)
    names = organization_labels(frame)
    fig = go.Figure([
        go.Bar(x=names, y=list(frame["messages"]), name="messages"),
        go.Scatter(x=names, y=[None if pd.isna(v) else float(v) for v in frame["read_share"]], name="read share",
                   mode="markers", marker={"size": 10}, yaxis="y2"),
    ])
    return titled(fig, title, x_title, y_title,
                  yaxis2={"title": {"text": "read share"}, **_SHARE_AXIS},
                  legend={"orientation": "h", "y": -0.35})


def subscriptions(frame: pd.DataFrame) -> go.Figure:
    """Return email subscriptions per email type as bars stacked active / inactive.

    ``frame``: `notifications_report.subscriptions_by_type`.
    """
    return active_and_inactive(frame, "email_type", "Email subscriptions by type", "email type", "subscriptions")
