"""Figures of report ``06_dashboard_analytics``: each takes a frame of `bi_workbench.domain.engagement_report`.

Every figure has a title and axis titles; a frame without rows (or without a
single user, for the funnel) gives the same figure without traces and a centred
"no data" annotation (`no_data`). Times are drawn as naive UTC. `titled`,
`no_data` and `naive_utc` are shared with the notifications and migration figures.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..metrics.special import FUNNEL_WINDOW_DAYS

from .common import mark_incomplete, naive_utc, no_data, titled


def organization_labels(frame: pd.DataFrame) -> list[str]:
    """Return the organizations' names, with the slug added to names that repeat (plotly merges equal labels)."""
    names = frame["organization"].astype(str)
    repeated = names.duplicated(keep=False)
    slugs = frame["slug"] if "slug" in frame else pd.Series([""] * len(frame), index=frame.index)
    return [f"{n} ({s})" if r and isinstance(s, str) and s else n for n, s, r in zip(names, slugs, repeated)]


def over_only(values, complete) -> list:
    """Return ``values`` where the period is over, None (a break in the line) where it is not or is missing."""
    return [None if not c or pd.isna(v) else float(v) for v, c in zip(values, complete)]


def partial_points(x, values, complete, name: str, **trace) -> list[go.Scatter]:
    """Return hollow markers of the periods not over (none when every period is), named '<name> so far'.

    A period the report's bound cuts holds part of its data: it is shown apart, never as the end of a line.
    """
    points = [(p, v) for p, v, c in zip(x, values, complete) if not c and not pd.isna(v)]
    if not points:
        return []
    return [go.Scatter(x=[p for p, _ in points], y=[float(v) for _, v in points], name=f"{name} so far",
                       mode="markers", marker={"symbol": "circle-open", "size": 10}, **trace)]


def active_users(frame: pd.DataFrame, granularity: str = "week") -> go.Figure:
    """Return active users per period as a line and events as bars on a second axis.

    ``frame``: `engagement_report.activity` (period, complete, active_users, events); a period not over
    at the report's bound is shaded (`mark_incomplete`) and its active users drawn as a hollow marker,
    not as the end of the line: its numbers are partial, not a drop.
    """
    title, x_title, y_title = f"Active users per {granularity}", f"{granularity} (UTC)", "active users"
    if frame.empty:
        return no_data(title, x_title, y_title)
    periods = naive_utc(frame["period"])
    fig = go.Figure([
        go.Bar(x=periods, y=list(frame["events"]), name="events", yaxis="y2", opacity=0.35),
        go.Scatter(x=periods, y=over_only(frame["active_users"], frame["complete"]), name="active users",
                   mode="lines"),
        *partial_points(periods, frame["active_users"], frame["complete"], "active users"),
    ])
    mark_incomplete(fig, frame.assign(period=periods))
    return titled(fig, title, x_title, y_title,
                  yaxis={"rangemode": "tozero"},
                  yaxis2={"title": {"text": "events"}, "overlaying": "y", "side": "right", "rangemode": "tozero",
                          "tickmode": "auto", "showgrid": False},
                  legend={"orientation": "h", "y": -0.2})


def event_mix(frame: pd.DataFrame) -> go.Figure:
    """Return events per event type as horizontal bars stacked by source, the most frequent type on top.

    ``frame``: `engagement_report.event_mix`.
    """
    title, x_title, y_title = "Analytics events by type and source", "events", "event type"
    if frame.empty:
        return no_data(title, x_title, y_title)
    sources = [s for s in ("web", "mobile", "api", "other_sources") if frame[s].sum() > 0]
    fig = go.Figure([go.Bar(x=list(frame[s]), y=list(frame["event_type"]), orientation="h",
                            name=s.replace("_", " ")) for s in sources])
    return titled(fig, title, x_title, y_title, barmode="stack", yaxis={"autorange": "reversed"})


def funnel(frame: pd.DataFrame) -> go.Figure:
    """Return the funnel: users reaching each step, in step order, with the share of the first step.

    ``frame``: `engagement_report.funnel_steps`; a funnel that no user entered has no trace. The caption
    states the rule: each step counts at or after the previous one (a repeated step strictly after), within
    `FUNNEL_WINDOW_DAYS` of entering.
    """
    title, x_title, y_title = FUNNEL_TITLE, "users", "step"
    if frame.empty or int(frame["users"].max()) == 0:
        return no_data(title, x_title, y_title)
    ordered = frame.sort_values("step_number")
    fig = go.Figure(go.Funnel(x=list(ordered["users"]), y=list(ordered["step"]), textinfo="value+percent initial",
                              name="users"))
    return titled(fig, title, x_title, y_title)


#: The funnel's title and caption: the strict order of its steps.
FUNNEL_TITLE = ("Funnel: users reaching each step<br><sup>in this order, each step at or after the previous one, "
                f"within {FUNNEL_WINDOW_DAYS} days of the first</sup>")


def retention_heatmap(frame: pd.DataFrame) -> go.Figure:
    """Return retention as a heatmap: a row per monthly signup cohort (oldest on top), a column per month after signup.

    ``frame``: `engagement_report.retention_matrix` (long); months not over at the bound are blank (never 0).
    """
    title, x_title, y_title = "Retention by signup cohort", "months after signup", "signup cohort (month)"
    if frame.empty:
        return no_data(title, x_title, y_title)
    wide = frame.pivot_table(index="cohort", columns="period_number", values="retention", aggfunc="first").sort_index()
    sizes = frame.groupby("cohort")["cohort_size"].first().reindex(wide.index)
    labels = [f"{pd.Timestamp(c):%Y-%m} (n={int(n)})" for c, n in zip(wide.index, sizes)]
    z = [[None if pd.isna(v) else float(v) for v in row] for row in wide.to_numpy()]
    fig = go.Figure(go.Heatmap(z=z, x=[int(c) for c in wide.columns], y=labels, zmin=0, zmax=1,
                               colorscale="Blues", colorbar={"title": {"text": "retained"}, "tickformat": ".0%"},
                               hovertemplate="%{y}, month %{x}: %{z:.1%}<extra></extra>"))
    return titled(fig, title, x_title, y_title, yaxis={"autorange": "reversed", "type": "category"},
                  height=max(400, 18 * len(labels) + 150))


def session_lengths(frame: pd.DataFrame) -> go.Figure:
    """Return median and p90 session minutes per group as grouped bars, groups labelled 'dimension: group'.

    ``frame``: `engagement_report.session_lengths_by`.
    """
    title, x_title, y_title = "Session length by device and source", "group", "minutes"
    if frame.empty:
        return no_data(title, x_title, y_title)
    labels = [f"{d}: {g}" for d, g in zip(frame["dimension"], frame["group"])]
    fig = go.Figure([
        go.Bar(x=labels, y=list(frame["median_minutes"]), name="median", customdata=list(frame["sessions"]),
               hovertemplate="%{x}: median %{y} min over %{customdata} sessions<extra></extra>"),
        go.Bar(x=labels, y=list(frame["p90_minutes"]), name="90th percentile"),
    ])
    return titled(fig, title, x_title, y_title, barmode="group")


def widgets_by_type(frame: pd.DataFrame) -> go.Figure:
    """Return dashboard widgets per type as bars stacked active / inactive, the most used type first.

    ``frame``: `engagement_report.widgets_by_type`.
    """
    return active_and_inactive(frame, "widget_type", "Dashboard widgets by type", "widget type", "widgets")


def active_and_inactive(frame: pd.DataFrame, category: str, title: str, x_title: str, y_title: str) -> go.Figure:
    """Return bars per ``category`` value stacked active / inactive, the active share in the hover text.

    ``frame``: columns ``category``, active, inactive, active_share (widgets, email subscriptions).
    """
    if frame.empty:
        return no_data(title, x_title, y_title)
    values = list(frame[category])
    fig = go.Figure([
        go.Bar(x=values, y=list(frame["active"]), name="active", customdata=list(frame["active_share"]),
               hovertemplate="%{x}: %{y} active (%{customdata:.0%})<extra></extra>"),
        go.Bar(x=values, y=list(frame["inactive"]), name="inactive"),
    ])
    return titled(fig, title, x_title, y_title, barmode="stack")


def top_organizations(frame: pd.DataFrame) -> go.Figure:
    """Return the organizations' activity as horizontal bars, stacked assessments / growth levers / simulations.

    The most active organization is on top.

    ``frame``: `engagement_report.top_organizations`.
    """
    title, x_title, y_title = "Most active organizations", "assessments + growth levers + simulations", \
        "organization"
    if frame.empty:
        return no_data(title, x_title, y_title)
    names = organization_labels(frame)
    fig = go.Figure([go.Bar(x=list(frame[c]), y=names, orientation="h", name=c.replace("_", " "))
                     for c in ("assessments", "growth_levers", "simulations")])
    return titled(fig, title, x_title, y_title, barmode="stack", yaxis={"autorange": "reversed"})
