"""Computations of report ``06_dashboard_analytics``, on the metrics layer.

Each function takes an SQLAlchemy Connection (it never opens one) and the report's
selection, resolved once (`bi_workbench.domain.analytics.report_bounds`: a
`bi_workbench.metrics.Bounds`), and returns a small DataFrame ready to show:
sorted, floats rounded to 4 decimals (minutes and scores to 2), dates as
``YYYY-MM-DD`` text where the frame is a table. Numbers that are metrics come from
`bi_workbench.metrics.query`; breakdowns are Core aggregates over
`bi_workbench.metrics.selected_rows`, so the selection means the same everywhere:
a row belongs to its own organization, else to its user's organizations; its
industry is its user's, compared case- and space-insensitively; nothing after the
bound (``bounds.label``) is counted. No data gives an empty frame with the same
columns, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import metrics
from ..metrics.ownership import counted_membership
from ..schema import tables as t
from . import analytics
from .analytics import group_label as label
from .analytics import typed_frame

#: Months after signup shown by `retention_summary`.
RETENTION_MONTHS = (1, 2, 3, 6, 12)
#: Rows shown by default in a table of periods, cohorts or organizations.
TABLE_ROWS = 15
#: The report's headline numbers (metric names).
HEADLINES = ("active_users", "events", "sessions", "widgets")
#: (metric, dimension) of the key findings' breakdown: the analytics events by type.
SHARE = ("events", "event_type")
#: Sources of analytics events shown apart; any other counts in ``other_sources``.
SOURCES = ("web", "mobile", "api")


def sections(bounds: metrics.Bounds, granularity: str = "week") -> dict[str, Callable[[Connection], object]]:
    """Return the report's sections below its key numbers, {name: function of a Connection}, in the report's order.

    For `bi_workbench.reports.prefetch`, which computes them two at a time: activity
    (`activity` per ``granularity``), mix (`event_mix`), funnel (`funnel_steps`), retention
    (`retention_matrix`), sessions (`session_lengths_by`), widgets (`widgets_by_type`),
    organizations (`top_organizations`); none depends on another.
    """
    return {"activity": lambda conn: activity(conn, bounds, granularity),
            "mix": lambda conn: event_mix(conn, bounds),
            "funnel": lambda conn: funnel_steps(conn, bounds),
            "retention": lambda conn: retention_matrix(conn, bounds),
            "sessions": lambda conn: session_lengths_by(conn, bounds),
            "widgets": lambda conn: widgets_by_type(conn, bounds),
            "organizations": lambda conn: top_organizations(conn, bounds)}


def empty_frame(columns: Mapping[str, str]) -> pd.DataFrame:
    """Return a frame without rows whose columns ({name: kind}, as `analytics.typed_frame` takes them) are typed."""
    return typed_frame([], columns)


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


def activity(conn: Connection, bounds: metrics.Bounds, granularity: str = "week") -> pd.DataFrame:
    """Return the metrics active_users and events per ``granularity`` (day, week, month).

    Columns: period, complete, active_users, events (`bi_workbench.domain.analytics.active_users`:
    every period between the first and the last active one, zeros included; ``complete``
    False for the period the bound cuts, whose numbers are partial).
    """
    return analytics.active_users(conn, granularity, bounds=bounds)


EVENT_MIX_COLUMNS = {"event_type": "str", "events": "int", "users": "int", "share": "float",
                     "web": "int", "mobile": "int", "api": "int", "other_sources": "int"}


def event_mix(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the selection's analytics events per event type: event_type, events, users, share, events per source.

    Event type and source are the metrics layer's dimensions of the same names (trimmed, lower
    case; a blank type reads 'unknown'), so ``event_type`` and ``events`` are the metric events by
    event_type, as the key findings state them. Sources: web, mobile, api, other_sources (any
    other, blank or none). Most frequent type first; share of all events selected, rounded to 4.
    """
    rows = metrics.selected_rows("analytics_event", bounds, dimensions=("event_type", "source")).subquery("events")
    kind = label(rows.c.dim_event_type)
    count = sa.func.count()
    # Counted per type and user first, as `metrics.compile` counts users: count(DISTINCT) would sort every event.
    per_user = (sa.select(kind.label("event_type"), rows.c.user_id, count.label("n"),
                          *[count.filter(_is_source(rows, source)).label(source) for source in SOURCES])
                .group_by(kind, rows.c.user_id).subquery("per_user"))
    events = sa.func.sum(per_user.c.n)
    sources = [sa.func.sum(per_user.c[source]) for source in SOURCES]
    query = (sa.select(per_user.c.event_type, events.label("events"), sa.func.count(per_user.c.user_id),
                       sa.cast(events, sa.Float) / sa.func.sum(events).over(), *sources,
                       events - sum(sources[1:], sources[0]))
             .group_by(per_user.c.event_type).order_by(sa.desc("events"), per_user.c.event_type))
    return typed_frame(conn.execute(query), EVENT_MIX_COLUMNS).round({"share": 4})


def _is_source(rows, source: str):
    """Whether a selected event's source dimension is ``source`` (one of `SOURCES`).

    The same as ``dim_source == source``; a stored source already spelled as one of `SOURCES`
    is decided without trimming and lowering it again for every event and every source.
    """
    stored = rows.c.source
    return sa.or_(stored == source, sa.and_(stored.not_in(SOURCES), rows.c.dim_source == source))


# --- funnel and retention ----------------------------------------------------------------------


def funnel_steps(conn: Connection, bounds: metrics.Bounds,
                 steps: Sequence[str] = analytics.DEFAULT_FUNNEL) -> pd.DataFrame:
    """Return the metric funnel_conversion over ``steps`` (the platform's ordered event types), rounded to 4.

    Columns of `bi_workbench.domain.analytics.funnel`: step_number, step, users,
    conversion_from_previous, conversion_from_first. Users enter at their first
    ``steps[0]`` in the selection; each later step counts at or after the previous
    one (a repeated step strictly after), within 30 days of entering. Without data each step has 0 users and NaN
    conversions.
    """
    frame = analytics.funnel(conn, steps, bounds=bounds)
    return frame.round({"conversion_from_previous": 4, "conversion_from_first": 4})


def retention_matrix(conn: Connection, bounds: metrics.Bounds, periods: int = 12) -> pd.DataFrame:
    """Return the metric retention of monthly signup cohorts, long, retention rounded to 4.

    Columns: cohort, cohort_size, period_number, active_users, retention, complete
    (`bi_workbench.domain.analytics.retention`): the users who signed up in the
    selection, ``periods`` months after signup; a month not over at the bound has
    retention NaN (never 0), later months are left out.
    """
    return analytics.retention(conn, "month", periods, bounds=bounds).round({"retention": 4})


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
    wide = frame.pivot_table(index="cohort", columns="period_number", values="retention", aggfunc="first",
                             dropna=False)
    wide = wide.reindex(columns=list(months))
    wide.columns = [f"month_{k}" for k in months]
    out = pd.concat([sizes, wide], axis=1).sort_index().tail(n).reset_index()
    return as_dates(out, "cohort")[columns].round(4)


# --- sessions --------------------------------------------------------------------------------------


SESSION_COLUMNS = {"dimension": "str", **analytics.SESSION_COLUMNS}


def session_lengths_by(conn: Connection, bounds: metrics.Bounds,
                       dimensions: Sequence[str] = ("device", "source")) -> pd.DataFrame:
    """Return ended sessions' length per value of each dimension: dimension, group, sessions, mean/median/p90_minutes.

    `bi_workbench.domain.analytics.session_lengths` once per dimension (device, os,
    browser, source), in the order given, most sessions first within one; minutes
    rounded to 2. Sessions are the selection's (started_at; a session is its user's,
    so an organization's are its members').
    """
    parts = []
    for dimension in dimensions:
        part = analytics.session_lengths(conn, by=dimension, bounds=bounds)
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


def widgets_by_type(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the selection's dashboard widgets per type: widget_type, widgets, active, inactive, active_share, users.

    Widgets created in the selection; most widgets first, share rounded to 4.
    """
    rows = metrics.selected_rows("widget", bounds).subquery("widgets")
    kind = label(rows.c.widget_type).label("widget_type")
    active = sa.func.coalesce(rows.c.is_active, False)
    count = sa.func.count()
    query = (sa.select(kind, count.label("widgets"), count.filter(active), count.filter(sa.not_(active)),
                       sa.cast(count.filter(active), sa.Float) / count, sa.func.count(sa.distinct(rows.c.user_id)))
             .group_by(kind).order_by(sa.desc("widgets"), kind))
    return typed_frame(conn.execute(query), WIDGET_COLUMNS).round({"active_share": 4})


ORGANIZATION_COLUMNS = {"organization": "str", "slug": "str", "members": "int", "assessments": "int",
                        "growth_levers": "int", "simulations": "int", "activity": "int",
                        "avg_assessment_score": "float"}
#: Metrics of `top_organizations`, and the column each one fills.
ORGANIZATION_METRICS = {"assessments": "assessments", "levers": "growth_levers", "simulations": "simulations",
                        "avg_overall_score": "avg_assessment_score"}


def top_organizations(conn: Connection, bounds: metrics.Bounds, n: int = TABLE_ROWS) -> pd.DataFrame:
    """Return the ``n`` most active organizations of the selection, most active first, then by name.

    Columns: organization, slug (unique, where names repeat), members (counted
    memberships at the bound), and the metrics assessments, levers (growth_levers),
    simulations by organization (a row of its own organization counts there only,
    else in each of its user's organizations), activity (their sum), avg_assessment_score
    (the metric avg_overall_score, rounded to 2).
    """
    found = metrics.query(list(ORGANIZATION_METRICS), by="organization", engine=conn,
                          bounds=bounds).rename(columns=ORGANIZATION_METRICS)
    chosen = bounds.selection.organization_id
    found = found[found["organization"].notna() & ((chosen is None) | (found["organization"] == str(chosen)))]
    members = _members(conn, bounds)
    frame = found.merge(members, on="organization", how="outer")
    counts = ["members", "assessments", "growth_levers", "simulations"]
    frame[counts] = frame[counts].fillna(0)
    frame["activity"] = frame[["assessments", "growth_levers", "simulations"]].sum(axis=1)
    frame = frame[frame["activity"] > 0]
    names = pd.DataFrame(conn.execute(sa.select(sa.cast(t.organizations.c.id, sa.Text), t.organizations.c.name,
                                                t.organizations.c.slug)).all(),
                         columns=["organization", "name", "slug"])
    frame = frame.merge(names, on="organization", how="left")
    frame = frame.sort_values(["activity", "name", "slug"], ascending=[False, True, True]).head(int(n))
    frame["organization"] = frame["name"]
    return typed_frame(frame[list(ORGANIZATION_COLUMNS)].itertuples(index=False), ORGANIZATION_COLUMNS).round(
        {"avg_assessment_score": 2})


def _members(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return organization (text id), members: the counted memberships of each organization at the bound."""
    rows = metrics.selected_rows("membership", bounds, stock=True, where=counted_membership).subquery("members")
    query = sa.select(sa.cast(rows.c.organization_id, sa.Text), sa.func.count()).group_by(rows.c.organization_id)
    return pd.DataFrame(conn.execute(query).all(), columns=["organization", "members"])
