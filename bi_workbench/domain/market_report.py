"""Market intelligence (report ``03_market_intelligence``): insights, sentiment, market size and growth by industry,
business trends, news and engagement signals.

Every function that reads the database takes an SQLAlchemy Connection (it never
opens one) and the report's `bi_workbench.metrics.Bounds` (`selection` resolves
the parameters once), aggregates in PostgreSQL and returns a small DataFrame
sorted and rounded the same way every time; no data gives an empty frame with
the same columns. Counts are metrics of the catalogue (``market_insights``,
``business_trends``); the tables are SQLAlchemy Core SELECTs on
`bi_workbench.metrics.selected_rows`, so the selection follows the metrics
layer's rules: a market insight or engagement signal belongs to its own
organization, else to its user's (migrated insights carry none); an insight's
or trend's industry is its own column, a signal's its user's; business trends
and news are reference data of no organization. News is chosen by
`bi_workbench.domain.analytics.top_news` (publication date, tags).

``min_confidence`` (market insights only) leaves out insights whose
``confidence_score`` is below it; above 0, insights without a confidence score
are left out too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from .. import metrics
from ..errors import InvalidParameterError
from .analytics import MARKET_COLUMNS, SENTIMENT_COLUMNS, _frame, _whole_number
from .analytics import top_news as analytics_top_news
from .report_selection import (
    industry_label, iso_day, label, labelled, measures_frame, metric_frame, resolve, run,
)

#: How many rows the ranked tables (news, engagement insights, latest trends) show by default.
TOP_ROWS = 10
#: Width of the bins of the signal score histogram, on the 0-1 scale.
SIGNAL_BIN_WIDTH = 0.1
#: Sentiment scores below this are negative, at or above its opposite positive, when an insight has no label.
NEUTRAL_BAND = 0.2
#: The headline numbers of the report (metric names), shown at its top.
HEADLINES = ("market_insights", "business_trends")
#: (metric, dimension) of the key findings' breakdown: the industries' share of market insights.
SHARE = ("market_insights", "industry")


def selection(conn: Connection, params: Mapping) -> metrics.Bounds:
    """Return the report's selection resolved on ``conn`` (`report_selection.resolve`); errors name known values."""
    return resolve(conn, params)


def _confidence(min_confidence) -> float:
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(min_confidence) <= 1.0:
        raise InvalidParameterError(f"min_confidence must be a number from 0 to 1; got {min_confidence!r}")
    return float(min_confidence)


def _insights(bounds: metrics.Bounds, min_confidence=0.0, *, confident: bool = True):
    """The selection's market insights (``dim_industry``: the comparison key) as a subquery.

    ``confident``: only those at or above ``min_confidence``.
    """
    threshold = _confidence(min_confidence)
    where = (lambda rows: rows.c.confidence_score >= threshold) if confident and threshold > 0 else None
    return metrics.selected_rows("market_insight", bounds, dimensions=("industry",), where=where).subquery("chosen")


def _json_number(column, *paths: str):
    """The first finite number at ``paths`` (jsonpath, constants) of a JSON column, else NULL."""
    found = [sa.func.jsonb_path_query_first(column, sa.literal_column(f"'{path}'::jsonpath"),
                                            sa.cast(sa.literal("{}"), postgresql.JSONB), sa.true()) for path in paths]
    number = sa.cast(sa.func.coalesce(*found) if len(found) > 1 else found[0], sa.Float)
    return sa.case((sa.func.abs(number) < sa.cast(sa.literal("Infinity"), sa.Float), number))


# --- overview -----------------------------------------------------------------------------------

OVERVIEW_MEASURES = ("market insights", "insights below min_confidence (left out)", "industries",
                     "mean confidence", "latest insight", "business trends", "engagement signals",
                     "engagement signals with a score")


def overview(conn: Connection, bounds: metrics.Bounds, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return the figures of the selection: columns measure, value (one row per OVERVIEW_MEASURES).

    ``market_insights`` and ``business_trends`` are the metrics of the catalogue
    (the insights kept are those at or above ``min_confidence``).
    Counts are integers, the mean confidence is rounded to 4 decimals (None
    without insights), the latest insight is an ISO date ('' without insights).
    """
    counted = metric_frame(conn, bounds, ["market_insights", "business_trends"])
    every, trends = int(counted["market_insights"].iloc[0]), int(counted["business_trends"].iloc[0])
    kept = _insights(bounds, min_confidence)
    insights = run(conn, sa.select(sa.func.count(), sa.func.count(sa.distinct(kept.c.dim_industry)),
                                   sa.func.avg(sa.cast(kept.c.confidence_score, sa.Float)),
                                   sa.func.max(kept.c.created_at)), list("nimt")).iloc[0]
    signals = _signals(bounds)
    counts = run(conn, sa.select(sa.func.count(), sa.func.count(signals.c.signal_score)), ["signals", "scored"]).iloc[0]
    mean = None if pd.isna(insights["m"]) else round(float(insights["m"]), 4)
    values = [int(insights["n"]), every - int(insights["n"]), int(insights["i"]), mean, iso_day(insights["t"]),
              trends, *(int(v) for v in counts)]
    return measures_frame(OVERVIEW_MEASURES, values)


# --- insights, sentiment, market size and growth ---------------------------------------------------

PER_INDUSTRY_COLUMNS = {"industry": "str", "insights": "int", "share": "float", "with_confidence": "int",
                        "mean_confidence": "float", "first": "str", "latest": "str"}


def insights_per_industry(conn: Connection, bounds: metrics.Bounds, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return market insights per industry: industry, insights, share, with_confidence, mean_confidence, first, latest.

    Most insights first (ties by name); share of the selection's insights and mean
    confidence to 4 decimals; first and latest are the ISO dates of the oldest and
    newest insight. Industries are grouped case- and space-insensitively. Example:
    3 SaaS insights of confidence 0.5, 0.7 and none -> ("SaaS", 3, 1.0, 2, 0.6, ...).
    """
    chosen = _insights(bounds, min_confidence)
    confidence = sa.cast(chosen.c.confidence_score, sa.Float)
    frame = run(conn, sa.select(industry_label(chosen.c.industry), sa.func.count(), sa.func.count(confidence),
                                sa.func.avg(confidence), sa.func.min(chosen.c.created_at),
                                sa.func.max(chosen.c.created_at)).group_by(chosen.c.dim_industry),
                ["industry", "insights", "scored", "mean", "first", "latest"])
    frame = frame.sort_values(["insights", "industry"], ascending=[False, True], kind="stable")
    total = frame["insights"].sum()
    return _frame([(name, n, round(n / total, 4), scored, np.nan if mean is None or pd.isna(mean) else round(float(mean), 4),
                    iso_day(first), iso_day(latest)) for name, n, scored, mean, first, latest
                   in frame.itertuples(index=False, name=None)], PER_INDUSTRY_COLUMNS)


def _documents(bounds: metrics.Bounds, min_confidence=0.0):
    """The selected insights' JSON figures as numbers: dim_industry, industry, score, label, tam, sam, som, cagr."""
    chosen = _insights(bounds, min_confidence)
    label = sa.func.jsonb_path_query_first(
        chosen.c.sentiment, sa.literal_column("""'strict $.label ? (@.type() == "string")'::jsonpath"""),
        sa.cast(sa.literal("{}"), postgresql.JSONB), sa.true())
    return sa.select(
        chosen.c.dim_industry, chosen.c.industry,
        _json_number(chosen.c.sentiment, "strict $.score.double()", "strict $.double()").label("score"),
        sa.func.lower(sa.func.btrim(label.op("#>>")(sa.literal_column("'{}'")))).label("label"),
        _json_number(chosen.c.market_size, "strict $.tam_usd.double()", "strict $.double()").label("tam"),
        _json_number(chosen.c.market_size, "strict $.sam_usd.double()").label("sam"),
        _json_number(chosen.c.market_size, "strict $.som_usd.double()").label("som"),
        _json_number(chosen.c.growth_rate, "strict $.cagr.double()", "strict $.double()").label("cagr"),
    ).subquery("documents")


def _per_industry(conn: Connection, documents, columns: dict, *measures) -> pd.DataFrame:
    """Return ``measures`` per industry of ``documents`` (industry, insights, then the measures), most insights first."""
    frame = run(conn, sa.select(industry_label(documents.c.industry), sa.func.count(), *measures)
                .group_by(documents.c.dim_industry), list(columns))
    frame = frame.sort_values(["insights", "industry"], ascending=[False, True], kind="stable")
    return _frame(list(frame.itertuples(index=False, name=None)), columns)


def _median(column):
    return sa.func.percentile_cont(0.5).within_group(column)


def sentiment_by_industry(conn: Connection, bounds: metrics.Bounds, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return market insight sentiment per industry, as `analytics.sentiment_by_industry` reads it, with ``min_confidence``.

    Columns: industry, insights, scored, mean_sentiment, median_sentiment (-1..1,
    4 decimals), positive, neutral, negative (the document's label, else the score:
    below -NEUTRAL_BAND negative, from NEUTRAL_BAND positive). Most insights first, ties by name.
    Example: SaaS insights scored 0.5 and -0.5 -> ("SaaS", 2, 2, 0.0, 0.0, 1, 0, 1).
    """
    docs = _documents(bounds, min_confidence)
    label = sa.case((docs.c.label.in_(("negative", "neutral", "positive")), docs.c.label),
                    (docs.c.score < -NEUTRAL_BAND, "negative"), (docs.c.score >= NEUTRAL_BAND, "positive"),
                    (docs.c.score.is_not(None), "neutral"))
    frame = _per_industry(conn, docs, SENTIMENT_COLUMNS, sa.func.count(docs.c.score), sa.func.avg(docs.c.score),
                          _median(docs.c.score), *(sa.func.count().filter(label == name)
                                                   for name in ("positive", "neutral", "negative")))
    return frame.round({"mean_sentiment": 4, "median_sentiment": 4})


def market_by_industry(conn: Connection, bounds: metrics.Bounds, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return market size (USD) and growth (CAGR) per industry as `analytics.market_by_industry`, and min_confidence.

    Columns: industry, insights, sized, tam_usd_mean, tam_usd_median, sam_usd_median,
    som_usd_median (whole dollars), with_growth, cagr_mean, cagr_median (4 decimals).
    Example: SaaS insights with TAM 1e9 and 3e9, CAGR 0.1 and 0.2 -> ("SaaS", 2, 2, 2e9, 2e9, ..., 2, 0.15, 0.15).
    """
    docs = _documents(bounds, min_confidence)
    frame = _per_industry(conn, docs, MARKET_COLUMNS, sa.func.count(docs.c.tam), sa.func.avg(docs.c.tam),
                          _median(docs.c.tam), _median(docs.c.sam), _median(docs.c.som),
                          sa.func.count(docs.c.cagr), sa.func.avg(docs.c.cagr), _median(docs.c.cagr))
    return frame.round({"tam_usd_mean": 0, "tam_usd_median": 0, "sam_usd_median": 0, "som_usd_median": 0,
                        "cagr_mean": 4, "cagr_median": 4})


MARKET_TABLE_COLUMNS = {"industry": "str", "insights": "int", "tam_median_usd_bn": "float",
                        "sam_median_usd_bn": "float", "som_median_usd_bn": "float", "cagr_median_pct": "float",
                        "cagr_mean_pct": "float"}


def market_table(market: pd.DataFrame) -> pd.DataFrame:
    """Return `market_by_industry`'s frame to read: medians in USD billions (3 decimals), CAGR in percent (2 decimals).

    Columns: industry, insights, tam/sam/som_median_usd_bn, cagr_median_pct, cagr_mean_pct; same order.
    Example: TAM median 3.819e9 and CAGR median 0.091 -> 3.819 and 9.1.
    """
    table = pd.DataFrame({
        "industry": market["industry"], "insights": market["insights"],
        **{f"{k}_median_usd_bn": (market[f"{k}_usd_median"] / 1e9).round(3) for k in ("tam", "sam", "som")},
        "cagr_median_pct": (market["cagr_median"] * 100).round(2),
        "cagr_mean_pct": (market["cagr_mean"] * 100).round(2),
    })
    return _frame(list(table.itertuples(index=False, name=None)), MARKET_TABLE_COLUMNS)


# --- business trends -----------------------------------------------------------------------------------

LATEST_TRENDS_COLUMNS = {"created": "str", "industry": "str", "title": "str", "source": "str"}


def latest_trends(conn: Connection, bounds: metrics.Bounds, limit: int = TOP_ROWS) -> pd.DataFrame:
    """Return the ``limit`` most recent business trends of the selection: created (ISO date), industry, title, source.

    Newest first (ties by id); a blank industry or source is 'unknown'.
    """
    trends = metrics.selected_rows("business_trend", bounds).subquery("trends")
    statement = (sa.select(trends.c.created_at, label(trends.c.industry), trends.c.title, label(trends.c.source))
                 .order_by(trends.c.created_at.desc(), trends.c.id).limit(_whole_number(limit, "limit", 1000)))
    rows = run(conn, statement, ["created", "industry", "title", "source"])
    return _frame([(iso_day(created), *rest) for created, *rest in rows.itertuples(index=False, name=None)],
                  LATEST_TRENDS_COLUMNS)


TREND_COLUMNS = ["period", "complete", "industry", "trends"]


def trends_per_month(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return business trends per calendar month and industry: the metric ``business_trends`` by industry and month.

    Columns: period (month start, UTC), complete (the month is over at the as_of
    bound), industry ('unknown' when blank), trends (int).
    """
    frame = metric_frame(conn, bounds, "business_trends", by="industry", grain="month")
    frame["industry"] = labelled(frame["industry"])
    frame = frame.rename(columns={"business_trends": "trends"}).astype({"trends": "int64"})
    return frame.sort_values(["period", "industry"], kind="stable").reset_index(drop=True)[TREND_COLUMNS]


# --- news ------------------------------------------------------------------------------------------------


def top_news(conn: Connection, bounds: metrics.Bounds, limit: int = TOP_ROWS) -> pd.DataFrame:
    """Return the ``limit`` most relevant news items of the period as `news_table` shows them (`analytics.top_news`).

    The period is the selection's (news by published_at), its industry keeps items tagged with it;
    news belongs to no organization.
    """
    return news_table(analytics_top_news(conn, limit, since=bounds.start, until=bounds.end,
                                         industry=bounds.selection.industry))


NEWS_TABLE_COLUMNS = {"rank": "int", "title": "str", "source": "str", "category": "str", "relevance_score": "float",
                      "published": "str"}


def news_table(news: pd.DataFrame) -> pd.DataFrame:
    """Return `analytics.top_news`' frame to read.

    Columns: rank, title, source, category, relevance_score (2 decimals), published (ISO date).

    Keeps the frame's ranking; ids and URLs are left out.
    """
    rows = [(int(r.rank), r.title, r.source, r.category, round(float(r.relevance_score), 2),
             iso_day(r.published_at))
            for r in news.itertuples(index=False)]
    return _frame(rows, NEWS_TABLE_COLUMNS)


# --- engagement intelligence ----------------------------------------------------------------------------


def _signals(bounds: metrics.Bounds):
    """The selection's engagement signals: id, created_at, signal_score (float), recommendations, insights, source."""
    rows = metrics.selected_rows("engagement_signal", bounds).subquery("signal_rows")
    return sa.select(rows.c.id, rows.c.created_at, sa.cast(rows.c.signal_score, sa.Float).label("signal_score"),
                     rows.c.recommendations, rows.c.insights, label(rows.c.source).label("source")
                     ).subquery("engagement_signals")


BY_SOURCE_COLUMNS = {"source": "str", "signals": "int", "scored": "int", "mean_signal": "float",
                     "median_signal": "float", "min_signal": "float", "max_signal": "float",
                     "with_recommendations": "int"}


def engagement_by_source(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return engagement intelligence signals per source, with their signal scores (0-1).

    Columns: source ('unknown' when blank), signals, scored (with a signal score),
    mean/median/min/max_signal (4 decimals, NaN without scores), with_recommendations.
    Most signals first, ties by source. Example: two 'crm' signals scored 0.4 and 0.6 ->
    ("crm", 2, 2, 0.5, 0.5, 0.4, 0.6, ...).
    """
    e = _signals(bounds)
    score = e.c.signal_score
    statement = (sa.select(e.c.source, sa.func.count(), sa.func.count(score), sa.func.avg(score), _median(score),
                           sa.func.min(score), sa.func.max(score),
                           sa.func.count().filter(sa.func.cardinality(e.c.recommendations) > 0))
                 .group_by(e.c.source).order_by(sa.func.count().desc(), e.c.source))
    frame = _frame(list(run(conn, statement, list(BY_SOURCE_COLUMNS)).itertuples(index=False, name=None)),
                   BY_SOURCE_COLUMNS)
    return frame.round({c: 4 for c in ("mean_signal", "median_signal", "min_signal", "max_signal")})


SIGNAL_DISTRIBUTION_COLUMNS = {"bin_start": "float", "bin_end": "float", "signals": "int"}


def signal_distribution(conn: Connection, bounds: metrics.Bounds, *, bin_width: float = SIGNAL_BIN_WIDTH) -> pd.DataFrame:
    """Return a histogram of the signal scores (0-1): bin_start, bin_end, signals.

    Bins of ``bin_width``, lower bound included (1.0 falls in the last bin); every
    bin is listed when there is any score, none when there is none (the demo data
    migrates its playbook without scores). Example: scores 0.12 and 0.18 ->
    the bin (0.1, 0.2, 2) among 10 bins.
    """
    width = float(bin_width)
    if not 0 < width <= 1:
        raise InvalidParameterError(f"bin_width must be above 0 and at most 1; got {bin_width!r}")
    e = _signals(bounds)
    scores = run(conn, sa.select(e.c.signal_score).where(e.c.signal_score.is_not(None)),
                 ["score"])["score"].to_numpy(dtype=float)
    if not len(scores):
        return _frame([], SIGNAL_DISTRIBUTION_COLUMNS)
    bins = int(np.ceil(round(1 / width, 9)))
    starts = np.round(width * np.arange(bins), 6)
    ends = np.round(np.minimum(starts + width, 1.0), 6)
    counts = np.bincount(np.clip(np.floor(np.round(scores / width, 9)).astype(int), 0, bins - 1), minlength=bins)
    return _frame(list(zip(starts.tolist(), ends.tolist(), counts.tolist())), SIGNAL_DISTRIBUTION_COLUMNS)


TOP_INSIGHTS_COLUMNS = {"insight": "str", "signals": "int", "sources": "int", "mean_signal": "float", "latest": "str"}


def top_engagement_insights(conn: Connection, bounds: metrics.Bounds, limit: int = TOP_ROWS) -> pd.DataFrame:
    """Return the engagement insights recorded most often: insight, signals, sources, mean_signal, latest.

    The same text (trimmed) counts once per signal; sources counts distinct
    sources; mean_signal to 4 decimals (NaN without scores); latest is an ISO
    date. Most signals first, ties by text; at most ``limit`` rows.
    """
    e = _signals(bounds)
    text = sa.func.btrim(e.c.insights)
    statement = (sa.select(text, sa.func.count(), sa.func.count(sa.distinct(e.c.source)),
                           sa.func.avg(e.c.signal_score), sa.func.max(e.c.created_at))
                 .where(sa.func.nullif(text, "").is_not(None)).group_by(text)
                 .order_by(sa.func.count().desc(), text).limit(_whole_number(limit, "limit", 1000)))
    rows = [(insight, n, sources, np.nan if mean is None or pd.isna(mean) else round(float(mean), 4), iso_day(latest))
            for insight, n, sources, mean, latest in run(conn, statement, list(TOP_INSIGHTS_COLUMNS))
            .itertuples(index=False, name=None)]
    return _frame(rows, TOP_INSIGHTS_COLUMNS)
