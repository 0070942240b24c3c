"""Synthetic rows for the new-schema tables that have no legacy source.

They are made for the users already in ``users`` (migrated from tier2_users),
and, for event streams, the assessments already in ``assessments``.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from ...schema import tables as t
from ..bulk import copy_batches, copy_columns, ensure_monthly_partitions, lock_for_append, require_empty
from ..primitives import stream
from ..scales import Scale, get_scale
from . import accounts, activity, engagement, eventstore, growth
from .sources import read_assessment_history, read_users

__all__ = ["PLATFORM_TABLES", "seed_platform"]

#: The tables seed_platform writes, in the order it writes them.
PLATFORM_TABLES: tuple[Table, ...] = (
    t.organizations, t.organization_members, t.subscriptions, t.assessment_invitations,
    t.growth_levers, t.growth_progress, t.simulations, t.events, t.snapshots,
    t.user_sessions, t.analytics_events, t.dashboard_widgets, t.notifications,
    t.team_messages, t.email_subscriptions, t.news_feed,
)
#: Tables other writers (the migration) may already have rows in.
_SHARED = (t.events, t.snapshots)


def seed_platform(connection: Connection, scale: str | Scale = "small", seed: int = 42,
                  progress: bool = True) -> dict[str, int]:
    """Fill the platform tables for the users in ``users``; return rows written per table.

    Every table except events and snapshots must be empty. The same users,
    ``scale`` and ``seed`` always give the same rows. The caller owns the
    transaction: nothing is committed.
    """
    scale = get_scale(scale)
    require_empty(connection, [table for table in PLATFORM_TABLES if table not in _SHARED])
    users = read_users(connection)
    writer = _Writer(connection, progress)
    orgs = _write_accounts(writer, seed, users)
    levers, sims = _write_growth(writer, seed, users, orgs)
    _write_event_store(writer, seed, users, orgs, levers, sims, read_assessment_history(connection))
    _write_activity(writer, seed, users, orgs, scale)
    _write_engagement(writer, seed, users, orgs, scale)
    return writer.written


class _Writer:
    """COPYs batches into tables and counts the rows written per table."""

    def __init__(self, connection: Connection, progress: bool):
        self.connection, self.progress, self.written = connection, progress, {}

    def write(self, table: Table, batch: dict) -> None:
        """COPY one batch into ``table``."""
        self.written[table.name] = copy_columns(self.connection, table, batch, progress=self.progress)

    def write_stream(self, table: Table, batches, total: int) -> None:
        """COPY a stream of batches into ``table``."""
        self.written[table.name] = copy_batches(self.connection, table, batches, total=total, progress=self.progress)


def _write_accounts(writer: _Writer, seed: int, users) -> accounts.Organizations:
    """Write organizations, members, subscriptions and invitations; return the organizations."""
    orgs, org_batch, member_batch = accounts.generate_organizations(stream(seed, "platform.organizations"), users)
    writer.write(t.organizations, org_batch)
    writer.write(t.organization_members, member_batch)
    writer.write(t.subscriptions, accounts.generate_subscriptions(stream(seed, "platform.subscriptions"), users, orgs))
    writer.write(t.assessment_invitations,
                 accounts.generate_invitations(stream(seed, "platform.assessment_invitations"), users, orgs))
    return orgs


def _write_growth(writer: _Writer, seed: int, users, orgs):
    """Write growth levers, their progress and simulations; return (levers, simulations)."""
    levers = growth.generate_levers(stream(seed, "platform.growth_levers"), users)
    writer.write(t.growth_levers, growth.lever_batch(stream(seed, "platform.growth_levers.docs"), users, orgs, levers))
    progress = growth.progress_batch(stream(seed, "platform.growth_progress"), users, orgs, levers)
    writer.write(t.growth_progress, progress)
    sims = growth.generate_simulations(stream(seed, "platform.simulations"), users, orgs, levers)
    writer.write(t.simulations, sims.batch)
    return levers, sims


def _write_event_store(writer: _Writer, seed: int, users, orgs, levers, sims, history) -> None:
    """Write the event streams of assessments, levers and simulations, and some snapshots."""
    streams = eventstore.concat_streams([
        eventstore.assessment_streams(history),
        eventstore.lever_streams(users, orgs, levers),
        eventstore.simulation_streams(users, orgs, sims),
    ])
    lock_for_append(writer.connection, t.events)
    writer.write(t.events, eventstore.event_batch(stream(seed, "platform.events"), streams))
    writer.write(t.snapshots, eventstore.snapshot_batch(stream(seed, "platform.snapshots"), streams))


def _write_activity(writer: _Writer, seed: int, users, orgs, scale: Scale) -> None:
    """Write user sessions, then their analytics events into monthly partitions made first."""
    sessions = activity.generate_sessions(stream(seed, "platform.user_sessions"), users, scale)
    writer.write(t.user_sessions, activity.session_batch(stream(seed, "platform.user_sessions.rows"), users, sessions))
    first, last = activity.partition_range(sessions)
    if first is not None:
        ensure_monthly_partitions(writer.connection, t.analytics_events, first, last)
    batches = activity.event_batches(stream(seed, "platform.analytics_events"), users, orgs, sessions, scale.chunk_rows)
    writer.write_stream(t.analytics_events, batches, total=int(sessions.events.sum()))


def _write_engagement(writer: _Writer, seed: int, users, orgs, scale: Scale) -> None:
    """Write dashboard widgets, notifications, team messages, email subscriptions and news."""
    writer.write(t.dashboard_widgets, engagement.widget_batch(stream(seed, "platform.dashboard_widgets"), users, orgs))
    writer.write(t.notifications, engagement.notification_batch(stream(seed, "platform.notifications"), users, orgs))
    writer.write(t.team_messages, engagement.message_batch(stream(seed, "platform.team_messages"), users, orgs))
    writer.write(t.email_subscriptions,
                 engagement.email_subscription_batch(stream(seed, "platform.email_subscriptions"), users))
    writer.write(t.news_feed, engagement.news_batch(stream(seed, "platform.news_feed"), scale.news_items))
