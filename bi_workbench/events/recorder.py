"""The PostgreSQL recorder: the one class that reads and writes `events` and `snapshots`.

Appends are serialised by the table's EXCLUSIVE lock (readers are not
blocked). That does two things: the expected-version check and the insert
happen with no other writer in between, and positions (an identity column)
become visible in the order they were assigned, so a follower that has read up
to position N never later finds a committed event below N. The UNIQUE
(aggregate_id, aggregate_type, version) constraint stays the last guard for
writers that bypass this class.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..errors import ConcurrencyConflictError
from ..schema.tables import events, snapshots

LOCK_EVENTS = sa.text("LOCK TABLE events IN EXCLUSIVE MODE")


@dataclass(frozen=True)
class NewEvent:
    """An event to append: its type, its data, and who caused it."""

    event_type: str
    data: dict = field(default_factory=dict)
    user_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored, with its version in the stream and its global position."""

    id: uuid.UUID
    position: int
    aggregate_id: uuid.UUID
    aggregate_type: str
    event_type: str
    data: dict
    version: int
    user_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    created_at: datetime


_EVENT_COLUMNS = (
    events.c.id, events.c.position, events.c.aggregate_id, events.c.aggregate_type, events.c.event_type,
    events.c.event_data, events.c.version, events.c.user_id, events.c.organization_id, events.c.created_at,
)


def _recorded(row) -> RecordedEvent:
    return RecordedEvent(*row)


class PostgresRecorder:
    """Appends and reads event streams and snapshots on a connection the caller's transaction owns."""

    def current_version(self, conn: Connection, aggregate_id: uuid.UUID, aggregate_type: str) -> int:
        """Return the latest version of the aggregate's stream, 0 when it has none."""
        query = sa.select(sa.func.coalesce(sa.func.max(events.c.version), 0)).where(
            events.c.aggregate_id == aggregate_id, events.c.aggregate_type == aggregate_type
        )
        return conn.execute(query).scalar_one()

    def append(
        self, conn: Connection, aggregate_id: uuid.UUID, aggregate_type: str, expected_version: int,
        new_events: list[NewEvent],
    ) -> list[RecordedEvent]:
        """Append ``new_events`` after ``expected_version``; return them as recorded.

        Raises ConcurrencyConflictError, writing nothing, if the stream is not at
        ``expected_version``.
        """
        if not new_events:
            return []
        conn.execute(LOCK_EVENTS)
        actual = self.current_version(conn, aggregate_id, aggregate_type)
        if actual != expected_version:
            raise ConcurrencyConflictError(
                f"{aggregate_type} {aggregate_id} is at version {actual}, not the expected {expected_version}; "
                "reload it and try again.", expected_version, actual,
            )
        rows = [
            {"aggregate_id": aggregate_id, "aggregate_type": aggregate_type, "event_type": e.event_type,
             "event_data": e.data, "version": expected_version + i, "user_id": e.user_id,
             "organization_id": e.organization_id}
            for i, e in enumerate(new_events, start=1)
        ]
        try:
            with conn.begin_nested():
                result = conn.execute(sa.insert(events).returning(*_EVENT_COLUMNS), rows)
                return [_recorded(row) for row in result]
        except IntegrityError as exc:
            if "uq_events_aggregate_id_aggregate_type_version" not in str(exc.orig):
                raise
            raise ConcurrencyConflictError(
                f"{aggregate_type} {aggregate_id} was appended to concurrently; reload it and try again.",
                expected_version,
            ) from None

    def read_stream(
        self, conn: Connection, aggregate_id: uuid.UUID, aggregate_type: str, after_version: int = 0
    ) -> list[RecordedEvent]:
        """Return the aggregate's events after ``after_version``, in version order."""
        query = (
            sa.select(*_EVENT_COLUMNS)
            .where(events.c.aggregate_id == aggregate_id, events.c.aggregate_type == aggregate_type,
                   events.c.version > after_version)
            .order_by(events.c.version)
        )
        return [_recorded(row) for row in conn.execute(query)]

    def read_all(self, conn: Connection, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Return up to ``limit`` events of every stream after ``after_position``, in global order."""
        query = (
            sa.select(*_EVENT_COLUMNS).where(events.c.position > after_position)
            .order_by(events.c.position).limit(limit)
        )
        return [_recorded(row) for row in conn.execute(query)]

    def per_stream(self, *columns, among=None, having=None) -> sa.Select:
        """Return a SELECT of aggregate_type, aggregate_id and ``columns`` (aggregates over ``events``), one row
        per stream.

        ``among``: a subquery of aggregate_type and aggregate_id, the streams to keep (for a few,
        found by index); ``having``: a condition on each stream's group of events (for many: every
        event is read once). Neither: every stream.
        """
        query = sa.select(events.c.aggregate_type, events.c.aggregate_id, *columns) \
            .group_by(events.c.aggregate_id, events.c.aggregate_type)
        if among is not None:
            chosen = sa.select(among.c.aggregate_type, among.c.aggregate_id)
            query = query.where(sa.tuple_(events.c.aggregate_type, events.c.aggregate_id).in_(chosen))
        return query if having is None else query.having(having)

    def whole_streams(self, among=None, having=None) -> sa.Subquery:
        """Return a subquery of every stream of the store whole (those chosen by ``among`` or ``having``,
        as in `per_stream`), for a check that replays them all.

        One row per aggregate: ``aggregate_type``, ``aggregate_id`` and ``events``, JSON
        ``[[version, event_type, data], ...]`` in version order. Grouped on the server
        along the stream index, because a whole-store check reads every event, and one
        JSON document per stream decodes far faster than a row object per event.
        """
        stream_events = sa.func.json_agg(aggregate_order_by(
            sa.func.json_build_array(events.c.version, events.c.event_type, events.c.event_data), events.c.version,
            events.c.position))
        return self.per_stream(stream_events.label("events"), among=among, having=having).subquery("whole_streams")

    def save_snapshot(
        self, conn: Connection, aggregate_id: uuid.UUID, aggregate_type: str, version: int, state: dict
    ) -> None:
        """Store the aggregate's state as of ``version`` (once; a repeated snapshot is ignored)."""
        from sqlalchemy.dialects.postgresql import insert

        conn.execute(
            insert(snapshots)
            .values(aggregate_id=aggregate_id, aggregate_type=aggregate_type, version=version, state=state)
            .on_conflict_do_nothing(index_elements=["aggregate_id", "aggregate_type", "version"])
        )

    def latest_snapshot(self, conn: Connection, aggregate_id: uuid.UUID, aggregate_type: str) -> tuple[int, dict] | None:
        """Return (version, state) of the aggregate's latest snapshot, or None."""
        query = (
            sa.select(snapshots.c.version, snapshots.c.state)
            .where(snapshots.c.aggregate_id == aggregate_id, snapshots.c.aggregate_type == aggregate_type)
            .order_by(snapshots.c.version.desc()).limit(1)
        )
        row = conn.execute(query).first()
        return (row.version, row.state) if row else None
