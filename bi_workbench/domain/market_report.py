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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from .analytics import (
    MARKET_COLUMNS, SENTIMENT_COLUMNS, _frame, _range, _text, _uuid, _whole_number, trend_counts,
)
from .analytics import top_news as analytics_top_news
from .users_orgs import UNKNOWN, report_filters

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
    return {"organization_id": _uuid(organization_id, "organization_id"), "industry": _text(industry, "industry"),
            **_range(since, until), "min_confidence": float(min_confidence)}


def _rows(conn: Connection, sql: str, params: dict) -> list[tuple]:
    """Return the rows of ``sql`` run with ``params``."""
    if not isinstance(conn, Connection):
        raise InvalidParameterError("conn must be an SQLAlchemy Connection (engine.connect()); "
                                    f"got {type(conn).__name__}")
    return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def _day(value) -> str:
    """Return the UTC date of a timestamp as 'YYYY-MM-DD' ('' for None)."""
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d")


def _round_columns(frame: pd.DataFrame, digits: dict[str, int]) -> pd.DataFrame:
    """Return ``frame`` with each column of ``digits`` rounded to that many decimals."""
    return frame.assign(**{column: frame[column].round(n) for column, n in digits.items()})


# The engagement intelligence rows of the selection.
_ENGAGEMENT_CTE = """
engagement_signals AS (
    SELECT e.id, e.created_at, CAST(e.signal_score AS float8) AS signal_score, e.recommendations, e.insights,
           coalesce(nullif(btrim(e.source), ''), 'unknown') AS source
    FROM engagement_intelligence e
    LEFT JOIN users u ON u.id = e.user_id
    WHERE e.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND e.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(u.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL OR e.organization_id = CAST(:organization_id AS uuid))
)
"""


# The market insights of the selection, one row each, with the numbers read from their JSON documents
# (as bi_workbench/domain/sql/analytics/{sentiment,market}_by_industry.sql read them).
_INSIGHT_CTES = """
docs AS (
    SELECT btrim(i.industry) AS industry, i.created_at, CAST(i.confidence_score AS float8) AS confidence,
           CAST(coalesce(jsonb_path_query_first(i.sentiment, 'strict $.score.double()', '{}', true),
                         jsonb_path_query_first(i.sentiment, 'strict $.double()', '{}', true)) AS float8) AS score,
           lower(btrim(jsonb_path_query_first(i.sentiment, 'strict $.label ? (@.type() == "string")', '{}', true)
                       #>> '{}')) AS label,
           CAST(coalesce(jsonb_path_query_first(i.market_size, 'strict $.tam_usd.double()', '{}', true),
                         jsonb_path_query_first(i.market_size, 'strict $.double()', '{}', true)) AS float8) AS tam,
           CAST(jsonb_path_query_first(i.market_size, 'strict $.sam_usd.double()', '{}', true) AS float8) AS sam,
           CAST(jsonb_path_query_first(i.market_size, 'strict $.som_usd.double()', '{}', true) AS float8) AS som,
           CAST(coalesce(jsonb_path_query_first(i.growth_rate, 'strict $.cagr.double()', '{}', true),
                         jsonb_path_query_first(i.growth_rate, 'strict $.double()', '{}', true)) AS float8) AS cagr
    FROM market_insights i
    WHERE i.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND i.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(i.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL OR i.organization_id = CAST(:organization_id AS uuid))
      AND (CAST(:min_confidence AS float8) <= 0 OR i.confidence_score >= CAST(:min_confidence AS float8))
),
chosen AS (
    SELECT industry, created_at, confidence,
           CASE WHEN abs(score) < CAST('Infinity' AS float8) THEN score END AS score,
           CASE WHEN abs(tam) < CAST('Infinity' AS float8) THEN tam END AS tam,
           CASE WHEN abs(sam) < CAST('Infinity' AS float8) THEN sam END AS sam,
           CASE WHEN abs(som) < CAST('Infinity' AS float8) THEN som END AS som,
           CASE WHEN abs(cagr) < CAST('Infinity' AS float8) THEN cagr END AS cagr,
           label
    FROM docs
)
"""
_INSIGHTS = "WITH " + _INSIGHT_CTES


# --- overview -----------------------------------------------------------------------------------

_OVERVIEW_SQL = "WITH " + _ENGAGEMENT_CTE + "," + _INSIGHT_CTES + """
, everything AS (  -- the same filters without the confidence threshold
    SELECT count(*) AS n FROM market_insights i
    WHERE i.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
      AND i.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
      AND (CAST(:industry AS text) IS NULL OR lower(btrim(i.industry)) = lower(btrim(CAST(:industry AS text))))
      AND (CAST(:organization_id AS uuid) IS NULL OR i.organization_id = CAST(:organization_id AS uuid))
)
SELECT (SELECT count(*) FROM chosen),
       (SELECT n FROM everything) - (SELECT count(*) FROM chosen),
       (SELECT count(DISTINCT industry) FROM chosen),
       (SELECT avg(confidence) FROM chosen),
       (SELECT max(created_at) FROM chosen),
       (SELECT count(*) FROM business_trends t
        WHERE t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
          AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
          AND (CAST(:industry AS text) IS NULL OR lower(btrim(t.industry)) = lower(btrim(CAST(:industry AS text))))),
       (SELECT count(*) FROM news_feed n
        WHERE coalesce(n.published_at, n.created_at) >= coalesce(CAST(:since AS timestamptz), '-infinity')
          AND coalesce(n.published_at, n.created_at) < coalesce(CAST(:until AS timestamptz), 'infinity')
          AND (CAST(:industry AS text) IS NULL
               OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(n.metadata -> 'tags') = 'array'
                                                                       THEN n.metadata -> 'tags' ELSE '[]' END) AS tag
                          WHERE lower(btrim(tag)) = lower(btrim(CAST(:industry AS text)))))),
       (SELECT count(*) FROM engagement_signals),
       (SELECT count(signal_score) FROM engagement_signals)
"""
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
    row = _rows(conn, _OVERVIEW_SQL, params)[0]
    mean_confidence = None if row[3] is None else round(float(row[3]), 4)
    values = [int(row[0]), int(row[1]), int(row[2]), mean_confidence, _day(row[4]), *(int(v) for v in row[5:])]
    return pd.DataFrame({"measure": pd.Series(OVERVIEW_MEASURES, dtype="string"),
                         "value": pd.Series(values, dtype=object)})


# --- insights, sentiment, market size and growth ---------------------------------------------------

_PER_INDUSTRY_SQL = _INSIGHTS + """
SELECT industry, count(*) AS insights, count(confidence) AS with_confidence, avg(confidence) AS mean_confidence,
       min(created_at) AS first, max(created_at) AS latest
FROM chosen
GROUP BY industry
ORDER BY insights DESC, industry
"""
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
    rows = _rows(conn, _PER_INDUSTRY_SQL, _params(organization_id, industry, since, until, min_confidence))
    total = sum(r[1] for r in rows)
    return _frame([(name, n, round(n / total, 4), scored, np.nan if mean is None else round(float(mean), 4),
                    _day(first), _day(latest)) for name, n, scored, mean, first, latest in rows], PER_INDUSTRY_COLUMNS)


_SENTIMENT_SQL = _INSIGHTS + """
, labelled AS (
    SELECT industry, score,
           CASE WHEN label IN ('negative', 'neutral', 'positive') THEN label
                WHEN score < -0.2 THEN 'negative'
                WHEN score >= 0.2 THEN 'positive'
                WHEN score IS NOT NULL THEN 'neutral'
           END AS label
    FROM chosen
)
SELECT industry, count(*) AS insights, count(score) AS scored, avg(score) AS mean_sentiment,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS median_sentiment,
       count(*) FILTER (WHERE label = 'positive') AS positive,
       count(*) FILTER (WHERE label = 'neutral') AS neutral,
       count(*) FILTER (WHERE label = 'negative') AS negative
FROM labelled
GROUP BY industry
ORDER BY insights DESC, industry
"""


def sentiment_by_industry(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                          min_confidence: float = 0.0) -> pd.DataFrame:
    """Return market insight sentiment per industry, as `analytics.sentiment_by_industry` does, with ``min_confidence``.

    Columns: industry, insights, scored, mean_sentiment, median_sentiment (-1..1,
    4 decimals), positive, neutral, negative. Most insights first, ties by name.
    Example: SaaS insights scored 0.5 and -0.5 -> ("SaaS", 2, 2, 0.0, 0.0, 1, 0, 1).
    """
    frame = _frame(_rows(conn, _SENTIMENT_SQL, _params(organization_id, industry, since, until, min_confidence)),
                   SENTIMENT_COLUMNS)
    return _round_columns(frame, {"mean_sentiment": 4, "median_sentiment": 4})


_MARKET_SQL = _INSIGHTS + """
SELECT industry, count(*) AS insights, count(tam) AS sized, avg(tam) AS tam_usd_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tam) AS tam_usd_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY sam) AS sam_usd_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY som) AS som_usd_median,
       count(cagr) AS with_growth, avg(cagr) AS cagr_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY cagr) AS cagr_median
FROM chosen
GROUP BY industry
ORDER BY insights DESC, industry
"""


def market_by_industry(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                       min_confidence: float = 0.0) -> pd.DataFrame:
    """Return market size (USD) and growth (CAGR) per industry as `analytics.market_by_industry`, and min_confidence.

    Columns: industry, insights, sized, tam_usd_mean, tam_usd_median, sam_usd_median,
    som_usd_median (whole dollars), with_growth, cagr_mean, cagr_median (4 decimals).
    Example: SaaS insights with TAM 1e9 and 3e9, CAGR 0.1 and 0.2 -> ("SaaS", 2, 2, 2e9, 2e9, ..., 2, 0.15, 0.15).
    """
    frame = _frame(_rows(conn, _MARKET_SQL, _params(organization_id, industry, since, until, min_confidence)),
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

_LATEST_TRENDS_SQL = f"""
SELECT t.created_at, coalesce(nullif(btrim(t.industry), ''), '{UNKNOWN}') AS industry, t.title,
       coalesce(nullif(btrim(t.source), ''), '{UNKNOWN}') AS source
FROM business_trends t
WHERE t.created_at >= coalesce(CAST(:since AS timestamptz), '-infinity')
  AND t.created_at < coalesce(CAST(:until AS timestamptz), 'infinity')
  AND (CAST(:industry AS text) IS NULL OR lower(btrim(t.industry)) = lower(btrim(CAST(:industry AS text))))
ORDER BY t.created_at DESC, t.id
LIMIT CAST(:limit AS integer)
"""
LATEST_TRENDS_COLUMNS = {"created": "str", "industry": "str", "title": "str", "source": "str"}


def latest_trends(conn: Connection, *, limit: int = TOP_ROWS, industry=None, since=None, until=None,
                  organization_id=None, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return the ``limit`` most recent business trends: created (ISO date), industry, title, source.

    Newest first (ties by id); a blank industry or source is 'unknown'. Trends
    belong to no organization and have no confidence: ``organization_id`` and
    ``min_confidence`` are accepted (one set of filters fits every function) and not used.
    """
    params = {**_params(None, industry, since, until), "limit": _whole_number(limit, "limit", 1000)}
    return _frame([(_day(created), *rest) for created, *rest in _rows(conn, _LATEST_TRENDS_SQL, params)],
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
    rows = [(int(r.rank), r.title, r.source, r.category, round(float(r.relevance_score), 2), _day(r.published_at))
            for r in news.itertuples(index=False)]
    return _frame(rows, NEWS_TABLE_COLUMNS)


# --- engagement intelligence ----------------------------------------------------------------------------

_BY_SOURCE_SQL = "WITH " + _ENGAGEMENT_CTE + """
SELECT source, count(*) AS signals, count(signal_score) AS scored, avg(signal_score) AS mean_signal,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY signal_score) AS median_signal,
       min(signal_score) AS min_signal, max(signal_score) AS max_signal,
       count(*) FILTER (WHERE cardinality(recommendations) > 0) AS with_recommendations
FROM engagement_signals
GROUP BY source
ORDER BY signals DESC, source
"""
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
    frame = _frame(_rows(conn, _BY_SOURCE_SQL, _params(organization_id, industry, since, until)), BY_SOURCE_COLUMNS)
    return _round_columns(frame, {c: 4 for c in ("mean_signal", "median_signal", "min_signal", "max_signal")})


_SIGNAL_SCORES_SQL = ("WITH " + _ENGAGEMENT_CTE
                      + "SELECT signal_score FROM engagement_signals WHERE signal_score IS NOT NULL")
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
    scores = np.array([r[0] for r in _rows(conn, _SIGNAL_SCORES_SQL, _params(organization_id, industry, since, until))],
                      dtype=float)
    if not len(scores):
        return _frame([], SIGNAL_DISTRIBUTION_COLUMNS)
    bins = int(np.ceil(round(1 / width, 9)))
    starts = np.round(width * np.arange(bins), 6)
    ends = np.round(np.minimum(starts + width, 1.0), 6)
    counts = np.bincount(np.clip(np.floor(np.round(scores / width, 9)).astype(int), 0, bins - 1), minlength=bins)
    return _frame(list(zip(starts.tolist(), ends.tolist(), counts.tolist())), SIGNAL_DISTRIBUTION_COLUMNS)


_TOP_INSIGHTS_SQL = "WITH " + _ENGAGEMENT_CTE + """
SELECT btrim(insights) AS insight, count(*) AS signals, count(DISTINCT source) AS sources,
       avg(signal_score) AS mean_signal, max(created_at) AS latest
FROM engagement_signals
WHERE nullif(btrim(insights), '') IS NOT NULL
GROUP BY 1
ORDER BY signals DESC, insight
LIMIT CAST(:limit AS integer)
"""
TOP_INSIGHTS_COLUMNS = {"insight": "str", "signals": "int", "sources": "int", "mean_signal": "float", "latest": "str"}


def top_engagement_insights(conn: Connection, *, limit: int = TOP_ROWS, organization_id=None, industry=None,
                            since=None, until=None, min_confidence: float = 0.0) -> pd.DataFrame:
    """Return the engagement insights recorded most often: insight, signals, sources, mean_signal, latest.

    The same text (trimmed) counts once per signal; sources counts distinct
    sources; mean_signal to 4 decimals (NaN without scores); latest is an ISO
    date. Most signals first, ties by text; at most ``limit`` rows. ``min_confidence`` is accepted and not used.
    """
    params = {**_params(organization_id, industry, since, until), "limit": _whole_number(limit, "limit", 1000)}
    rows = [(text, n, sources, np.nan if mean is None else round(float(mean), 4), _day(latest))
            for text, n, sources, mean, latest in _rows(conn, _TOP_INSIGHTS_SQL, params)]
    return _frame(rows, TOP_INSIGHTS_COLUMNS)
