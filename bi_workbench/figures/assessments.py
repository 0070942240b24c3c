"""Figures of report ``02_assessments``: each takes a frame of `bi_workbench.domain.assessments_report`.

Every figure has a title and axis titles; a frame without rows gives a figure
with no traces and the annotation "no data" (`bi_workbench.figures.users_orgs.no_data`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..domain.assessments_report import ALL, EVIDENCE_ROW
from ..domain.scoring import load_rubric
from ..domain.users_orgs import in_order
from .common import mark_incomplete, naive_utc, no_data, titled

#: One colour per rubric bracket (others get plotly's defaults), so every figure colours brackets alike.
BRACKET_COLOURS = {"emerging": "#d62728", "developing": "#ff7f0e", "scaling": "#1f77b4", "leading": "#2ca02c"}
SCORE_AXIS = {"range": [0, 5]}
#: The 0-5 scale with a margin, so markers at 0 and 5 are drawn whole.
SCATTER_AXIS = {"range": [-0.1, 5.1]}


def volumes_per_month(frame: pd.DataFrame) -> go.Figure:
    """Return assessments started per month and how many of them are scored, as grouped bars.

    ``frame``: `assessments_report.volumes_per_month` (period, complete, assessments, completed, scored);
    a month not over at the selection's as_of is shaded (`mark_incomplete`).
    """
    title, x_title, y_title = "Assessments per month", "month started (UTC)", "assessments"
    if frame.empty:
        return no_data(title, x_title, y_title)
    months = naive_utc(frame["period"])
    fig = go.Figure([go.Bar(x=months, y=list(frame["assessments"]), name="started"),
                     go.Bar(x=months, y=list(frame["scored"]), name="scored")])
    mark_incomplete(fig, frame.assign(period=months))
    return titled(fig, title, x_title, y_title, barmode="group", legend={"orientation": "h", "y": -0.2})


def score_distribution(frame: pd.DataFrame) -> go.Figure:
    """Return the histogram of overall scores, one trace (colour) per bracket, bars as wide as the bins.

    ``frame``: `assessments_report.score_distribution` (bin_start, bin_end, bracket, assessments).
    """
    title, x_title, y_title = "Distribution of overall scores", "overall score (0-5)", "assessments"
    if frame.empty:
        return no_data(title, x_title, y_title)
    traces = []
    for bracket in in_order(frame["bracket"].dropna(), load_rubric().bracket_names):
        part = frame[frame["bracket"] == bracket]
        traces.append(go.Bar(
            x=[round((a + b) / 2, 6) for a, b in zip(part["bin_start"], part["bin_end"])], y=list(part["assessments"]),
            width=[round(b - a, 6) for a, b in zip(part["bin_start"], part["bin_end"])], name=bracket,
            marker={"color": BRACKET_COLOURS.get(bracket), "line": {"width": 1, "color": "white"}},
            customdata=list(zip(part["bin_start"], part["bin_end"])),
            hovertemplate="%{customdata[0]:.2f}-%{customdata[1]:.2f}: %{y}<extra>%{fullData.name}</extra>",
        ))
    return titled(go.Figure(traces), title, x_title, y_title, barmode="overlay", xaxis=SCORE_AXIS,
                  legend={"title": {"text": "bracket"}})


def brackets(frame: pd.DataFrame) -> go.Figure:
    """Return the scored assessments per bracket as bars, in the rubric's order.

    ``frame``: `assessments_report.brackets` (bracket, assessments, share, ...).
    """
    title, x_title, y_title = "Scored assessments by bracket", "bracket", "assessments"
    if frame.empty:
        return no_data(title, x_title, y_title)
    fig = go.Figure(go.Bar(
        x=list(frame["bracket"]), y=list(frame["assessments"]), name="assessments",
        marker={"color": [BRACKET_COLOURS.get(b, "#7f7f7f") for b in frame["bracket"]]},
        customdata=list(frame["share"]), hovertemplate="%{x}: %{y} (%{customdata:.1%})<extra></extra>",
    ))
    return titled(fig, title, x_title, y_title, xaxis={"type": "category"})


def category_heatmap(categories: pd.DataFrame) -> go.Figure:
    """Return the mean stored category score per bracket (rows) and category (columns) as a heatmap on the 0-5 scale.

    ``categories``: `assessments_report.category_scores` (bracket, category, scores, mean, ...);
    the rows 'all' are left out; brackets and categories keep the frame's order.
    """
    title, x_title, y_title = "Mean category score by bracket", "category", "bracket"
    per_bracket = categories[categories["bracket"] != ALL]
    if per_bracket.empty:
        return no_data(title, x_title, y_title)
    rows, columns = list(dict.fromkeys(per_bracket["bracket"])), list(dict.fromkeys(per_bracket["category"]))
    z = per_bracket.pivot(index="bracket", columns="category", values="mean").reindex(index=rows, columns=columns)
    values = [[None if pd.isna(v) else float(v) for v in row] for row in z.to_numpy()]
    fig = go.Figure(go.Heatmap(z=values, x=columns, y=rows, zmin=0, zmax=5, colorscale="RdYlGn",
                               text=[["" if v is None else f"{v:.2f}" for v in row] for row in values],
                               texttemplate="%{text}", colorbar={"title": {"text": "mean score"}}))
    return titled(fig, title, x_title, y_title, yaxis={"autorange": "reversed", "type": "category"},
                  xaxis={"type": "category"})


def category_contributions(explanation: pd.DataFrame) -> go.Figure:
    """Return how much each answer added to the overall rubric score, stacked per category (rubric order).

    ``explanation``: `assessments_report.explanation_table`; one trace per scored
    question (its ``overall_contribution``), so the bars of a category sum to the
    category's share of the overall score and all bars to the overall score, which
    the title states.
    """
    title = "Contributions of the answers to the rubric score"
    x_title, y_title = "category", "points of the overall score"
    scored = explanation[(explanation["category"] != "") & (explanation["question"] != EVIDENCE_ROW)]
    if scored.empty:
        return no_data(title, x_title, y_title)
    categories = in_order(scored["category"], load_rubric().categories)
    traces = []
    for row in scored.sort_values("question", kind="stable").itertuples(index=False):
        traces.append(go.Bar(
            x=[row.category], y=[float(row.overall_contribution)], name=row.question,
            customdata=[[row.answer or row.status, row.points]],
            hovertemplate="%{fullData.name}: %{customdata[0]} -> %{y:.2f}<extra></extra>",
        ))
    total = round(float(scored["overall_contribution"].sum()), 2)
    return titled(go.Figure(traces), f"{title} (overall {total:.2f})", x_title, y_title, barmode="stack",
                  xaxis={"type": "category", "categoryorder": "array", "categoryarray": categories},
                  legend={"title": {"text": "question"}})


def confusion_heatmap(confusion: pd.DataFrame) -> go.Figure:
    """Return the bracket confusion table (legacy bracket rows x rubric bracket columns) as an annotated heatmap.

    ``confusion``: `assessments_report.confusion_table`; no matched assessment (all zeros) gives "no data".
    """
    title, x_title, y_title = "Legacy bracket against the rubric's bracket", "rubric bracket", "legacy bracket"
    if confusion.empty or int(confusion.to_numpy().sum()) == 0:
        return no_data(title, x_title, y_title)
    z = [[int(v) for v in row] for row in confusion.to_numpy()]
    fig = go.Figure(go.Heatmap(z=z, x=[str(c) for c in confusion.columns], y=[str(i) for i in confusion.index],
                               colorscale="Blues", text=[[str(v) for v in row] for row in z], texttemplate="%{text}",
                               colorbar={"title": {"text": "assessments"}}))
    return titled(fig, title, x_title, y_title, yaxis={"autorange": "reversed", "type": "category"},
                  xaxis={"type": "category", "side": "top"})


#: Above this many assessments the comparison is drawn as counts per score cell: 100k markers hide each other
#: and weigh megabytes in every rendered report.
SCATTER_POINTS_MAX = 5_000
#: The width of a score cell of the dense comparison (0-5 in 50 cells).
SCORE_CELL = 0.1


def legacy_vs_rubric(points: pd.DataFrame) -> go.Figure:
    """Return each assessment's legacy score (x) against its rubric score (y), agreeing brackets apart, with y = x.

    ``points``: `assessments_report.comparison_points` (legacy_score, rubric_score, ..., agree).
    Up to `SCATTER_POINTS_MAX` points, one marker per assessment; beyond, one heatmap
    trace "assessments" of counts per `SCORE_CELL` x `SCORE_CELL` cell (0 shown empty).
    """
    title, x_title, y_title = "Legacy score against the rubric's score", "legacy score (0-5)", "rubric score (0-5)"
    if points.empty:
        return no_data(title, x_title, y_title)
    traces = _score_cells(points) if len(points) > SCATTER_POINTS_MAX else _score_markers(points)
    traces.append(go.Scatter(x=[0, 5], y=[0, 5], mode="lines", name="same score",
                             line={"dash": "dot", "color": "grey"}))
    return titled(go.Figure(traces), title, x_title, y_title, xaxis=SCATTER_AXIS, yaxis=SCATTER_AXIS)


def _score_markers(points: pd.DataFrame) -> list:
    traces = []
    for agree, name in ((True, "same bracket"), (False, "other bracket")):
        part = points[points["agree"] == agree]
        traces.append(go.Scatter(
            x=part["legacy_score"].to_numpy(float), y=part["rubric_score"].to_numpy(float), mode="markers", name=name,
            customdata=part[["legacy_bracket", "rubric_bracket"]].to_numpy(object),
            hovertemplate="legacy %{x:.2f} (%{customdata[0]}), rubric %{y:.2f} (%{customdata[1]})<extra></extra>",
        ))
    return traces


def _score_cells(points: pd.DataFrame) -> list:
    edges = np.arange(round(5 / SCORE_CELL) + 1) / round(1 / SCORE_CELL)  # k/10 exactly: 2.30 starts a cell
    counts, _, _ = np.histogram2d(points["rubric_score"].to_numpy(float), points["legacy_score"].to_numpy(float),
                                  bins=(edges, edges))
    centres = (edges[:-1] + edges[1:]) / 2
    return [go.Heatmap(x=centres, y=centres, z=np.where(counts > 0, counts, np.nan), name="assessments",
                       colorscale="Blues", colorbar={"title": "assessments"},
                       hovertemplate="legacy %{x:.2f}, rubric %{y:.2f}: %{z} assessments<extra></extra>")]
