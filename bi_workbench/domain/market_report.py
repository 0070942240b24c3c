"""Market intelligence (report ``03_market_intelligence``): insights, sentiment, market size and growth by industry,
business trends, news and engagement signals.

Every function that reads the database takes an SQLAlchemy Connection (it never
opens one), aggregates in PostgreSQL with bound parameters beside it, and returns
a small DataFrame sorted and rounded the same way every time; no data gives an
empty frame with the same columns.

Filters (all optional, None = all); each applies where the data has it:

- ``organization_id``: market insights and engagement signals of that
  organization (``organization_id``); business trends and news belong to no
  organization and are not filtered by it;
- ``industry``: insights and trends of that industry, news tagged with it
  (``metadata.tags``), engagement signals of users of that industry (all
  compared case-insensitively);
- ``since`` / ``until``: a half-open range ``[since, until)`` of ``created_at``
  (news: ``published_at``), as `bi_workbench.domain.users_orgs.report_filters` makes it;
- ``min_confidence`` (market insights only): leave out insights whose
  ``confidence_score`` is below it; above 0, insights without a confidence score
  are left out too.

`sentiment_by_industry` and `market_by_industry` read the JSON documents as
`bi_workbench.domain.analytics` does (same columns, same numbers when
``min_confidence`` is 0), and add the confidence filter.

The queries are the named files of ``bi_workbench/domain/sql/market_report/``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from ..schema.sqlfiles import read_sql
from .analytics import MARKET_COLUMNS, SENTIMENT_COLUMNS, _frame, _whole_number, trend_counts
from .analytics import top_news as analytics_top_news
from .users_orgs import fetch_rows, filter_params, iso_day, measures_frame, report_filters

#: How many rows the ranked tables (news, engagement insights, latest trends) show by default.
TOP_ROWS = 10
#: Width of the bins of the signal score histogram, on the 0-1 scale.
SIGNAL_BIN_WIDTH = 0.1


def selection(params) -> dict:
    """Return the filters of a ``03_market_intelligence`` run: `report_filters` plus ``min_confidence``.

    Every function of this module takes them all as keywords (``**selection(params)``),
    using those that apply to its data.
    """
    return {**report_filters(params), "min_confidence": float(params.get("min_confidence") or 0.0)}


def _params(organization_id=None, industry=None, since=None, until=None, min_confidence=0.0) -> dict:
    """Return the bound filter parameters, validated (InvalidParameterError naming the bad one)."""
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(min_confidence) <= 1.0:
        raise InvalidParameterError(f"min_confidence must be a number from 0 to 1; got {min_confidence!r}")
    return {**filter_params(organization_id, industry, since, until), "min_confidence": float(min_confidence)}


#: The queries of ``sql/market_report/`` that continue the selection of ``selection.sql``.
SELECTION_QUERIES = frozenset({
    'insights_per_industry', 'market_by_industry', 'overview', 'sentiment_by_industry',
})


def _rows(conn: Connection, name: str, params: dict) -> list[tuple]:
    """Return the rows of the named query of ``bi_workbench/domain/sql/market_report/``, run with ``params``."""
    text = read_sql("bi_workbench.domain", f"market_report/{name}.sql")
    if name in SELECTION_QUERIES:  # they continue the shared WITH of selection.sql
        text = read_sql("bi_workbench.domain", "market_report/selection.sql") + text
    return fetch_rows(conn, text, params)


def _round_columns(frame: pd.DataFrame, digits: dict[str, int]) -> pd.DataFrame:
    """Return ``frame`` with each column of ``digits`` rounded to that many decimals."""
    return frame.assign(**{column: frame[column].round(n) for column, n in digits.items()})


# --- overview -----------------------------------------------------------------------------------

OVERVIEW_MEASURES = ("market insights", "insights below min_confidence (left out)", "industries",
                     "mean confidence", "latest insight", "business trends", "news items", "engagement signals",
                     "engagement signals with a score")


def overview(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
             min_confidence: float = 0.0) -> pd.DataFrame:
    """Return the headline figures of the selection: columns measure, value (one row per OVERVIEW_MEASURES).

    Counts are integers, the mean confidence is rounded to 4 decimals (None
    without insights), the latest insight is an ISO date ('' without insights).
    """
    params = _params(organization_id, industry, since, until, min_confidence)
    row = _rows(conn, "overview", params)[0]
    mean_confidence = None if row[3] is None else round(float(row[3]), 4)
    values = [int(row[0]), int(row[1]), int(row[2]), mean_confidence, iso_day(row[4]), *(int(v) for v in row[5:])]
    return measures_frame(OVERVIEW_MEASURES, values)


# --- insights, sentiment, market size and growth ---------------------------------------------------

PER_INDUSTRY_COLUMNS = {"industry": "str", "insights": "int", "share": "float", "with_confidence": "int",
                        "mean_confidence": "float", "first": "str", "latest": "str"}


def insights_per_industry(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                          min_confidence: float = 0.0) -> pd.DataFrame:
    """Return market insights per industry: industry, insights, share, with_confidence, mean_confidence, first, latest.

    Most insights first (ties by name); share of the selection's insights and mean
    confidence to 4 decimals; first and latest are the ISO dates of the oldest and
    newest insight. Example: 3 SaaS insights of confidence 0.5, 0.7 and none ->
    ("SaaS", 3, 1.0, 2, 0.6, ...).
    """
    rows = _rows(conn, "insights_per_industry", _params(organization_id, industry, since, until, min_confidence))
    total = sum(r[1] for r in rows)
    return _frame([(name, n, round(n / total, 4), scored, np.nan if mean is None else round(float(mean), 4),
                    iso_day(first), iso_day(latest)) for name, n, scored, mean, first, latest in rows], PER_INDUSTRY_COLUMNS)




def sentiment_by_industry(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                          min_confidence: float = 0.0) -> pd.DataFrame:
    """Return market insight sentiment per industry, as `analytics.sentiment_by_industry` does, with ``min_confidence``.

    Columns: industry, insights, scored, mean_sentiment, median_sentiment (-1..1,
    4 decimals), positive, neutral, negative. Most insights first, ties by name.
    Example: SaaS insights scored 0.5 and -0.5 -> ("SaaS", 2, 2, 0.0, 0.0, 1, 0, 1).
    """
    frame = _frame(_rows(conn, "sentiment_by_industry", _params(organization_id, industry, since, until, min_confidence)),
                   SENTIMENT_COLUMNS)
    return _round_columns(frame, {"mean_sentiment": 4, "median_sentiment": 4})




def market_by_industry(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                       min_confidence: float = 0.0) -> pd.DataFrame:
    """Return market size (USD) and growth (CAGR) per industry as `analytics.market_by_industry`, and min_confidence.

    Columns: industry, insights, sized, tam_usd_mean, tam_usd_median, sam_usd_median,
    som_usd_median (whole dollars), with_growth, cagr_mean, cagr_median (4 decimals).
    Example: SaaS insights with TAM 1e9 and 3e9, CAGR 0.1 and 0.2 -> ("SaaS", 2, 2, 2e9, 2e9, ..., 2, 0.15, 0.15).
    """
    frame = _frame(_rows(conn, "market_by_industry", _params(organization_id, industry, since, until, min_confidence)),
                   MARKET_COLUMNS)
    return _round_columns(frame, {"tam_usd_mean": 0, "tam_usd_median": 0, "sam_usd_median": 0, "som_usd_median": 0,
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


def latest_trends(conn: Connection, *, limit: int = TOP_ROWS, industry=None, since=None, until=None,
                  organization_id=None, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return the ``limit`` most recent business trends: created (ISO date), industry, title, source.

    Newest first (ties by id); a blank industry or source is 'unknown'. Trends
    belong to no organization and have no confidence: ``organization_id`` and
    ``min_confidence`` are accepted (one set of filters fits every function) and not used.
    """
    params = {**_params(None, industry, since, until), "limit": _whole_number(limit, "limit", 1000)}
    return _frame([(iso_day(created), *rest) for created, *rest in _rows(conn, "latest_trends", params)],
                  LATEST_TRENDS_COLUMNS)


def trends_per_month(conn: Connection, *, industry=None, since=None, until=None, organization_id=None,
                     min_confidence: float = 0.0) -> pd.DataFrame:
    """Return business trends per calendar month and industry: `analytics.trend_counts` (period, industry, trends).

    Months (and industries) without trends between the first and the last are
    included with 0. ``organization_id`` and ``min_confidence`` are accepted and not used.
    """
    return trend_counts(conn, "month", True, since=since, until=until, industry=industry)


# --- news ------------------------------------------------------------------------------------------------


def top_news(conn: Connection, *, limit: int = TOP_ROWS, industry=None, since=None, until=None, organization_id=None,
             min_confidence: float = 0.0) -> pd.DataFrame:
    """Return the ``limit`` most relevant news items of the period as `news_table` shows them (`analytics.top_news`).

    ``industry`` keeps items tagged with it; the period is of published_at.
    ``organization_id`` and ``min_confidence`` are accepted and not used (news belongs to no organization).
    """
    return news_table(analytics_top_news(conn, limit, since=since, until=until, industry=industry))

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

BY_SOURCE_COLUMNS = {"source": "str", "signals": "int", "scored": "int", "mean_signal": "float",
                     "median_signal": "float", "min_signal": "float", "max_signal": "float",
                     "with_recommendations": "int"}


def engagement_by_source(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                         min_confidence: float = 0.0) -> pd.DataFrame:
    """Return engagement intelligence signals per source, with their signal scores (0-1).

    Columns: source ('unknown' when blank), signals, scored (with a signal score),
    mean/median/min/max_signal (4 decimals, NaN without scores), with_recommendations.
    Most signals first, ties by source. ``min_confidence`` (of market insights) is
    accepted and not used. Example: two 'crm' signals scored 0.4 and 0.6 ->
    ("crm", 2, 2, 0.5, 0.5, 0.4, 0.6, ...).
    """
    frame = _frame(_rows(conn, "engagement_by_source", _params(organization_id, industry, since, until)), BY_SOURCE_COLUMNS)
    return _round_columns(frame, {c: 4 for c in ("mean_signal", "median_signal", "min_signal", "max_signal")})


SIGNAL_DISTRIBUTION_COLUMNS = {"bin_start": "float", "bin_end": "float", "signals": "int"}


def signal_distribution(conn: Connection, *, bin_width: float = SIGNAL_BIN_WIDTH, organization_id=None,
                        industry=None, since=None, until=None, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return a histogram of the signal scores (0-1): bin_start, bin_end, signals.

    Bins of ``bin_width``, lower bound included (1.0 falls in the last bin); every
    bin is listed when there is any score, none when there is none (the demo data
    migrates its playbook without scores). Example: scores 0.12 and 0.18 ->
    the bin (0.1, 0.2, 2) among 10 bins. ``min_confidence`` is accepted and not used.
    """
    width = float(bin_width)
    if not 0 < width <= 1:
        raise InvalidParameterError(f"bin_width must be above 0 and at most 1; got {bin_width!r}")
    scores = np.array([r[0] for r in _rows(conn, "signal_scores", _params(organization_id, industry, since, until))],
                      dtype=float)
    if not len(scores):
        return _frame([], SIGNAL_DISTRIBUTION_COLUMNS)
    bins = int(np.ceil(round(1 / width, 9)))
    starts = np.round(width * np.arange(bins), 6)
    ends = np.round(np.minimum(starts + width, 1.0), 6)
    counts = np.bincount(np.clip(np.floor(np.round(scores / width, 9)).astype(int), 0, bins - 1), minlength=bins)
    return _frame(list(zip(starts.tolist(), ends.tolist(), counts.tolist())), SIGNAL_DISTRIBUTION_COLUMNS)


TOP_INSIGHTS_COLUMNS = {"insight": "str", "signals": "int", "sources": "int", "mean_signal": "float", "latest": "str"}


def top_engagement_insights(conn: Connection, *, limit: int = TOP_ROWS, organization_id=None, industry=None,
                            since=None, until=None, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return the engagement insights recorded most often: insight, signals, sources, mean_signal, latest.

    The same text (trimmed) counts once per signal; sources counts distinct
    sources; mean_signal to 4 decimals (NaN without scores); latest is an ISO
    date. Most signals first, ties by text; at most ``limit`` rows. ``min_confidence`` is accepted and not used.
    """
    params = {**_params(organization_id, industry, since, until), "limit": _whole_number(limit, "limit", 1000)}
    rows = [(text, n, sources, np.nan if mean is None else round(float(mean), 4), iso_day(latest))
            for text, n, sources, mean, latest in _rows(conn, "top_engagement_insights", params)]
    return _frame(rows, TOP_INSIGHTS_COLUMNS)
