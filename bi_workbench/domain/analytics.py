"""Product and market analytics on the metrics layer: active users, funnels, retention, sessions, intelligence.

Every function takes an SQLAlchemy Connection (it never opens one) and a
selection, and reads the data through `bi_workbench.metrics`: the numbers that
are metrics (active users, events, retention, funnel conversion, notification
read rate) come from `metrics.query`; lists and breakdowns are SQLAlchemy Core
aggregates over `metrics.selected_rows`, so organization ownership (the row's
own organization, else its user's memberships), industries (case- and
space-insensitive) and the ``as_of`` bound mean the same as in every report.
Only aggregated results travel to pandas, typed: periods ``datetime64[ns]``
(naive UTC period starts, as `metrics.query` returns them), counts ``int64``,
shares and statistics ``float64`` (NaN where undefined), labels ``string``.
No data gives an empty frame with the same columns.

The selection, in every function:

- ``bounds``: a `bi_workbench.metrics.Bounds` already resolved (a report
  resolves its selection once, `report_bounds`, and passes it to every call);
- or the keywords ``organization_id``, ``industry``, ``since`` / ``until``
  (inclusive dates, as in reports and `metrics.query`) and ``as_of``, resolved
  here with `metrics.Selection` (unknown organization or industry: an error
  naming the known values).

Bad input raises InvalidParameterError naming the parameter.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import metrics
from .report_selection import checked
from .report_selection import resolve as report_bounds  # noqa: F401 - the reports' one resolution
from ..errors import InvalidParameterError
from ..metrics.catalog import FUNNEL_STEPS
from ..metrics.ownership import in_industry
from ..metrics.selection import latest_data_time
from ..schema import tables as t
from ..timeparse import parse_instant

#: Calendar periods of the per-period series (weeks start on Monday, UTC).
PERIODS = ("day", "week", "month")
#: Cohort lengths of `retention` (the grains of the ``retention`` metric).
COHORTS = ("week", "month")
#: Groupings of session_lengths (``None``: one overall row, group 'all').
SESSION_GROUPS = ("device", "os", "browser", "source")
#: Groupings of notification_read_rates (``None``: one overall row, group 'all').
NOTIFICATION_GROUPS = ("type", "priority", "channel")
#: The platform's funnel, in order (`bi_workbench.metrics.catalog.FUNNEL_STEPS`).
DEFAULT_FUNNEL = FUNNEL_STEPS
#: Largest retention periods and top_news limit accepted.
MAX_PERIODS = 120
MAX_NEWS = 1000

UTC = pd.DatetimeTZDtype("ns", "UTC")
_DTYPES = {"ts": UTC, "period": np.dtype("datetime64[ns]"), "int": np.dtype("int64"), "float": np.dtype("float64"),
           "bool": np.dtype("bool"), "str": pd.StringDtype(), "object": np.dtype("object")}

# Columns (name -> kind) of every frame returned, so empty results have them too.
ACTIVE_USERS_COLUMNS = {"period": "period", "complete": "bool", "active_users": "int", "events": "int"}
FUNNEL_COLUMNS = {"step_number": "int", "step": "str", "users": "int", "conversion_from_previous": "float",
                  "conversion_from_first": "float"}
RETENTION_COLUMNS = {"cohort": "period", "cohort_size": "int", "period_number": "int", "active_users": "int",
                     "retention": "float", "complete": "bool"}
SESSION_COLUMNS = {"group": "str", "sessions": "int", "mean_minutes": "float", "median_minutes": "float",
                   "p90_minutes": "float"}
SENTIMENT_COLUMNS = {"industry": "str", "insights": "int", "scored": "int", "mean_sentiment": "float",
                     "median_sentiment": "float", "positive": "int", "neutral": "int", "negative": "int"}
MARKET_COLUMNS = {"industry": "str", "insights": "int", "sized": "int", "tam_usd_mean": "float",
                  "tam_usd_median": "float", "sam_usd_median": "float", "som_usd_median": "float",
                  "with_growth": "int", "cagr_mean": "float", "cagr_median": "float"}
TREND_COLUMNS = {"period": "period", "complete": "bool", "industry": "str", "trends": "int"}
NEWS_COLUMNS = {"rank": "int", "id": "object", "title": "str", "url": "str", "source": "str", "category": "str",
                "relevance_score": "float", "published_at": "ts"}
NOTIFICATION_COLUMNS = {"group": "str", "sent": "int", "read": "int", "read_rate": "float",
                        "median_hours_to_read": "float", "p90_hours_to_read": "float"}
#: Sentiment labels, and the score thresholds the platform derives a missing label from.
SENTIMENT_LABELS = ("negative", "neutral", "positive")
NEGATIVE_BELOW, POSITIVE_FROM = -0.2, 0.2


# --- the selection ---------------------------------------------------------------------------


def resolve(conn: Connection, bounds: metrics.Bounds | None = None, **selection) -> metrics.Bounds:
    """Return ``bounds`` when given, else the Bounds of ``selection`` (organization_id, industry, since, until, as_of).

    Raises InvalidParameterError when both are given (the bounds already hold a selection).
    """
    if bounds is not None:
        if not isinstance(bounds, metrics.Bounds):
            raise InvalidParameterError(f"bounds must be a metrics.Bounds (metrics.Selection.of(...).resolve(conn)); "
                                        f"got {type(bounds).__name__}")
        given = sorted(key for key, value in selection.items() if value is not None)
        if given:
            raise InvalidParameterError(f"give either bounds or the selection ({', '.join(given)}), not both")
        return bounds
    return report_bounds(conn, selection)


# --- product analytics -------------------------------------------------------------


def active_users(conn: Connection, period: str = "week", since=None, until=None, organization_id=None, *,
                 industry: str | None = None, as_of=None, bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return the metrics ``active_users`` and ``events`` per calendar period: period, complete, active_users, events.

    Periods without events between the first and the last active one are included
    with zeros; ``complete`` is False for a period not over at the selection's bound
    (its numbers are partial, not a drop). Example: two users with events on Monday
    2025-01-06 and one of them again on 2025-01-15 -> rows (2025-01-06, True, 2, ...),
    (2025-01-13, True, 1, ...).
    """
    grain = _period(period, "period")
    bounds = resolve(conn, bounds, organization_id=organization_id, industry=industry, since=since, until=until,
                     as_of=as_of)
    frame = metrics.query(["active_users", "events"], grain=grain, engine=conn, bounds=bounds)
    if frame.empty:
        return typed_frame([], ACTIVE_USERS_COLUMNS)
    every = pd.date_range(frame["period"].min(), frame["period"].max(), freq=PANDAS_FREQ[grain], name="period")
    frame = frame.set_index("period").reindex(every).reset_index()
    frame[["active_users", "events"]] = frame[["active_users", "events"]].fillna(0)
    frame["complete"] = metrics.period_complete(frame["period"], grain, bounds)
    return typed_frame(frame[list(ACTIVE_USERS_COLUMNS)].itertuples(index=False), ACTIVE_USERS_COLUMNS)


def funnel(conn: Connection, steps: Sequence[str] = DEFAULT_FUNNEL, since=None, until=None, organization_id=None, *,
           industry: str | None = None, as_of=None, bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return the metric ``funnel_conversion``: step_number, step, users, conversion_from_previous/first.

    A user enters at their first ``steps[0]`` event in the selection; step k+1 counts
    at the first event of its type at or after step k's (strictly after when the step
    repeats), within `bi_workbench.metrics.special.FUNNEL_WINDOW_DAYS`
    days of entering. A step no one reached has 0 users; a conversion over 0 users is
    NaN. Example: ``funnel(conn, ["signup", "upgrade"])`` -> rows (1, "signup", 120, 1.0,
    1.0) and (2, "upgrade", 6, 0.05, 0.05).
    """
    bounds = resolve(conn, bounds, organization_id=organization_id, industry=industry, since=since, until=until,
                     as_of=as_of)
    frame = metrics.query("funnel_conversion", steps=steps, engine=conn, bounds=bounds)
    return typed_frame(frame[list(FUNNEL_COLUMNS)].itertuples(index=False), FUNNEL_COLUMNS)


def retention(conn: Connection, cohort: str = "month", periods: int = 12, as_of=None, since=None, until=None,
              organization_id=None, *, industry: str | None = None,
              bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return the metric ``retention``, long: cohort, cohort_size, period_number, active_users, retention, complete.

    Users form cohorts by the calendar ``cohort`` (week or month) of their signup in
    the selection; period_number 0 is the signup period, up to ``periods``; a user is
    active in period n with an analytics event of the selection in it. A period not
    over at the selection's bound has ``retention`` NaN and ``complete`` False;
    periods starting after it are left out. Example: 3 users signing up in January,
    2 active in February -> the row (2025-01-01, 3, 1, 2, 0.667, True).
    """
    grain = _choice(cohort, "cohort", COHORTS)
    count = _whole_number(periods, "periods", MAX_PERIODS, 0)
    bounds = resolve(conn, bounds, organization_id=organization_id, industry=industry, since=since, until=until,
                     as_of=as_of)
    frame = metrics.query("retention", grain=grain, periods=count, engine=conn, bounds=bounds)
    return typed_frame(frame[list(RETENTION_COLUMNS)].itertuples(index=False), RETENTION_COLUMNS)


def session_lengths(conn: Connection, since=None, until=None, by: str | None = "device", organization_id=None, *,
                    industry: str | None = None, as_of=None, bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return the length of the selection's ended sessions per group: group, sessions, mean/median/p90_minutes.

    ``by``: ``device``, ``os``, ``browser`` (from device_info), ``source`` (the first
    source, by name, of the session's analytics events) or None for one row ``all``;
    sessions ending before they start are left out; most sessions first.
    Example: sessions of 10 and 30 minutes on desktop -> the row ("desktop", 2, 20.0, 20.0, 28.0).
    """
    group_by = _choice(by, "by", SESSION_GROUPS, optional=True)
    bounds = resolve(conn, bounds, organization_id=organization_id, industry=industry, since=since, until=until,
                     as_of=as_of)
    rows = metrics.selected_rows("session", bounds, where=lambda r: sa.and_(
        r.c.ended_at.is_not(None), r.c.ended_at >= r.c.started_at)).subquery("sessions")
    minutes = elapsed(rows.c.started_at, rows.c.ended_at, "minutes")
    label, source = _session_group(rows, group_by)
    group = group_label(label).label("group")
    query = (sa.select(group, sa.func.count().label("sessions"), sa.cast(sa.func.avg(minutes), sa.Float),
                       *_percentiles(minutes))
             .select_from(source).group_by(group).order_by(sa.desc("sessions"), group))
    return typed_frame(conn.execute(query), SESSION_COLUMNS)


def _session_group(rows, by: str | None) -> tuple:
    """Return the group's column and the FROM clause that holds it.

    A session's source is the first (by name) of its analytics events' sources, read from
    the read model ``session_sources`` (kept by triggers on analytics_events:
    ``schema/sql/session_sources.sql``), one row per session instead of every event.
    """
    if by is None:
        return sa.literal("all"), rows
    if by == "source":
        kept = t.session_sources
        return kept.c.source, rows.outerjoin(kept, kept.c.session_id == rows.c.id)
    return rows.c.device_info[by].astext, rows


# --- market intelligence -------------------------------------------------------------


def sentiment_by_industry(conn: Connection, since=None, until=None, industry: str | None = None,
                          organization_id=None, *, as_of=None, bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return the selection's market insight sentiment per industry: insights, scored, mean/median_sentiment, labels.

    Scores are ``sentiment.score`` (or a bare number, -1..1); documents without a
    usable score count in ``insights`` only. The label is ``sentiment.label`` when it
    is one of `SENTIMENT_LABELS`, else derived from the score (below -0.2 negative,
    from 0.2 positive). Industries group case- and space-insensitively, shown in their
    first spelling. Example: SaaS insights scored 0.5 and -0.5 -> ("SaaS", 2, 2, 0.0, 0.0, 1, 0, 1).
    """
    bounds = resolve(conn, bounds, organization_id=organization_id, industry=industry, since=since, until=until,
                     as_of=as_of)
    rows = metrics.selected_rows("market_insight", bounds, dimensions=("industry",)).subquery("insights")
    score = _finite(_json_number(rows.c.sentiment, "score"))
    given = sa.func.lower(sa.func.btrim(_json_text(rows.c.sentiment, "label")))
    label = sa.case((given.in_(SENTIMENT_LABELS), given), (score < NEGATIVE_BELOW, "negative"),
                    (score >= POSITIVE_FROM, "positive"), (score.is_not(None), "neutral"))
    industry_name = sa.func.min(sa.func.btrim(rows.c.industry)).label("industry")
    query = (sa.select(industry_name, sa.func.count().label("insights"), sa.func.count(score), sa.func.avg(score),
                       sa.func.percentile_cont(0.5).within_group(score),
                       *(sa.func.count().filter(label == name) for name in ("positive", "neutral", "negative")))
             .group_by(rows.c.dim_industry).order_by(sa.desc("insights"), industry_name))
    return typed_frame(conn.execute(query), SENTIMENT_COLUMNS)


def market_by_industry(conn: Connection, since=None, until=None, industry: str | None = None,
                       organization_id=None, *, as_of=None, bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return market size (USD) and growth (CAGR) per industry of the selection's market insights.

    Columns: industry, insights, sized, tam_usd_mean, tam_usd_median, sam_usd_median,
    som_usd_median, with_growth, cagr_mean, cagr_median; read from JSONB in PostgreSQL
    (``market_size.tam_usd`` or a bare number, ``growth_rate.cagr`` or a bare number);
    missing or odd values are NULL and left out. Example: SaaS insights with TAM 1e9 and
    3e9, CAGR 0.1 and 0.2 -> ("SaaS", 2, 2, 2e9, 2e9, ..., 2, 0.15, 0.15).
    """
    bounds = resolve(conn, bounds, organization_id=organization_id, industry=industry, since=since, until=until,
                     as_of=as_of)
    rows = metrics.selected_rows("market_insight", bounds, dimensions=("industry",)).subquery("insights")
    tam = _finite(_json_number(rows.c.market_size, "tam_usd"))
    sam, som = (_finite(_json_number(rows.c.market_size, key, bare=False)) for key in ("sam_usd", "som_usd"))
    cagr = _finite(_json_number(rows.c.growth_rate, "cagr"))
    median = sa.func.percentile_cont(0.5).within_group
    industry_name = sa.func.min(sa.func.btrim(rows.c.industry)).label("industry")
    query = (sa.select(industry_name, sa.func.count().label("insights"), sa.func.count(tam), sa.func.avg(tam),
                       median(tam), median(sam), median(som), sa.func.count(cagr), sa.func.avg(cagr), median(cagr))
             .group_by(rows.c.dim_industry).order_by(sa.desc("insights"), industry_name))
    return typed_frame(conn.execute(query), MARKET_COLUMNS)


def trend_counts(conn: Connection, period: str = "month", by_industry: bool = True, since=None, until=None,
                 industry: str | None = None, *, as_of=None, bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return business trends per calendar period: period, complete, industry, trends (no industry when not by it).

    Business trends are reference data (no organization). Blank industries are
    'unknown'; industries group case- and space-insensitively; periods (and industries)
    without trends between the first and last period are included with 0; ``complete``
    marks periods over at the selection's bound. Example: two SaaS trends in January
    2025 -> the row (2025-01-01, True, "SaaS", 2).
    """
    if not isinstance(by_industry, (bool, np.bool_)):
        raise InvalidParameterError(f"by_industry must be True or False, got {by_industry!r}")
    grain = _period(period, "period")
    bounds = resolve(conn, bounds, industry=industry, since=since, until=until, as_of=as_of)
    rows = metrics.selected_rows("business_trend", bounds, dimensions=("industry",), grain=grain).subquery("trends")
    key = sa.func.coalesce(rows.c.dim_industry, "") if by_industry else sa.literal("")
    query = (sa.select(rows.c.period, key.label("key"), sa.func.count().label("trends"),
                       sa.func.min(group_label(rows.c.industry)).label("industry"))
             .group_by(rows.c.period, key))
    counted = pd.DataFrame(conn.execute(query).all(), columns=["period", "key", "trends", "industry"])
    if counted.empty:
        frame = typed_frame([], TREND_COLUMNS)
    else:
        names = counted.groupby("key")["industry"].min()
        every = pd.date_range(counted["period"].min(), counted["period"].max(), freq=PANDAS_FREQ[grain])
        grid = pd.MultiIndex.from_product([every, sorted(names.index)], names=["period", "key"])
        filled = counted.set_index(["period", "key"])["trends"].reindex(grid, fill_value=0).reset_index()
        filled["industry"] = filled["key"].map(names)
        filled["complete"] = metrics.period_complete(filled["period"], grain, bounds)
        filled = filled.sort_values(["period", "industry"])
        frame = typed_frame(filled[list(TREND_COLUMNS)].itertuples(index=False), TREND_COLUMNS)
    return frame if by_industry else frame.drop(columns="industry")


def top_news(conn: Connection, limit: int = 10, category: str | None = None, since=None, until=None,
             industry: str | None = None, *, as_of=None, bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return the most relevant news: rank, id, title, url, source, category, relevance_score, published_at.

    News items are reference data chosen by their created_at in the selection;
    ``industry`` keeps items tagged with it (metadata.tags, case- and
    space-insensitively); ordered by relevance_score (unscored last), then the most
    recent (published_at, else created_at), then id. Example:
    ``top_news(conn, 3, category="funding")["rank"].tolist()`` -> ``[1, 2, 3]``.
    """
    count = _whole_number(limit, "limit", MAX_NEWS)
    chosen = _text(category, "category")
    bounds = resolve(conn, bounds, industry=industry, since=since, until=until, as_of=as_of)
    tagged = bounds.selection.industry

    def keep(r):
        return sa.and_(sa.true() if chosen is None else sa.func.lower(sa.func.btrim(r.c.category)) == chosen.lower(),
                       sa.true() if tagged is None else _tagged(r.c.metadata, tagged))

    rows = metrics.selected_rows("news_item", bounds, where=keep).subquery("news")
    published = sa.func.coalesce(rows.c.published_at, rows.c.created_at)
    order = (rows.c.relevance_score.desc().nulls_last(), published.desc().nulls_last(), rows.c.id)
    query = (sa.select(sa.func.row_number().over(order_by=order), rows.c.id, rows.c.title, rows.c.url, rows.c.source,
                       rows.c.category, sa.cast(rows.c.relevance_score, sa.Float), published)
             .order_by(*order).limit(count))
    return typed_frame(conn.execute(query), NEWS_COLUMNS)


def _tagged(document, industry: str):
    """Return EXISTS a tag of ``document``'s ``tags`` array equal to ``industry`` (as industries compare)."""
    tags = sa.case((sa.func.jsonb_typeof(document["tags"]) == "array", document["tags"]),
                   else_=sa.literal_column("'[]'::jsonb"))
    tag = sa.func.jsonb_array_elements_text(tags).table_valued("value").render_derived("tag")
    return sa.exists().select_from(tag).where(in_industry(tag.c.value, industry))


# --- notifications -------------------------------------------------------------------


def notification_read_rates(conn: Connection, by: str | None = "type", since=None, until=None, organization_id=None,
                            *, industry: str | None = None, as_of=None,
                            bounds: metrics.Bounds | None = None) -> pd.DataFrame:
    """Return per group: group, sent, read, read_rate (the metric ``notification_read_rate``), hours to read.

    ``by``: ``type``, ``priority``, ``channel`` (metadata.channel) or None for one row
    ``all``; the notifications sent in the selection. ``median_hours_to_read`` and
    ``p90_hours_to_read`` are of read notifications whose read_at is not before they
    were sent. Most sent first. Example: 4 billing notifications, 3 read after 1, 2
    and 3 hours -> the row ("billing", 4, 3, 0.75, 2.0, 2.8).
    """
    group_by = _choice(by, "by", NOTIFICATION_GROUPS, optional=True)
    bounds = resolve(conn, bounds, organization_id=organization_id, industry=industry, since=since, until=until,
                     as_of=as_of)
    rows = metrics.selected_rows("notification", bounds).subquery("sent")
    group = group_label(_notification_group(rows, group_by)).label("group")
    rate = metrics.metric("notification_read_rate").measure(rows)
    hours = sa.case((rows.c.read_at >= rows.c.created_at, elapsed(rows.c.created_at, rows.c.read_at, "hours")))
    query = (sa.select(group, sa.func.count().label("sent"), sa.cast(sa.func.round(rate * sa.func.count()), sa.Integer),
                       rate, *_percentiles(hours))
             .group_by(group).order_by(sa.desc("sent"), group))
    return typed_frame(conn.execute(query), NOTIFICATION_COLUMNS)


def _notification_group(rows, by: str | None):
    if by is None:
        return sa.literal("all")
    return _json_text(rows.c.metadata, "channel") if by == "channel" else rows.c[by]


def data_as_of(conn: Connection):
    """Return the data's own "now": the latest time of any row (`metrics.selection.latest_data_time`), or None.

    Without an as_of, every report is bounded by the end of that UTC day (`report_bounds`).
    """
    return latest_data_time(checked(conn), metrics.Selection())


# --- shared expressions --------------------------------------------------------------------

#: pandas frequencies of the calendar periods (weeks start on Monday, as date_trunc's).
PANDAS_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}


def _json_number(document, key: str, *, bare: bool = True):
    """Return ``document.key`` (or the document itself when ``bare``) as float8; NULL when missing or not a number."""
    def path(p):
        return sa.func.jsonb_path_query_first(document, sa.literal_column(f"'{p}'::jsonpath"),
                                              sa.literal_column("'{}'::jsonb"), sa.true())
    value = path(f"strict $.{key}.double()")
    if bare:
        value = sa.func.coalesce(value, path("strict $.double()"))
    return sa.cast(value, sa.Float)


def _json_text(document, key: str):
    """Return ``document.key`` when it is a JSON string, else NULL."""
    path = sa.literal_column(f"""'strict $.{key} ? (@.type() == "string")'::jsonpath""")
    value = sa.func.jsonb_path_query_first(document, path, sa.literal_column("'{}'::jsonb"), sa.true())
    return value.op("#>>")(sa.literal_column("'{}'::text[]"))


def _finite(value):
    """Return ``value`` when finite, else NULL (JSON may hold 1e400, read as Infinity)."""
    return sa.case((sa.func.abs(value) < sa.literal_column("'Infinity'::float8"), value))


def group_label(column):
    """Return a group label: the value trimmed, 'unknown' when missing or blank."""
    return sa.func.coalesce(sa.func.nullif(sa.func.btrim(sa.cast(column, sa.Text)), ""), "unknown")


#: Seconds per unit of `elapsed`.
_UNIT_SECONDS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0}


def elapsed(start, end, unit: str = "seconds"):
    """Return the time from ``start`` to ``end`` (timestamp columns) in ``unit``, as double precision.

    ``date_part('epoch', ...)`` is a float8 where ``extract`` is a numeric: the same value
    to 15 digits, and aggregating or sorting millions of them takes a third of the time.
    """
    return sa.func.date_part("epoch", end - start, type_=sa.Float) / _UNIT_SECONDS[unit]


def _percentiles(value) -> list:
    return [sa.func.percentile_cont(q).within_group(value) for q in (0.5, 0.9)]


# --- typed frames -----------------------------------------------------------------------


def typed_frame(rows: Iterable, columns: Mapping[str, str]) -> pd.DataFrame:
    """Return ``rows`` as a DataFrame with the dtypes of ``columns`` ({name: kind}), also when empty."""
    rows = [tuple(row) for row in rows]
    frame = pd.DataFrame.from_records(rows, columns=list(columns)) if rows else pd.DataFrame(
        {name: pd.Series(dtype=object) for name in columns})
    for name, kind in columns.items():
        values = frame[name]
        if kind == "ts":
            values = pd.to_datetime(values, utc=True)
        elif kind == "period":
            values = pd.to_datetime(values)
        elif kind == "float":
            values = pd.to_numeric(values, errors="coerce")
        frame[name] = values.astype(_DTYPES[kind])
    return frame


#: The former name of `typed_frame`, still imported by other report modules.
_frame = typed_frame


# --- parameters -------------------------------------------------------------------------


def _period(value, name: str) -> str:
    """Return a valid period name (day, week, month); raise naming ``name`` otherwise."""
    return _choice(value, name, PERIODS)


def _choice(value, name: str, options: Iterable[str], *, optional: bool = False) -> str | None:
    """Return ``value`` if it is one of ``options`` (or None when optional); raise naming ``name``."""
    options = tuple(options)
    if value is None and optional:
        return None
    if isinstance(value, str) and value.strip().lower() in options:
        return value.strip().lower()
    allowed = ", ".join(options) + (" or None" if optional else "")
    raise InvalidParameterError(f"{name} must be one of {allowed}; got {value!r}")


def _instant(value, name: str) -> dt.datetime | None:
    """Return ``value`` as an aware UTC datetime (see `bi_workbench.timeparse`); raises naming ``name``."""
    if value is None:
        return None
    parsed = parse_instant(value)
    if parsed is None:
        raise InvalidParameterError(f"{name} must be a date, a datetime or ISO text such as '2025-01-31' "
                                    f"or '2025-01-31T12:00:00+00:00'; got {value!r}")
    return parsed


def _range(since, until) -> dict:
    """Return the bound parameters ``since`` and ``until`` of a half-open range; raise if it is empty."""
    start, end = _instant(since, "since"), _instant(until, "until")
    if start is not None and end is not None and start >= end:
        raise InvalidParameterError(f"since must be before until (the range is [since, until)); "
                                    f"got since={since!r}, until={until!r}")
    return {"since": start, "until": end}


def _uuid(value, name: str) -> uuid.UUID | None:
    """Return ``value`` as a UUID (None stays None); raise naming ``name`` otherwise."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, TypeError, AttributeError):
        raise InvalidParameterError(f"{name} must be a UUID such as '9f1c2b6e-...'; got {value!r}") from None


def _whole_number(value, name: str, maximum: int, minimum: int = 1) -> int:
    """Return ``value`` as an int in [minimum, maximum]; raise naming ``name`` otherwise (bools refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise InvalidParameterError(f"{name} must be a whole number between {minimum} and {maximum}; "
                                        f"got {value!r}")
    if not minimum <= int(value) <= maximum:
        raise InvalidParameterError(f"{name} must be between {minimum} and {maximum}; got {value!r}")
    return int(value)


def _text(value, name: str) -> str | None:
    """Return ``value`` stripped, or None; raise naming ``name`` if it is not non-blank text."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise InvalidParameterError(f"{name} must be non-blank text or None; got {value!r}")


__all__ = ["ACTIVE_USERS_COLUMNS", "DEFAULT_FUNNEL", "FUNNEL_COLUMNS", "MARKET_COLUMNS", "NEWS_COLUMNS",
           "NOTIFICATION_COLUMNS", "RETENTION_COLUMNS", "SENTIMENT_COLUMNS", "SESSION_COLUMNS", "TREND_COLUMNS",
           "active_users", "data_as_of", "funnel", "market_by_industry", "notification_read_rates",
           "group_label", "report_bounds", "resolve", "retention", "sentiment_by_industry",
           "session_lengths", "top_news", "trend_counts", "typed_frame"]
