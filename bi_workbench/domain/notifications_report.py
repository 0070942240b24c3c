"""Computations of report ``07_notifications`` on the metrics layer: notifications, team messages, email subscriptions.

Each function takes an SQLAlchemy Connection (it never opens one) and the report's
selection resolved once (`bi_workbench.domain.analytics.report_bounds`), and
returns a small sorted DataFrame, shares rounded to 4 and hours to 2; no data
gives an empty frame with the same columns.

Numbers that are metrics (notifications, notification_read_rate, team_messages)
come from `bi_workbench.metrics.query`; breakdowns are Core aggregates over
`bi_workbench.metrics.selected_rows`, so ownership follows the one rule (a
notification is its own organization's, else its user's organizations'; a team
message its organization's; an email subscription its subscriber's
organizations'), industries are the notified user's, the sender's or the
subscriber's (case- and space-insensitively), and nothing after the bound counts.
A notification is read when ``is_read`` is true or ``read_at`` is set (the metric
``notification_read_rate``).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import metrics
from ..metrics.catalog import notification_read
from ..errors import InvalidParameterError
from ..schema import tables as t
from . import analytics
from .engagement_report import TABLE_ROWS, empty_frame, label, typed_frame

#: Notification priorities from the most to the least pressing.
PRIORITY_ORDER = ("urgent", "high", "medium", "low")
#: Email frequencies of email_subscriptions.preferences, most frequent first.
FREQUENCY_ORDER = ("daily", "weekly", "monthly")
#: The report's headline numbers (metric names).
HEADLINES = ("notifications", "notification_read_rate", "team_messages")
#: (metric, dimension) of the key findings' breakdown: the notifications by type.
SHARE = ("notifications", "type")


def _period(granularity: str) -> str:
    """Return ``granularity`` if it is day, week or month; raise InvalidParameterError otherwise."""
    if granularity in analytics.PERIODS:
        return granularity
    raise InvalidParameterError(f"granularity must be one of {', '.join(analytics.PERIODS)}; got {granularity!r}")


def _read_count(rows):
    """The notifications of ``rows`` that were read (`metrics.catalog.notification_read`)."""
    return sa.func.count().filter(notification_read(rows))


# --- notifications over time ----------------------------------------------------------------------


PER_PERIOD_COLUMNS = {"period": "period", "complete": "bool", "type": "str", "sent": "int", "read": "int"}


def notifications_per_period(conn: Connection, bounds: metrics.Bounds, granularity: str = "week") -> pd.DataFrame:
    """Return notifications sent and read per calendar period (UTC) and type: period, complete, type, sent, read.

    One row per period and type that has notifications, oldest first, then by type;
    ``read`` counts the notifications sent in that period that were read (at any
    time up to the bound); ``complete`` is False for the period the bound cuts.
    """
    grain = _period(granularity)
    rows = metrics.selected_rows("notification", bounds, grain=grain).subquery("sent")
    kind = label(rows.c.type).label("type")
    query = (sa.select(rows.c.period, kind, sa.func.count(), _read_count(rows))
             .group_by(rows.c.period, kind).order_by(rows.c.period, kind))
    found = pd.DataFrame(conn.execute(query).all(), columns=["period", "type", "sent", "read"])
    found.insert(1, "complete", metrics.period_complete(found["period"], grain, bounds))
    return typed_frame(found.itertuples(index=False), PER_PERIOD_COLUMNS)


TOTALS_COLUMNS = {"period": "period", "complete": "bool", "sent": "int", "read": "int", "read_rate": "float"}


def period_totals(conn: Connection, bounds: metrics.Bounds, granularity: str = "week") -> pd.DataFrame:
    """Return the metrics notifications and notification_read_rate per period: period, complete, sent, read, read_rate.

    Every period between the first and the last is present (zeros, and a NaN read
    rate, where nothing was sent); oldest first; read_rate rounded to 4; ``complete``
    False for the period the bound cuts (its read rate is of a few days only).
    """
    grain = _period(granularity)
    found = metrics.query(["notifications", "notification_read_rate"], grain=grain, engine=conn,
                          bounds=bounds)
    if found.empty:
        return empty_frame(TOTALS_COLUMNS)
    every = pd.date_range(found["period"].min(), found["period"].max(), freq=analytics.PANDAS_FREQ[grain],
                          name="period")
    found = found.set_index("period").reindex(every).reset_index()
    found["sent"] = found["notifications"].fillna(0)
    found["read"] = (found["notification_read_rate"] * found["sent"]).round().fillna(0)
    found["read_rate"] = found["notification_read_rate"].round(4)
    found["complete"] = metrics.period_complete(found["period"], grain, bounds)
    return typed_frame(found[list(TOTALS_COLUMNS)].itertuples(index=False), TOTALS_COLUMNS)


def read_rates(conn: Connection, bounds: metrics.Bounds, by: str | None = "type") -> pd.DataFrame:
    """Return read rate and time to read per ``by`` (type, priority, channel or None for 'all').

    Columns of `bi_workbench.domain.analytics.notification_read_rates`: group, sent,
    read, read_rate (rounded to 4), median_hours_to_read, p90_hours_to_read (rounded
    to 2). Most sent first, then by group; priorities in `PRIORITY_ORDER`.
    """
    frame = analytics.notification_read_rates(conn, by=by, bounds=bounds)
    if by == "priority":
        rank = frame["group"].map({p: i for i, p in enumerate(PRIORITY_ORDER)}).fillna(len(PRIORITY_ORDER))
        frame = frame.assign(_rank=rank).sort_values(["_rank", "group"]).drop(columns="_rank")
    else:
        frame = frame.sort_values(["sent", "group"], ascending=[False, True])
    frame = frame.reset_index(drop=True)
    return frame.round({"read_rate": 4, "median_hours_to_read": 2, "p90_hours_to_read": 2})


PRIORITY_COLUMNS = {"type": "str", "priority": "str", "sent": "int", "share_of_type": "float"}


def priority_mix(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return notifications per type and priority: type, priority, sent, share_of_type (rounded to 4).

    Ordered by type, then priority from urgent to low (others after, by name).
    """
    rows = metrics.selected_rows("notification", bounds).subquery("sent")
    kind, priority = label(rows.c.type).label("type"), label(rows.c.priority).label("priority")
    query = sa.select(kind, priority, sa.func.count(), sa.literal(0.0)).group_by(kind, priority)
    frame = typed_frame(conn.execute(query), PRIORITY_COLUMNS)
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


def _message_counts(rows) -> list:
    """messages, to_a_recipient, read, read_share of team message ``rows`` (system messages have no recipient)."""
    count = sa.func.count()
    read = count.filter(rows.c.recipient_id.is_not(None),
                        sa.or_(rows.c.is_read.is_(True), rows.c.read_at.is_not(None)))
    return [count.label("messages"), sa.func.count(rows.c.recipient_id), read,
            sa.cast(read, sa.Float) / sa.func.nullif(sa.func.count(rows.c.recipient_id), 0)]


MESSAGES_BY_ORG_COLUMNS = {"organization": "str", "slug": "str", "messages": "int", "to_a_recipient": "int",
                           "read": "int", "read_share": "float", "senders": "int"}


def team_messages_by_organization(conn: Connection, bounds: metrics.Bounds, n: int = TABLE_ROWS) -> pd.DataFrame:
    """Return the ``n`` organizations with the most team messages in the selection, most first.

    Columns: organization, slug (unique where names repeat), messages, to_a_recipient,
    read, read_share, senders (distinct). ``read_share`` is read / messages with a
    recipient (system messages have none and are never read), rounded to 4; NaN when
    no message had a recipient.
    """
    rows = metrics.selected_rows("team_message", bounds).subquery("messages")
    o = t.organizations
    name = sa.func.coalesce(o.c.name, "(no organization)").label("organization")
    query = (sa.select(name, o.c.slug, *_message_counts(rows), sa.func.count(sa.distinct(rows.c.sender_id)))
             .select_from(rows.outerjoin(o, o.c.id == rows.c.organization_id))
             .group_by(o.c.id, o.c.name, o.c.slug).order_by(sa.desc("messages"), name, o.c.slug).limit(int(n)))
    return typed_frame(conn.execute(query), MESSAGES_BY_ORG_COLUMNS).round({"read_share": 4})


MESSAGES_BY_TYPE_COLUMNS = {"message_type": "str", "messages": "int", "to_a_recipient": "int", "read": "int",
                            "read_share": "float", "median_hours_to_read": "float"}


def team_messages_by_type(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the selection's team messages per message type (text, mention, system, ...).

    Columns: message_type, messages, to_a_recipient, read, read_share, median_hours_to_read.
    Most messages first; read_share as in `team_messages_by_organization`; hours to
    read of read messages (read_at not before created_at), rounded to 2.
    """
    rows = metrics.selected_rows("team_message", bounds).subquery("messages")
    kind = label(rows.c.message_type).label("message_type")
    hours = sa.case((rows.c.read_at >= rows.c.created_at,
                     analytics.elapsed(rows.c.created_at, rows.c.read_at, "hours")))
    query = (sa.select(kind, *_message_counts(rows), sa.func.percentile_cont(0.5).within_group(hours))
             .group_by(kind).order_by(sa.desc("messages"), kind))
    return typed_frame(conn.execute(query), MESSAGES_BY_TYPE_COLUMNS).round({"read_share": 4, "median_hours_to_read": 2})


# --- email subscriptions ---------------------------------------------------------------------------------


SUBSCRIPTION_COLUMNS = {"email_type": "str", "subscriptions": "int", "active": "int", "inactive": "int",
                        "active_share": "float"}


def subscriptions_by_type(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return email subscriptions per email type: email_type, subscriptions, active, inactive, active_share.

    Subscriptions created in the selection (an organization's: its members'); most
    subscriptions first, active_share rounded to 4.
    """
    rows = metrics.selected_rows("email_subscription", bounds).subquery("subscriptions")
    kind = label(rows.c.email_type).label("email_type")
    active = sa.func.coalesce(rows.c.is_active, False)
    count = sa.func.count()
    query = (sa.select(kind, count.label("subscriptions"), count.filter(active), count.filter(sa.not_(active)),
                       sa.cast(count.filter(active), sa.Float) / count)
             .group_by(kind).order_by(sa.desc("subscriptions"), kind))
    return typed_frame(conn.execute(query), SUBSCRIPTION_COLUMNS).round({"active_share": 4})


def active_frequencies(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return active subscriptions per email type and chosen frequency (preferences.frequency), as a table.

    Columns: email_type, daily, weekly, monthly (then any other frequency, by name;
    'unknown' when none is set), total. Ordered by email type.
    """
    base = ["email_type", *FREQUENCY_ORDER, "total"]
    rows = metrics.selected_rows("email_subscription", bounds,
                                 where=lambda r: sa.func.coalesce(r.c.is_active, False)).subquery("subscriptions")
    kind, frequency = label(rows.c.email_type), label(rows.c.preferences["frequency"].astext)
    found = conn.execute(sa.select(kind, frequency, sa.func.count()).group_by(kind, frequency)).all()
    if not found:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "email_type" else "int64") for c in base})
    long = pd.DataFrame(found, columns=["email_type", "frequency", "subscriptions"])
    frequencies = list(FREQUENCY_ORDER) + sorted(set(long["frequency"]) - set(FREQUENCY_ORDER))
    wide = long.pivot_table(index="email_type", columns="frequency", values="subscriptions", aggfunc="sum",
                            fill_value=0).reindex(columns=frequencies, fill_value=0).astype("int64")
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    out = wide.sort_index().reset_index()
    out["email_type"] = out["email_type"].astype(pd.StringDtype())
    return out
