"""The event store: append with optimistic concurrency, load by replay from snapshots, follow."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Connection

from .aggregates import replay
from .recorder import NewEvent, PostgresRecorder, RecordedEvent

DEFAULT_SNAPSHOT_EVERY = 50


class EventStore:
    """Event streams per aggregate on `events`, snapshots every ``snapshot_every`` versions."""

    def __init__(self, recorder: PostgresRecorder | None = None, snapshot_every: int = DEFAULT_SNAPSHOT_EVERY):
        if snapshot_every < 1:
            raise ValueError(f"snapshot_every must be 1 or more, got {snapshot_every}")
        self.recorder = recorder or PostgresRecorder()
        self.snapshot_every = snapshot_every

    def append(self, conn: Connection, aggregate_id: uuid.UUID, aggregate_type: str, expected_version: int,
               *new_events: NewEvent) -> list[RecordedEvent]:
        """Append events after ``expected_version``; return them as recorded (snapshotting when due)."""
        recorded = self.recorder.append(conn, aggregate_id, aggregate_type, expected_version, list(new_events))
        if recorded and _crosses(expected_version, recorded[-1].version, self.snapshot_every):
            self.snapshot(conn, aggregate_id, aggregate_type)
        return recorded

    def load(self, conn: Connection, aggregate_id: uuid.UUID, aggregate_type: str) -> tuple[dict, int]:
        """Return (state, version) of the aggregate, replayed from its latest snapshot when it has one."""
        snapshot = self.recorder.latest_snapshot(conn, aggregate_id, aggregate_type)
        version, state = snapshot if snapshot else (0, {})
        stream = self.recorder.read_stream(conn, aggregate_id, aggregate_type, after_version=version)
        return replay(aggregate_type, stream, state, version)

    def snapshot(self, conn: Connection, aggregate_id: uuid.UUID, aggregate_type: str) -> int:
        """Store the aggregate's current state as a snapshot; return its version."""
        state, version = self.load(conn, aggregate_id, aggregate_type)
        self.recorder.save_snapshot(conn, aggregate_id, aggregate_type, version, state)
        return version

    def follow(self, conn: Connection, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Return the next events of all streams after ``after_position``, in global order."""
        return self.recorder.read_all(conn, after_position, limit)


def _crosses(before: int, after: int, every: int) -> bool:
    return after // every > before // every
