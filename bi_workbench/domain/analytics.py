"""Product and market analytics: active users, funnels, retention, sessions, intelligence, notifications.

Every function takes an SQLAlchemy Connection (it never opens one) and runs one
named query of ``bi_workbench/domain/sql/analytics/`` in PostgreSQL with bound
parameters; only the aggregated result travels to pandas, as a tidy DataFrame
whose columns are typed: timestamps ``datetime64[ns, UTC]``, counts ``int64``,
shares and statistics ``float64`` (NaN where undefined, e.g. a median of
nothing), labels ``string``. No data gives an empty frame with the same columns.

Conventions shared by all functions:

- ``since`` / ``until`` bound a half-open range ``[since, until)`` (as in
  `bi_workbench.loaders`); each is a date, a datetime, a pandas Timestamp or ISO
  text (``"2025-01-01"``, ``"2025-01-01T12:00:00+02:00"``); naive times are UTC;
  ``None`` leaves that side open;
- periods are calendar periods in UTC, ``date_trunc(period, created_at AT TIME
  ZONE 'UTC')``: ``day``, ``week`` (ISO weeks, starting on Monday) or ``month``;
- ``organization_id`` keeps the rows of one organization: analytics events and
  notifications carrying it, market insights of it, and for user-level tables
  (users, sessions) the organization's members;
- ``industry`` (keyword) keeps, in the product analytics and notification read
  rates, the rows whose user has that industry (the event's, session's or
  notification's user; a funnel's or cohort's users), compared trimmed and
  case-insensitively; in market intelligence, the insights, trends or news of it;
- ``as_of`` (retention) is the report's "now"; by default the latest
  ``created_at`` in the data, not the clock, so reports on the deterministic demo
  database do not change from day to day. It is returned in ``frame.attrs["as_of"]``.

Bad input raises InvalidParameterError naming the parameter.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from ..schema.sqlfiles import read_sql
from ..timeparse import parse_instant

#: Calendar periods accepted by ``period`` and ``cohort``.
PERIODS = ("day", "week", "month")
#: Groupings of session_lengths (``None``: one overall row, group 'all').
SESSION_GROUPS = ("device", "os", "browser", "source")
#: Groupings of notification_read_rates (``None``: one overall row, group 'all').
NOTIFICATION_GROUPS = ("type", "priority", "channel")
#: The platform's funnel, in order (the event types the demo data records).
DEFAULT_FUNNEL = ("signup", "assessment_started", "assessment_completed", "report_viewed", "lever_accepted",
                  "simulation_run", "upgrade")
#: Largest window_days, retention periods and top_news limit accepted.
MAX_WINDOW_DAYS = 3650
MAX_PERIODS = 1000
MAX_NEWS = 1000

UTC = pd.DatetimeTZDtype("ns", "UTC")
_DTYPES = {"ts": UTC, "int": np.dtype("int64"), "float": np.dtype("float64"), "str": pd.StringDtype(),
           "object": np.dtype("object")}

# Columns (name -> kind) of every frame returned, so empty results have them too.
ACTIVE_USERS_COLUMNS = {"period": "ts", "active_users": "int", "events": "int"}
FUNNEL_COLUMNS = {"step_number": "int", "step": "str", "users": "int", "conversion_from_previous": "float",
                  "conversion_from_first": "float"}
RETENTION_COLUMNS = {"cohort": "ts", "cohort_size": "int", "period_number": "int", "active_users": "int",
                     "retention": "float"}
SESSION_COLUMNS = {"group": "str", "sessions": "int", "mean_minutes": "float", "median_minutes": "float",
                   "p90_minutes": "float"}
SENTIMENT_COLUMNS = {"industry": "str", "insights": "int", "scored": "int", "mean_sentiment": "float",
                     "median_sentiment": "float", "positive": "int", "neutral": "int", "negative": "int"}
MARKET_COLUMNS = {"industry": "str", "insights": "int", "sized": "int", "tam_usd_mean": "float",
                  "tam_usd_median": "float", "sam_usd_median": "float", "som_usd_median": "float",
                  "with_growth": "int", "cagr_mean": "float", "cagr_median": "float"}
TREND_COLUMNS = {"period": "ts", "industry": "str", "trends": "int"}
NEWS_COLUMNS = {"rank": "int", "id": "object", "title": "str", "url": "str", "source": "str", "category": "str",
                "relevance_score": "float", "published_at": "ts"}
NOTIFICATION_COLUMNS = {"group": "str", "sent": "int", "read": "int", "read_rate": "float",
                        "median_hours_to_read": "float", "p90_hours_to_read": "float"}


# --- product analytics -------------------------------------------------------------


def active_users(conn: Connection, period: str = "week", since=None, until=None,
                 organization_id=None, *, industry: str | None = None) -> pd.DataFrame:
    """Return distinct active users and events per calendar period: period, active_users, events.

    Periods without events between the first and the last active one are
    included with zeros. Example: two users with events on Monday 2025-01-06
    and one of them again on 2025-01-15 ->
    ``active_users(conn, "week")`` has rows (2025-01-06, 2, ...), (2025-01-13, 1, ...).
    """
    params = {"period": _period(period, "period"), **_range(since, until),
              "organization_id": _uuid(organization_id, "organization_id"), "industry": _text(industry, "industry")}
    return _query(conn, "active_users.sql", params, ACTIVE_USERS_COLUMNS)


def funnel(conn: Connection, steps: Sequence[str] = DEFAULT_FUNNEL, since=None, until=None, window_days: int = 30,
           organization_id=None, *, industry: str | None = None) -> pd.DataFrame:
    """Return users reaching each ordered step: step_number, step, users, conversion_from_previous/first.

    A user enters at their first ``steps[0]`` event in ``[since, until)``; step k+1
    counts when its event follows step k's (strictly, if it is the same event type)
    within ``window_days`` of entering. A step no one reached (an event type absent
    from the data included) has 0 users; a conversion over 0 users is NaN.
    Example: ``funnel(conn, ["signup", "upgrade"])`` ->
    rows (1, "signup", 120, 1.0, 1.0) and (2, "upgrade", 6, 0.05, 0.05).
    """
    params = {"steps": _steps(steps), "window_days": _whole_number(window_days, "window_days", MAX_WINDOW_DAYS),
              **_range(since, until), "organization_id": _uuid(organization_id, "organization_id"),
              "industry": _text(industry, "industry")}
    return _query(conn, "funnel.sql", params, FUNNEL_COLUMNS)


def retention(conn: Connection, cohort: str = "month", periods: int = 12, as_of=None, since=None, until=None,
              organization_id=None, *, industry: str | None = None) -> pd.DataFrame:
    """Return the retention matrix, long: cohort, cohort_size, period_number, active_users, retention.

    Users form cohorts by the calendar period of ``users.created_at`` (``since``/
    ``until`` choose which signups); period_number 0 is the signup period, up to
    ``periods``; a user is active in period n with any analytics event in it.
    Cells starting after ``as_of`` are left out; ``frame.attrs["as_of"]`` holds
    the as_of used. Example: 3 users signing up in January, 2 active in February
    -> the row (2025-01-01, 3, 1, 2, 0.667).
    """
    params = {"cohort": _period(cohort, "cohort"), "periods": _whole_number(periods, "periods", MAX_PERIODS, 0),
              "as_of": _instant(as_of, "as_of"), **_range(since, until),
              "organization_id": _uuid(organization_id, "organization_id"), "industry": _text(industry, "industry")}
    rows = _rows(conn, "retention.sql", params)
    frame = _frame([row[:-1] for row in rows], RETENTION_COLUMNS)
    as_of_used = rows[0][-1] if rows else params["as_of"] or data_as_of(conn)
    frame.attrs["as_of"] = None if as_of_used is None else pd.Timestamp(as_of_used).tz_convert("UTC")
    return frame


def session_lengths(conn: Connection, since=None, until=None, by: str | None = "device",
                    organization_id=None, *, industry: str | None = None) -> pd.DataFrame:
    """Return the length of ended sessions per group: group, sessions, mean/median/p90_minutes.

    ``by``: ``device``, ``os``, ``browser`` (from device_info), ``source`` (of the
    session's analytics events) or None for one row ``all``; sessions are chosen
    by ``started_at`` in ``[since, until)``, most frequent group first.
    Example: sessions of 10 and 30 minutes on desktop ->
    ``session_lengths(conn)`` has the row ("desktop", 2, 20.0, 20.0, 28.0).
    """
    params = {"by": _choice(by, "by", SESSION_GROUPS, optional=True), **_range(since, until),
              "organization_id": _uuid(organization_id, "organization_id"), "industry": _text(industry, "industry")}
    return _query(conn, "session_lengths.sql", params, SESSION_COLUMNS)


# --- market intelligence -------------------------------------------------------------


def sentiment_by_industry(conn: Connection, since=None, until=None, industry: str | None = None,
                          organization_id=None) -> pd.DataFrame:
    """Return market insight sentiment per industry: insights, scored, mean/median_sentiment, label counts.

    Scores are ``sentiment.score`` (-1..1); documents without a usable score count
    in ``insights`` only. Example: SaaS insights scored 0.5 and -0.5 ->
    the row ("SaaS", 2, 2, 0.0, 0.0, 1, 0, 1).
    """
    params = {**_range(since, until), "industry": _text(industry, "industry"),
              "organization_id": _uuid(organization_id, "organization_id")}
    return _query(conn, "sentiment_by_industry.sql", params, SENTIMENT_COLUMNS)


def market_by_industry(conn: Connection, since=None, until=None, industry: str | None = None,
                       organization_id=None) -> pd.DataFrame:
    """Return market size (USD) and growth (CAGR) per industry, extracted from JSONB in PostgreSQL.

    Columns: industry, insights, sized, tam_usd_mean, tam_usd_median, sam_usd_median,
    som_usd_median, with_growth, cagr_mean, cagr_median; missing or odd JSON values
    are NULL and left out. Example: SaaS insights with TAM 1e9 and 3e9, CAGR 0.1 and
    0.2 -> ("SaaS", 2, 2, 2e9, 2e9, ..., 2, 0.15, 0.15).
    """
    params = {**_range(since, until), "industry": _text(industry, "industry"),
              "organization_id": _uuid(organization_id, "organization_id")}
    return _query(conn, "market_by_industry.sql", params, MARKET_COLUMNS)


def trend_counts(conn: Connection, period: str = "month", by_industry: bool = True, since=None, until=None,
                 industry: str | None = None) -> pd.DataFrame:
    """Return business trends per calendar period: period, industry, trends (period, trends when not by industry).

    Blank industries are 'unknown'; periods (and industries) without trends
    between the first and last period are included with 0. Example: two SaaS
    trends in January -> ``trend_counts(conn)`` has the row (2025-01-01, "SaaS", 2).
    """
    if not isinstance(by_industry, (bool, np.bool_)):
        raise InvalidParameterError(f"by_industry must be True or False, got {by_industry!r}")
    params = {"period": _period(period, "period"), "by_industry": bool(by_industry), **_range(since, until),
              "industry": _text(industry, "industry")}
    frame = _query(conn, "trend_counts.sql", params, TREND_COLUMNS)
    return frame if by_industry else frame.drop(columns="industry")


def top_news(conn: Connection, limit: int = 10, category: str | None = None, since=None, until=None,
             industry: str | None = None) -> pd.DataFrame:
    """Return the most relevant news: rank, id, title, url, source, category, relevance_score, published_at.

    Ordered by relevance_score (unscored last), then the most recent, then id;
    ``since``/``until`` and recency use published_at (created_at when missing);
    ``industry`` keeps items tagged with it (metadata.tags). Example:
    ``top_news(conn, 3, category="funding")["rank"].tolist()`` -> ``[1, 2, 3]``.
    """
    params = {"limit": _whole_number(limit, "limit", MAX_NEWS), "category": _text(category, "category"),
              **_range(since, until), "industry": _text(industry, "industry")}
    return _query(conn, "top_news.sql", params, NEWS_COLUMNS)


# --- notifications -------------------------------------------------------------------


def notification_read_rates(conn: Connection, by: str | None = "type", since=None, until=None,
                            organization_id=None, *, industry: str | None = None) -> pd.DataFrame:
    """Return per group: group, sent, read, read_rate, median_hours_to_read, p90_hours_to_read.

    ``by``: ``type``, ``priority``, ``channel`` (metadata.channel) or None for one
    row ``all``; notifications are chosen by ``created_at`` in ``[since, until)``.
    Read means is_read or read_at set. Example: 4 billing notifications, 3 read
    after 1, 2 and 3 hours -> the row ("billing", 4, 3, 0.75, 2.0, 2.8).
    """
    params = {"by": _choice(by, "by", NOTIFICATION_GROUPS, optional=True), **_range(since, until),
              "organization_id": _uuid(organization_id, "organization_id"), "industry": _text(industry, "industry")}
    return _query(conn, "notification_read_rates.sql", params, NOTIFICATION_COLUMNS)


# --- running the queries ---------------------------------------------------------------


def _rows(conn: Connection, name: str, params: dict) -> list[tuple]:
    """Return the rows of the named analytics query run with ``params``."""
    if not isinstance(conn, Connection):
        raise InvalidParameterError(f"conn must be an SQLAlchemy Connection (engine.connect()); "
                                    f"got {type(conn).__name__}")
    return [tuple(row) for row in conn.execute(sa.text(read_sql("bi_workbench.domain", f"analytics/{name}")), params)]


def _query(conn: Connection, name: str, params: dict, columns: dict[str, str]) -> pd.DataFrame:
    """Return the named query's result as a frame typed by ``columns``."""
    return _frame(_rows(conn, name, params), columns)


def _frame(rows: list[tuple], columns: dict[str, str]) -> pd.DataFrame:
    """Return ``rows`` as a DataFrame with the dtypes of ``columns`` ({name: kind}), also when empty."""
    frame = pd.DataFrame.from_records(rows, columns=list(columns)) if rows else pd.DataFrame(
        {name: pd.Series(dtype=object) for name in columns})
    for name, kind in columns.items():
        values = frame[name]
        if kind == "ts":
            values = pd.to_datetime(values, utc=True)
        frame[name] = values.astype(_DTYPES[kind])
    return frame


def data_as_of(conn: Connection):
    """Return the data's own "now": the latest created_at of analytics_events or users (None if both are empty).

    Reports default their as_of to it, so a report on fixed data does not move with the clock.
    """
    rows = _rows(conn, "data_as_of.sql", {})
    return rows[0][0] if rows else None


# --- parameters -------------------------------------------------------------------------


def _period(value, name: str) -> str:
    """Return a valid period name (day, week, month); raise naming ``name`` otherwise."""
    if isinstance(value, str) and value.strip().lower() in PERIODS:
        return value.strip().lower()
    raise InvalidParameterError(f"{name} must be one of {', '.join(PERIODS)}; got {value!r}")


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


def _steps(steps) -> list[str]:
    """Return the funnel steps as a list of event type names; raise if empty or not text."""
    if isinstance(steps, str) or not isinstance(steps, Iterable):
        raise InvalidParameterError(f"steps must be a list of event types such as ['signup', 'upgrade']; "
                                    f"got {steps!r}")
    steps = list(steps)
    if not steps:
        raise InvalidParameterError("steps must name at least one event type; got an empty list")
    bad = [step for step in steps if not isinstance(step, str) or not step.strip()]
    if bad:
        raise InvalidParameterError(f"steps must be non-blank event type names; got {bad!r}")
    return [step.strip() for step in steps]
