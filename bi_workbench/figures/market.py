"""Figures of report ``03_market_intelligence``: each takes a frame of `bi_workbench.domain.market_report`
(or of `bi_workbench.domain.analytics` where the report uses it as it is).

Every figure has a title and axis titles; a frame without rows gives a figure
with no traces and the annotation "no data" (`bi_workbench.figures.users_orgs.no_data`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .common import mark_incomplete, naive_utc, no_data, titled

#: Colours of the sentiment labels.
SENTIMENT_COLOURS = {"positive": "#2ca02c", "neutral": "#a6a6a6", "negative": "#d62728"}
#: Longest news title shown on the axis of `news_relevance` before it is cut with an ellipsis.
MAX_LABEL_CHARS = 48


def insights_per_industry(frame: pd.DataFrame) -> go.Figure:
    """Return market insights per industry as horizontal bars (most at the top), coloured by mean confidence.

    ``frame``: `market_report.insights_per_industry` (industry, insights, share, ..., mean_confidence).
    """
    title, x_title, y_title = "Market insights by industry", "insights", "industry"
    if frame.empty:
        return no_data(title, x_title, y_title)
    confidence = [float(v) for v in frame["mean_confidence"]]  # NaN (no confidence) is drawn without a colour
    fig = go.Figure(go.Bar(
        x=list(frame["insights"]), y=list(frame["industry"]), orientation="h", name="insights",
        marker={"color": confidence, "colorscale": "Viridis", "cmin": 0, "cmax": 1,
                "colorbar": {"title": {"text": "mean confidence"}}},
        hovertemplate="%{y}: %{x} insights, mean confidence %{marker.color:.2f}<extra></extra>",
    ))
    return titled(fig, title, x_title, y_title, yaxis={"autorange": "reversed", "type": "category"})


def sentiment_by_industry(frame: pd.DataFrame) -> go.Figure:
    """Return the positive, neutral and negative insights of each industry as stacked horizontal bars.

    ``frame``: `market_report.sentiment_by_industry` (industry, insights, scored, mean/median_sentiment,
    positive, neutral, negative); industries keep the frame's order, the first at the top.
    """
    title, x_title, y_title = "Sentiment of market insights by industry", "insights", "industry"
    if frame.empty:
        return no_data(title, x_title, y_title)
    industries = list(frame["industry"])
    means = [None if pd.isna(v) else float(v) for v in frame["mean_sentiment"]]
    traces = [go.Bar(x=[int(v) for v in frame[label]], y=industries, orientation="h", name=label,
                     marker={"color": colour}, customdata=means,
                     hovertemplate="%{y}: %{x} " + label + " (mean sentiment %{customdata:.2f})<extra></extra>")
              for label, colour in SENTIMENT_COLOURS.items()]
    return titled(go.Figure(traces), title, x_title, y_title, barmode="stack",
                  yaxis={"autorange": "reversed", "type": "category"}, legend={"title": {"text": "sentiment"}})


def market_size_and_growth(table: pd.DataFrame) -> go.Figure:
    """Return each industry's median market size (TAM, USD bn) against its median growth (CAGR %), sized by insights.

    ``table``: `market_report.market_table` (industry, insights, tam_median_usd_bn, ..., cagr_median_pct).
    Industries without a size or a growth rate are left out.
    """
    title, x_title, y_title = "Market size and growth by industry", "median CAGR (%)", "median TAM (USD bn)"
    points = table.dropna(subset=["tam_median_usd_bn", "cagr_median_pct"])
    if points.empty:
        return no_data(title, x_title, y_title)
    largest = max(int(points["insights"].max()), 1)
    fig = go.Figure(go.Scatter(
        x=[float(v) for v in points["cagr_median_pct"]], y=[float(v) for v in points["tam_median_usd_bn"]],
        mode="markers+text", text=list(points["industry"]), textposition="top center", name="industries",
        marker={"size": [10 + 30 * int(n) / largest for n in points["insights"]], "sizemode": "diameter",
                "opacity": 0.7},
        customdata=[int(n) for n in points["insights"]],
        hovertemplate="%{text}: TAM %{y:.2f} bn, CAGR %{x:.1f}% (%{customdata} insights)<extra></extra>",
    ))
    return titled(fig, title, x_title, y_title, yaxis={"rangemode": "tozero"})


def trends_over_time(counts: pd.DataFrame) -> go.Figure:
    """Return business trends per period as stacked bars, one trace per industry (alphabetical).

    ``counts``: `market_report.trends_per_month` (period, complete, industry, trends); periods not over
    at the selection's as_of are shaded (`mark_incomplete`).
    """
    title, x_title, y_title = "Business trends over time", "period (UTC)", "trends"
    if counts.empty or int(counts["trends"].sum()) == 0:
        return no_data(title, x_title, y_title)
    periods = sorted(counts["period"].unique())
    traces = []
    for industry in sorted(counts["industry"].dropna().unique()):
        part = counts[counts["industry"] == industry].set_index("period")["trends"].reindex(periods, fill_value=0)
        traces.append(go.Bar(x=naive_utc(pd.Series(periods)), y=[int(v) for v in part], name=str(industry)))
    fig = mark_incomplete(go.Figure(traces), counts.assign(period=naive_utc(counts["period"])))
    return titled(fig, title, x_title, y_title, barmode="stack", legend={"title": {"text": "industry"}})


def news_relevance(news: pd.DataFrame) -> go.Figure:
    """Return the relevance score of the top news as horizontal bars, rank 1 at the top, labelled '#rank title'.

    ``news``: `market_report.news_table` (rank, title, source, category, relevance_score, published).
    """
    title, x_title, y_title = "Top news by relevance", "relevance score (0-1)", "news item"
    if news.empty:
        return no_data(title, x_title, y_title)
    labels = [f"#{int(rank)} {_short(text)}" for rank, text in zip(news["rank"], news["title"])]
    fig = go.Figure(go.Bar(
        x=[None if pd.isna(v) else float(v) for v in news["relevance_score"]], y=labels, orientation="h",
        name="relevance", customdata=list(zip(news["source"], news["category"], news["published"])),
        hovertemplate="%{y}<br>%{customdata[0]}, %{customdata[1]}, %{customdata[2]}: %{x:.2f}<extra></extra>",
    ))
    return titled(fig, title, x_title, y_title, xaxis={"range": [0, 1]},
                  yaxis={"autorange": "reversed", "type": "category"})


def _short(text, limit: int = MAX_LABEL_CHARS) -> str:
    """Return ``text`` cut to ``limit`` characters with an ellipsis."""
    text = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def engagement_by_source(frame: pd.DataFrame) -> go.Figure:
    """Return engagement signals per source as stacked bars: with a signal score and without.

    ``frame``: `market_report.engagement_by_source` (source, signals, scored, ...).
    """
    title, x_title, y_title = "Engagement signals by source", "source", "signals"
    if frame.empty:
        return no_data(title, x_title, y_title)
    sources = list(frame["source"])
    scored = [int(v) for v in frame["scored"]]
    unscored = [int(n) - s for n, s in zip(frame["signals"], scored)]
    fig = go.Figure([go.Bar(x=sources, y=scored, name="with a signal score"),
                     go.Bar(x=sources, y=unscored, name="without a score", marker={"color": "#a6a6a6"})])
    return titled(fig, title, x_title, y_title, barmode="stack", xaxis={"type": "category"})


def signal_distribution(frame: pd.DataFrame) -> go.Figure:
    """Return the histogram of engagement signal scores (0-1), bars as wide as the bins.

    ``frame``: `market_report.signal_distribution` (bin_start, bin_end, signals).
    """
    title, x_title, y_title = "Distribution of engagement signal scores", "signal score (0-1)", "signals"
    if frame.empty:
        return no_data(title, x_title, y_title)
    fig = go.Figure(go.Bar(
        x=[round((a + b) / 2, 6) for a, b in zip(frame["bin_start"], frame["bin_end"])], y=list(frame["signals"]),
        width=[round(b - a, 6) for a, b in zip(frame["bin_start"], frame["bin_end"])], name="signals",
        customdata=list(zip(frame["bin_start"], frame["bin_end"])),
        hovertemplate="%{customdata[0]:.2f}-%{customdata[1]:.2f}: %{y}<extra></extra>",
    ))
    return titled(fig, title, x_title, y_title, xaxis={"range": [0, 1]})
