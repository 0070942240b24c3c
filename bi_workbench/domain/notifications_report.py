"""Computations of report ``07_notifications``: notifications, team messages, email subscriptions.

Each function takes an SQLAlchemy Connection (it never opens one) and the report's
`bi_workbench.domain.engagement_report.ReportFilters`, aggregates in PostgreSQL and
returns a small sorted DataFrame, shares rounded to 4 and hours to 2; no data gives
an empty frame with the same columns.

A notification counts as read when ``is_read`` is true or ``read_at`` is set (the rule of
`bi_workbench.domain.analytics.notification_read_rates`). Filters: ``organization_id``
is the notification's or message's own organization, for email subscriptions the
subscriber's membership; ``industry`` is the industry of the notified user, the
message's sender or the subscriber (for the read rates, the notified user's, compared
case-insensitively by the analytics module); days ``[start, end)`` bound ``created_at``.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from ..schema.sqlfiles import read_sql
from . import analytics
from .engagement_report import TABLE_ROWS, ReportFilters, empty_frame, typed_frame

#: Notification priorities from the most to the least pressing.
PRIORITY_ORDER = ("urgent", "high", "medium", "low")
#: Email frequencies of email_subscriptions.preferences, most frequent first.
FREQUENCY_ORDER = ("daily", "weekly", "monthly")
_PANDAS_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}


def _query(name: str) -> sa.TextClause:
    """Return the named query of ``bi_workbench/domain/sql/notifications_report/`` (``<name>.sql``)."""
    return sa.text(read_sql("bi_workbench.domain", f"notifications_report/{name}.sql"))


def _period(granularity: str) -> str:
    """Return ``granularity`` if it is day, week or month; raise InvalidParameterError otherwise."""
    if granularity in analytics.PERIODS:
        return granularity
    raise InvalidParameterError(f"granularity must be one of {', '.join(analytics.PERIODS)}; got {granularity!r}")


# --- notifications over time ----------------------------------------------------------------------


PER_PERIOD_COLUMNS = {"period": "ts", "type": "str", "sent": "int", "read": "int"}


def notifications_per_period(conn: Connection, filters: ReportFilters, granularity: str = "week") -> pd.DataFrame:
    """Return notifications sent and read per calendar period (UTC) and type: period, type, sent, read.

    One row per period and type that has notifications, oldest first, then by type;
    ``read`` counts the notifications sent in that period that were read (at any time).
    """
    if filters.selects_nothing:
        return empty_frame(PER_PERIOD_COLUMNS)
    rows = conn.execute(_query("notifications_per_period"), {"period": _period(granularity), **filters.bind()})
    return typed_frame(rows, PER_PERIOD_COLUMNS)


def period_totals(frame: pd.DataFrame, granularity: str = "week") -> pd.DataFrame:
    """Return a `notifications_per_period` frame summed over types: period, sent, read, read_rate.

    Every period between the first and the last is present (zeros, and a NaN read
    rate, where nothing was sent); oldest first; read_rate rounded to 4.
    """
    columns = {"period": "ts", "sent": "int", "read": "int", "read_rate": "float"}
    if frame.empty:
        return empty_frame(columns)
    sums = frame.groupby("period")[["sent", "read"]].sum()
    every = pd.date_range(sums.index.min(), sums.index.max(), freq=_PANDAS_FREQ[_period(granularity)], name="period")
    sums = sums.reindex(every, fill_value=0).astype("int64").reset_index()
    sums["read_rate"] = (sums["read"] / sums["sent"].where(sums["sent"] > 0)).astype("float64").round(4)
    return sums


def read_rates(conn: Connection, filters: ReportFilters, by: str | None = "type") -> pd.DataFrame:
    """Return read rate and time to read per ``by`` (type, priority, channel or None for 'all').

    Columns of `bi_workbench.domain.analytics.notification_read_rates`: group, sent,
    read, read_rate (rounded to 4), median_hours_to_read, p90_hours_to_read (rounded
    to 2). Most sent first, then by group; priorities in `PRIORITY_ORDER`.
    """
    if filters.selects_nothing:
        return empty_frame(analytics.NOTIFICATION_COLUMNS)
    frame = analytics.notification_read_rates(conn, by=by, **filters.analytics_kwargs())
    if by == "priority":
        rank = frame["group"].map({p: i for i, p in enumerate(PRIORITY_ORDER)}).fillna(len(PRIORITY_ORDER))
        frame = frame.assign(_rank=rank).sort_values(["_rank", "group"]).drop(columns="_rank")
    else:
        frame = frame.sort_values(["sent", "group"], ascending=[False, True])
    frame = frame.reset_index(drop=True)
    return frame.round({"read_rate": 4, "median_hours_to_read": 2, "p90_hours_to_read": 2})


PRIORITY_COLUMNS = {"type": "str", "priority": "str", "sent": "int", "share_of_type": "float"}


def priority_mix(conn: Connection, filters: ReportFilters) -> pd.DataFrame:
    """Return notifications per type and priority: type, priority, sent, share_of_type (rounded to 4).

    Ordered by type, then priority from urgent to low (others after, by name).
    """
    if filters.selects_nothing:
        return empty_frame(PRIORITY_COLUMNS)
    frame = typed_frame([(*row, 0.0) for row in conn.execute(_query("priority_mix"), filters.bind())],
                        PRIORITY_COLUMNS)
    if frame.empty:
        return frame
    frame["share_of_type"] = (frame["sent"] / frame.groupby("type")["sent"].transform("sum")).round(4)
    rank = frame["priority"].map({p: i for i, p in enumerate(PRIORITY_ORDER)}).fillna(len(PRIORITY_ORDER))
    frame = frame.assign(_rank=rank).sort_values(["type", "_rank", "priority"]).drop(columns="_rank")
    return frame.reset_index(drop=True)


def priority_table(mix: pd.DataFrame) -> pd.DataFrame:
    """Return a `priority_mix` frame as a table: one row per type, one column of sent per priority, and total."""
    priorities = list(PRIORITY_ORDER) + sorted(set(mix["priority"]) - set(PRIORITY_ORDER))
    if mix.empty:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "type" else "int64")
                             for c in ["type", *PRIORITY_ORDER, "total"]})
    wide = mix.pivot_table(index="type", columns="priority", values="sent", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=priorities, fill_value=0).astype("int64")
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    return wide.sort_index().reset_index()


# --- team messages ----------------------------------------------------------------------------------


MESSAGES_BY_ORG_COLUMNS = {"organization": "str", "slug": "str", "messages": "int", "to_a_recipient": "int",
                           "read": "int", "read_share": "float", "senders": "int"}


def team_messages_by_organization(conn: Connection, filters: ReportFilters, n: int = TABLE_ROWS) -> pd.DataFrame:
    """Return the ``n`` organizations with the most team messages, most first.

    Columns: organization, slug (unique where names repeat), messages, to_a_recipient,
    read, read_share, senders (distinct).

    ``read_share`` is read / messages with a recipient (system messages have none and
    are never read), rounded to 4; NaN when no message had a recipient.
    """
    if filters.selects_nothing:
        return empty_frame(MESSAGES_BY_ORG_COLUMNS)
    rows = conn.execute(_query("team_messages_by_organization"), {**filters.bind(), "n": int(n)})
    return typed_frame(rows, MESSAGES_BY_ORG_COLUMNS).round({"read_share": 4})


MESSAGES_BY_TYPE_COLUMNS = {"message_type": "str", "messages": "int", "to_a_recipient": "int", "read": "int",
                            "read_share": "float", "median_hours_to_read": "float"}


def team_messages_by_type(conn: Connection, filters: ReportFilters) -> pd.DataFrame:
    """Return team messages per message type (text, mention, system, ...).

    Columns: message_type, messages, to_a_recipient, read, read_share, median_hours_to_read.

    Most messages first; read_share as in `team_messages_by_organization`; hours to
    read of read messages (read_at not before created_at), rounded to 2.
    """
    if filters.selects_nothing:
        return empty_frame(MESSAGES_BY_TYPE_COLUMNS)
    rows = conn.execute(_query("team_messages_by_type"), filters.bind())
    return typed_frame(rows, MESSAGES_BY_TYPE_COLUMNS).round({"read_share": 4, "median_hours_to_read": 2})


# --- email subscriptions ---------------------------------------------------------------------------------


SUBSCRIPTION_COLUMNS = {"email_type": "str", "subscriptions": "int", "active": "int", "inactive": "int",
                        "active_share": "float"}


def subscriptions_by_type(conn: Connection, filters: ReportFilters) -> pd.DataFrame:
    """Return email subscriptions per email type: email_type, subscriptions, active, inactive, active_share.

    Subscriptions created in the window, of the organization's members and of users of
    the industry; most subscriptions first, active_share rounded to 4.
    """
    if filters.selects_nothing:
        return empty_frame(SUBSCRIPTION_COLUMNS)
    rows = conn.execute(_query("subscriptions_by_type"), filters.bind())
    return typed_frame(rows, SUBSCRIPTION_COLUMNS).round({"active_share": 4})


def active_frequencies(conn: Connection, filters: ReportFilters) -> pd.DataFrame:
    """Return active subscriptions per email type and chosen frequency (preferences.frequency), as a table.

    Columns: email_type, daily, weekly, monthly (then any other frequency, by name;
    'unknown' when none is set), total. Ordered by email type.
    """
    base = ["email_type", *FREQUENCY_ORDER, "total"]
    rows = [] if filters.selects_nothing else conn.execute(_query("active_frequencies"), filters.bind()).all()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "email_type" else "int64") for c in base})
    long = pd.DataFrame(rows, columns=["email_type", "frequency", "subscriptions"])
    frequencies = list(FREQUENCY_ORDER) + sorted(set(long["frequency"]) - set(FREQUENCY_ORDER))
    wide = long.pivot_table(index="email_type", columns="frequency", values="subscriptions", aggfunc="sum",
                            fill_value=0).reindex(columns=frequencies, fill_value=0).astype("int64")
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    out = wide.sort_index().reset_index()
    out["email_type"] = out["email_type"].astype(pd.StringDtype())
    return out
