"""Figures of report ``04_growth``: each takes a frame of `bi_workbench.domain.growth_report` and returns a Figure.

Every figure has a title and axis titles; a frame without rows (or, for the
funnel, without plans) gives the same figure with no traces and a centred
"no data" annotation, so a report on an empty selection still runs and says
why a chart is blank.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .common import mark_incomplete, no_data, titled

#: Colours of the milestone statuses and simulation statuses (stable from one report to the next).
STATUS_COLOURS = {"completed": "#2ca02c", "in_progress": "#1f77b4", "not_started": "#c7c7c7", "failed": "#d62728",
                  "running": "#ff7f0e", "unknown": "#7f7f7f"}


def _ranged_bar(x, low, mid, high, name: str) -> go.Bar:
    """Return bars at `mid` with asymmetric error bars reaching down to `low` and up to `high` (same-length sequences)."""
    mid = list(mid)
    return go.Bar(x=list(x), y=mid, name=name,
                  error_y={"type": "data", "symmetric": False,
                           "array": [h - m for h, m in zip(high, mid)],
                           "arrayminus": [m - lo for m, lo in zip(mid, low)]})


def lever_status_funnel(frame: pd.DataFrame) -> go.Figure:
    """Return the lever plans reaching each stage as a funnel (rejected plans left out).

    ``frame``: `growth_report.lever_status_funnel` (stage, plans, share_of_suggested, ...).
    """
    title, x_title, y_title = "Lever plans by stage reached", "plans", "stage"
    stages = frame[frame["stage"] != "rejected"]
    if stages.empty or stages["plans"].sum() == 0:
        return no_data(title, x_title, y_title)
    fig = go.Figure(go.Funnel(x=[int(v) for v in stages["plans"]], y=list(stages["stage"]), name="plans",
                              textinfo="value+percent initial"))
    return titled(fig, title, x_title, y_title)


def rice_priorities(frame: pd.DataFrame) -> go.Figure:
    """Return the RICE score of each lever as horizontal bars, the best at the top.

    ``frame``: `growth_report.lever_priorities`. When the scores were fitted to
    an organization (rice differs from catalogue_rice), the catalogue's default
    is drawn beside it as a second trace.
    """
    title, x_title, y_title = "RICE priority of each growth lever", "RICE score (reach x impact x confidence / effort)", "lever"
    if frame.empty:
        return no_data(title, x_title, y_title)
    levers = list(frame["lever"])
    traces = [go.Bar(x=list(frame["rice"]), y=levers, orientation="h", name="RICE")]
    if not frame["rice"].equals(frame["catalogue_rice"]):
        traces[0].name = "fitted to the organization"
        traces.append(go.Bar(x=list(frame["catalogue_rice"]), y=levers, orientation="h", name="catalogue default"))
    fig = go.Figure(traces)
    return titled(fig, title, x_title, y_title, yaxis={"autorange": "reversed"}, barmode="group")


def roi_ranges(frame: pd.DataFrame) -> go.Figure:
    """Return each lever's expected ROI as a bar with its low-high range as error bars.

    ``frame``: `growth_report.roi_table` (lever, metric, roi_low, roi_expected, roi_high).
    """
    title, x_title, y_title = "ROI over the horizon, low to high", "lever", "ROI multiple ((revenue - cost) / cost)"
    if frame.empty:
        return no_data(title, x_title, y_title)
    fig = go.Figure(_ranged_bar(frame["lever"], frame["roi_low"], frame["roi_expected"], frame["roi_high"],
                                "expected ROI"))
    fig.add_hline(y=0, line={"dash": "dot", "color": "#7f7f7f"})
    return titled(fig, title, x_title, y_title)


def progress_by_lever(frame: pd.DataFrame) -> go.Figure:
    """Return the milestones of each lever as stacked horizontal bars: completed, in progress, not started.

    ``frame``: `growth_report.progress_by_lever`.
    """
    title, x_title, y_title = "Milestones per lever by status", "milestones", "lever"
    if frame.empty:
        return no_data(title, x_title, y_title)
    levers = list(frame["lever"])
    fig = go.Figure([
        go.Bar(x=[int(v) for v in frame[status]], y=levers, orientation="h", name=status.replace("_", " "),
               marker={"color": STATUS_COLOURS[status]})
        for status in ("completed", "in_progress", "not_started")
    ])
    return titled(fig, title, x_title, y_title, barmode="stack", yaxis={"autorange": "reversed"})


def mrr_bands(frame: pd.DataFrame, target_mrr: float | None = None) -> go.Figure:
    """Return the simulated MRR per month: the P10-P90 band shaded, the P50 line, and the target if any.

    ``frame``: `growth_report.band_table` (month, p10, p50, p90, mean).
    """
    title, x_title, y_title = "Simulated MRR: median and P10-P90 band", "month", "MRR"
    if frame.empty:
        return no_data(title, x_title, y_title)
    months = [int(m) for m in frame["month"]]
    fig = go.Figure([
        go.Scatter(x=months, y=list(frame["p10"]), name="P10", mode="lines", line={"width": 0.5, "color": "#1f77b4"}),
        go.Scatter(x=months, y=list(frame["p90"]), name="P90", mode="lines", line={"width": 0.5, "color": "#1f77b4"},
                   fill="tonexty", fillcolor="rgba(31, 119, 180, 0.2)"),
        go.Scatter(x=months, y=list(frame["p50"]), name="P50", mode="lines+markers", line={"color": "#1f77b4"}),
    ])
    if target_mrr is not None:
        fig.add_hline(y=float(target_mrr), line={"dash": "dash", "color": "#d62728"}, annotation_text="target")
    return titled(fig, title, x_title, y_title)


def scenario_comparison(frame: pd.DataFrame) -> go.Figure:
    """Return each scenario's final MRR: the P50 as a bar, P10 to P90 as error bars.

    ``frame``: `growth_report.scenario_table`.
    """
    title, x_title, y_title = "Final MRR by scenario (P50, P10-P90)", "scenario", "MRR at the horizon"
    if frame.empty:
        return no_data(title, x_title, y_title)
    fig = go.Figure(_ranged_bar(frame["scenario"], frame["final_mrr_p10"], frame["final_mrr_p50"],
                                frame["final_mrr_p90"], "P50"))
    return titled(fig, title, x_title, y_title)


def tornado(frame: pd.DataFrame) -> go.Figure:
    """Return the tornado: for each input, the P50 final MRR at its low and high value, around the base.

    ``frame``: `growth_report.tornado_table` (largest swing first, drawn at the top).
    """
    title, x_title, y_title = "Sensitivity of the P50 final MRR (tornado)", "change of P50 final MRR against the base", "input"
    if frame.empty:
        return no_data(title, x_title, y_title)
    names = list(frame["parameter"])
    base = frame["base_p50"]
    fig = go.Figure([
        go.Bar(x=list(frame["p50_low"] - base), y=names, orientation="h", name="input low",
               customdata=list(frame["low_value"]), hovertemplate="%{y} = %{customdata}: %{x:+,.2f}<extra></extra>"),
        go.Bar(x=list(frame["p50_high"] - base), y=names, orientation="h", name="input high",
               customdata=list(frame["high_value"]), hovertemplate="%{y} = %{customdata}: %{x:+,.2f}<extra></extra>"),
    ])
    return titled(fig, title, x_title, y_title, barmode="overlay", yaxis={"autorange": "reversed"})


def stored_simulations_by_month(frame: pd.DataFrame) -> go.Figure:
    """Return the stored simulations per month as bars stacked by status.

    ``frame``: `growth_report.stored_simulations_by_month` (month, complete, status, simulations); a month
    not over at the selection's as_of is shaded (`mark_incomplete`).
    """
    title, x_title, y_title = "Stored simulations per month by status", "month (UTC)", "simulations"
    if frame.empty:
        return no_data(title, x_title, y_title)
    traces = []
    for status in sorted(frame["status"].unique()):
        rows = frame[frame["status"] == status]
        traces.append(go.Bar(x=[pd.Timestamp(m).to_pydatetime() for m in rows["month"]],
                             y=[int(v) for v in rows["simulations"]], name=str(status),
                             marker={"color": STATUS_COLOURS.get(str(status), "#9467bd")}))
    fig = mark_incomplete(go.Figure(traces), frame.assign(period=pd.to_datetime(frame["month"])))
    return titled(fig, title, x_title, y_title, barmode="stack", showlegend=True)
