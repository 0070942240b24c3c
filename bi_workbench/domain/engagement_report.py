"""Computations of report ``06_dashboard_analytics``, and the report filters shared with ``07_notifications``.

Each function takes an SQLAlchemy Connection (it never opens one) and a
`ReportFilters` built from the report's parameters, runs its aggregation in
PostgreSQL, and returns a small DataFrame ready to show: sorted, floats rounded
to 4 decimals (minutes and scores to 2), dates as ``YYYY-MM-DD`` text where the
frame is a table. No data, or a window that selects nothing, gives an empty
frame with the same columns, never an error.

Filters: ``organization_id`` keeps an organization's rows (the row's own
organization_id, or its members for user-level tables); ``industry`` keeps rows
whose user has that industry (for `activity`, `funnel_steps`, `retention_matrix`
and `session_lengths_by`, the user of the event, of the funnel, of the cohort and
of the session, compared case-insensitively by `bi_workbench.domain.analytics`);
``start``/``end`` bound a half-open range of days ``[start, end)``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..schema.sqlfiles import read_sql
from . import analytics

#: Months after signup shown by `retention_summary`.
RETENTION_MONTHS = (1, 2, 3, 6, 12)
#: Rows shown by default in a table of periods, cohorts or organizations.
TABLE_ROWS = 15
_KIND_DTYPES = {"ts": pd.DatetimeTZDtype("ns", "UTC"), "int": np.dtype("int64"), "float": np.dtype("float64"),
                "str": pd.StringDtype(), "object": np.dtype("object")}


# --- the report's filters ---------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """The data a report looks at: one organization (or all), one industry (or all), a range of days.

    ``start`` is the first day included, ``end`` the first day excluded (the day
    after the report's ``until``, or after ``as_of`` when that comes first);
    None leaves that side open. ``as_of`` is the report's "now" (None: the
    data's own latest date).
    """

    organization_id: uuid.UUID | None = None
    industry: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    as_of: dt.date | None = None

    @classmethod
    def from_params(cls, params: Mapping) -> ReportFilters:
        """Return the filters of a report's typed parameters (``params`` of `bi_workbench.reports.setup`).

        ``since``/``until`` are inclusive days; ``as_of`` caps ``until``. Example:
        ``{"since": date(2026, 1, 1), "until": date(2026, 1, 31), "as_of": None}`` ->
        start 2026-01-01, end 2026-02-01.
        """
        last_days = [d for d in (params.get("until"), params.get("as_of")) if d is not None]
        org = params.get("organization_id")
        industry = params.get("industry")
        return cls(
            organization_id=None if org is None else uuid.UUID(str(org)),
            industry=industry.strip() if isinstance(industry, str) and industry.strip() else None,
            start=params.get("since"),
            end=min(last_days) + dt.timedelta(days=1) if last_days else None,
            as_of=params.get("as_of"),
        )

    @property
    def selects_nothing(self) -> bool:
        """Return True when the range of days is empty (e.g. ``as_of`` before ``since``)."""
        return self.start is not None and self.end is not None and self.start >= self.end

    def bind(self) -> dict:
        """Return the bound parameters of the module's queries: organization_id, industry, start, end."""
        return {"organization_id": self.organization_id, "industry": self.industry,
                "start": _midnight(self.start), "end": _midnight(self.end)}

    def analytics_kwargs(self) -> dict:
        """Return since/until/organization_id/industry as the functions of `bi_workbench.domain.analytics` take them."""
        return {"since": self.start, "until": self.end, "organization_id": self.organization_id,
                "industry": self.industry}


def _midnight(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def empty_frame(columns: Mapping[str, str]) -> pd.DataFrame:
    """Return a frame without rows whose columns ({name: kind}; kinds ts, int, float, str, object) are typed."""
    return pd.DataFrame({name: pd.Series(dtype=_KIND_DTYPES[kind]) for name, kind in columns.items()})


def typed_frame(rows: Iterable, columns: Mapping[str, str]) -> pd.DataFrame:
    """Return ``rows`` (tuples in the order of ``columns``) as a frame typed like `empty_frame`."""
    rows = [tuple(r) for r in rows]
    if not rows:
        return empty_frame(columns)
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for name, kind in columns.items():
        values = pd.to_datetime(frame[name], utc=True) if kind == "ts" else frame[name]
        if kind == "float":
            values = pd.to_numeric(values, errors="coerce")
        frame[name] = values.astype(_KIND_DTYPES[kind])
    return frame


def _query(name: str) -> sa.TextClause:
    """Return the named query of ``bi_workbench/domain/sql/engagement_report/`` (``<name>.sql``)."""
    return sa.text(read_sql("bi_workbench.domain", f"engagement_report/{name}.sql"))


# --- display helpers ---------------------------------------------------------------------


def as_dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Return a copy of ``frame`` with the timestamp ``columns`` as ``YYYY-MM-DD`` text (UTC day)."""
    out = frame.copy()
    for name in columns:
        stamps = pd.to_datetime(out[name], utc=True)
        out[name] = stamps.dt.strftime("%Y-%m-%d").astype(pd.StringDtype())
    return out


def latest_periods(frame: pd.DataFrame, n: int = TABLE_ROWS, column: str = "period") -> pd.DataFrame:
    """Return the last ``n`` rows of a per-period frame, oldest first, the period as a date, floats rounded to 4."""
    out = frame.sort_values(column).tail(n).reset_index(drop=True)
    return as_dates(out, column).round(4)


# --- activity ------------------------------------------------------------------------------


def activity(conn: Connection, filters: ReportFilters, granularity: str = "week") -> pd.DataFrame:
    """Return active users and events per ``granularity`` (day, week, month): period, active_users, events.

    `bi_workbench.domain.analytics.active_users` (organization, industry of the
    event's user and dates; every period between the first and last active one,
    zeros included).
    """
    if filters.selects_nothing:
        return empty_frame(analytics.ACTIVE_USERS_COLUMNS)
    return analytics.active_users(conn, granularity, **filters.analytics_kwargs())


EVENT_MIX_COLUMNS = {"event_type": "str", "events": "int", "users": "int", "share": "float",
                     "web": "int", "mobile": "int", "api": "int", "other_sources": "int"}


def event_mix(conn: Connection, filters: ReportFilters) -> pd.DataFrame:
    """Return analytics events per event type: event_type, events, users, share, then events per source.

    Sources: web, mobile, api, other_sources. Most frequent type first; share of all events
    selected, rounded to 4. Applies organization, industry (of the event's user) and dates.
    """
    if filters.selects_nothing:
        return empty_frame(EVENT_MIX_COLUMNS)
    rows = conn.execute(_query("event_mix"), filters.bind())
    return typed_frame(rows, EVENT_MIX_COLUMNS).round({"share": 4})


# --- funnel and retention ----------------------------------------------------------------------


def funnel_steps(conn: Connection, filters: ReportFilters, steps: Sequence[str] = analytics.DEFAULT_FUNNEL,
                 window_days: int = 30) -> pd.DataFrame:
    """Return the funnel over ``steps`` (the platform's ordered event types), conversions rounded to 4.

    Columns of `bi_workbench.domain.analytics.funnel`: step_number, step, users,
    conversion_from_previous, conversion_from_first; users enter at their first
    ``steps[0]`` in the window and convert within ``window_days``. Without data each step
    has 0 users and NaN conversions.
    """
    if filters.selects_nothing:
        return typed_frame([(i + 1, s, 0, np.nan, np.nan) for i, s in enumerate(steps)], analytics.FUNNEL_COLUMNS)
    frame = analytics.funnel(conn, steps, window_days=window_days, **filters.analytics_kwargs())
    return frame.round({"conversion_from_previous": 4, "conversion_from_first": 4})


def retention_matrix(conn: Connection, filters: ReportFilters, periods: int = 12) -> pd.DataFrame:
    """Return monthly signup cohorts' retention, long: cohort, cohort_size, period_number, active_users, retention.

    `bi_workbench.domain.analytics.retention` with monthly cohorts of the users who
    signed up in the window, ``periods`` months after signup, cells after ``as_of``
    (or the data's latest event) left out; retention rounded to 4.
    """
    if filters.selects_nothing:
        return empty_frame(analytics.RETENTION_COLUMNS)
    frame = analytics.retention(conn, "month", periods, as_of=filters.as_of, **filters.analytics_kwargs())
    return frame.round({"retention": 4})


def retention_summary(frame: pd.DataFrame, months: Sequence[int] = RETENTION_MONTHS,
                      n: int = TABLE_ROWS) -> pd.DataFrame:
    """Return the last ``n`` cohorts of a `retention_matrix`: cohort, cohort_size, then month_<k> retention.

    One column per month in ``months`` (NaN where that month is not over yet as of
    the report), oldest cohort first. Example: the row (2026-01-01, 12, 0.25, ...)
    says a quarter of January's 12 signups were active in February.
    """
    columns = ["cohort", "cohort_size"] + [f"month_{k}" for k in months]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "cohort" else "float64") for c in columns})
    sizes = frame.groupby("cohort")["cohort_size"].first()
    wide = frame.pivot_table(index="cohort", columns="period_number", values="retention", aggfunc="first")
    wide = wide.reindex(columns=list(months))
    wide.columns = [f"month_{k}" for k in months]
    out = pd.concat([sizes, wide], axis=1).sort_index().tail(n).reset_index()
    return as_dates(out, "cohort")[columns].round(4)


# --- sessions --------------------------------------------------------------------------------------


SESSION_COLUMNS = {"dimension": "str", **analytics.SESSION_COLUMNS}


def session_lengths_by(conn: Connection, filters: ReportFilters,
                       dimensions: Sequence[str] = ("device", "source")) -> pd.DataFrame:
    """Return ended sessions' length per value of each dimension: dimension, group, sessions, mean/median/p90_minutes.

    `bi_workbench.domain.analytics.session_lengths` once per dimension (device, os,
    browser, source), in the order given, most sessions first within one; minutes
    rounded to 2. Applies organization (members' sessions), industry (of the session's
    user) and dates (started_at).
    """
    if filters.selects_nothing:
        return empty_frame(SESSION_COLUMNS)
    parts = []
    for dimension in dimensions:
        part = analytics.session_lengths(conn, by=dimension, **filters.analytics_kwargs())
        part = part.sort_values(["sessions", "group"], ascending=[False, True])
        part.insert(0, "dimension", pd.Series([dimension] * len(part), index=part.index, dtype=pd.StringDtype()))
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if parts else empty_frame(SESSION_COLUMNS)
    if frame.empty:
        return empty_frame(SESSION_COLUMNS)
    return frame.round({"mean_minutes": 2, "median_minutes": 2, "p90_minutes": 2})


# --- dashboards ------------------------------------------------------------------------------------


WIDGET_COLUMNS = {"widget_type": "str", "widgets": "int", "active": "int", "inactive": "int", "active_share": "float",
                  "users": "int"}


def widgets_by_type(conn: Connection, filters: ReportFilters) -> pd.DataFrame:
    """Return dashboard widgets per type: widget_type, widgets, active, inactive, active_share, users.

    Widgets created in the window (created_at), of the organization (the widget's
    organization_id) and of users of the industry; most widgets first, share rounded to 4.
    """
    if filters.selects_nothing:
        return empty_frame(WIDGET_COLUMNS)
    rows = conn.execute(_query("widgets_by_type"), filters.bind())
    return typed_frame(rows, WIDGET_COLUMNS).round({"active_share": 4})


ORGANIZATION_COLUMNS = {"organization": "str", "slug": "str", "members": "int", "assessments": "int",
                        "growth_levers": "int", "simulations": "int", "activity": "int",
                        "avg_assessment_score": "float",
                        "last_assessment": "ts", "last_activity": "ts"}


def top_organizations(conn: Connection, filters: ReportFilters, n: int = TABLE_ROWS) -> pd.DataFrame:
    """Return the ``n`` most active organizations of the read model ``organization_analytics``.

    Columns: organization, slug (unique, where names repeat), members, assessments, growth_levers, simulations,
    activity (assessments + growth levers + simulations, all time), avg_assessment_score
    (rounded to 2), last_assessment, last_activity (dates). Most active first, then by
    name. Applies organization and industry (organizations with a member of it); the
    read model counts all time, so dates do not apply.
    """
    params = {"organization_id": filters.organization_id, "industry": filters.industry, "n": int(n)}
    frame = typed_frame(conn.execute(_query("top_organizations"), params), ORGANIZATION_COLUMNS)
    return as_dates(frame, "last_assessment", "last_activity").round({"avg_assessment_score": 2})
