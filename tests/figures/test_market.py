"""Figures of the market intelligence report: their data (traces, x and y), titles, and "no data" when empty."""

from __future__ import annotations

import pandas as pd

from bi_workbench.domain import analytics
from bi_workbench.domain import market_report as mr
from bi_workbench.figures import market as fig
from tests.figures.drawn import assert_no_data, assert_titled


def test_insights_per_industry_bars_coloured_by_confidence():
    insights = pd.DataFrame({"industry": ["SaaS", "Retail"], "insights": [2, 1], "share": [0.6667, 0.3333],
                             "with_confidence": [2, 0], "mean_confidence": [0.7, float("nan")],
                             "first": ["2025-01-10", "2025-03-10"], "latest": ["2025-02-10", "2025-03-10"]})
    figure = fig.insights_per_industry(insights)
    assert_titled(figure)
    bar = figure.data[0]
    assert list(bar.y) == ["SaaS", "Retail"] and list(bar.x) == [2, 1]
    assert bar.marker.color[0] == 0.7 and pd.isna(bar.marker.color[1])  # written as null in the figure's JSON
    assert '"color":[0.7,null]' in figure.to_json()


def test_sentiment_by_industry_stacks_the_labels():
    sentiment = pd.DataFrame({"industry": ["SaaS", "Retail"], "insights": [3, 1], "scored": [3, 0],
                              "mean_sentiment": [0.1, float("nan")], "median_sentiment": [0.2, float("nan")],
                              "positive": [2, 0], "neutral": [0, 0], "negative": [1, 0]})
    figure = fig.sentiment_by_industry(sentiment)
    assert_titled(figure)
    assert figure.layout.barmode == "stack"
    assert {t.name: list(t.x) for t in figure.data} == {"positive": [2, 0], "neutral": [0, 0], "negative": [1, 0]}
    assert all(list(t.y) == ["SaaS", "Retail"] for t in figure.data)
    assert figure.data[0].marker.color == fig.SENTIMENT_COLOURS["positive"]


def test_market_size_and_growth_scatter_leaves_out_unsized_industries():
    table = pd.DataFrame({"industry": ["SaaS", "Retail"], "insights": [4, 1], "tam_median_usd_bn": [2.0, float("nan")],
                          "sam_median_usd_bn": [0.3, float("nan")], "som_median_usd_bn": [0.03, float("nan")],
                          "cagr_median_pct": [15.0, 5.0], "cagr_mean_pct": [15.0, 5.0]})
    figure = fig.market_size_and_growth(table)
    assert_titled(figure)
    point = figure.data[0]
    assert list(point.x) == [15.0] and list(point.y) == [2.0] and list(point.text) == ["SaaS"]
    assert list(point.marker.size) == [40.0]


def test_trends_over_time_one_trace_per_industry():
    counts = pd.DataFrame({"period": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01", "2025-02-01"], utc=True),
                           "industry": ["SaaS", "unknown", "SaaS", "unknown"], "trends": [2, 0, 0, 1]})
    figure = fig.trends_over_time(counts)
    assert_titled(figure)
    assert {t.name: list(t.y) for t in figure.data} == {"SaaS": [2, 0], "unknown": [0, 1]}
    assert [pd.Timestamp(x) for x in figure.data[0].x] == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]
    assert not figure.layout.shapes  # no "complete" column: nothing to shade
    shaded = fig.trends_over_time(counts.assign(complete=[True, True, False, False]))
    assert pd.Timestamp(shaded.layout.shapes[0].x0) == pd.Timestamp("2025-02-01")


def test_news_relevance_bars_labelled_by_rank():
    news = pd.DataFrame({"rank": [1, 2], "title": ["A very long title " * 5, "Short"], "source": ["Wire", "Wire"],
                         "category": ["market", "funding"], "relevance_score": [0.9, float("nan")],
                         "published": ["2025-03-02", "2025-01-05"]})
    figure = fig.news_relevance(news)
    assert_titled(figure)
    labels = list(figure.data[0].y)
    assert labels[1] == "#2 Short" and labels[0].startswith("#1 A very long title") and labels[0].endswith("…")
    assert len(labels[0]) == len("#1 ") + fig.MAX_LABEL_CHARS
    assert list(figure.data[0].x) == [0.9, None] and figure.layout.yaxis.autorange == "reversed"


def test_engagement_figures():
    by_source = pd.DataFrame({"source": ["crm", "unknown"], "signals": [3, 1], "scored": [2, 0],
                              "mean_signal": [0.3, float("nan")], "median_signal": [0.3, float("nan")],
                              "min_signal": [0.1, float("nan")], "max_signal": [0.5, float("nan")],
                              "with_recommendations": [1, 0]})
    figure = fig.engagement_by_source(by_source)
    assert_titled(figure)
    assert {t.name: list(t.y) for t in figure.data} == {"with a signal score": [2, 0], "without a score": [1, 1]}
    histogram = pd.DataFrame({"bin_start": [0.0, 0.5], "bin_end": [0.5, 1.0], "signals": [3, 1]})
    figure = fig.signal_distribution(histogram)
    assert list(figure.data[0].x) == [0.25, 0.75] and list(figure.data[0].y) == [3, 1]
    assert list(figure.data[0].width) == [0.5, 0.5]


def test_every_figure_says_no_data_when_empty():
    assert_no_data(fig.insights_per_industry(pd.DataFrame(columns=list(mr.PER_INDUSTRY_COLUMNS))))
    assert_no_data(fig.sentiment_by_industry(pd.DataFrame(columns=list(analytics.SENTIMENT_COLUMNS))))
    assert_no_data(fig.market_size_and_growth(pd.DataFrame(columns=list(mr.MARKET_TABLE_COLUMNS))))
    assert_no_data(fig.trends_over_time(pd.DataFrame(columns=mr.TREND_COLUMNS)))
    assert_no_data(fig.news_relevance(pd.DataFrame(columns=list(mr.NEWS_TABLE_COLUMNS))))
    assert_no_data(fig.engagement_by_source(pd.DataFrame(columns=list(mr.BY_SOURCE_COLUMNS))))
    assert_no_data(fig.signal_distribution(pd.DataFrame(columns=list(mr.SIGNAL_DISTRIBUTION_COLUMNS))))


def test_the_figures_draw_the_demo_data(demo_engine):
    with demo_engine.connect() as conn:
        bounds = mr.selection(conn, {"as_of": "2026-06-05"})
        insights = mr.insights_per_industry(conn, bounds)
        sentiment = mr.sentiment_by_industry(conn, bounds)
        market = mr.market_table(mr.market_by_industry(conn, bounds))
        trends = mr.trends_per_month(conn, bounds)
        news = mr.top_news(conn, bounds)
        by_source = mr.engagement_by_source(conn, bounds)
        scores = mr.signal_distribution(conn, bounds)
    assert sum(fig.insights_per_industry(insights).data[0].x) == insights["insights"].sum()
    assert sum(sum(t.x) for t in fig.sentiment_by_industry(sentiment).data) == \
        sentiment[["positive", "neutral", "negative"]].to_numpy().sum()
    assert len(fig.market_size_and_growth(market).data[0].x) == len(market)
    assert sum(sum(t.y) for t in fig.trends_over_time(trends).data) == trends["trends"].sum()
    assert len(fig.news_relevance(news).data[0].y) == len(news) == 10
    assert sum(sum(t.y) for t in fig.engagement_by_source(by_source).data) == by_source["signals"].sum()
    assert not fig.signal_distribution(scores).data  # the demo migrates its playbook without signal scores
