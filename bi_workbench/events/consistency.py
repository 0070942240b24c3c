"""The consistency check: replaying each aggregate's events gives the state held in its table."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from sqlalchemy.engine import Connection

from ..schema.sqlfiles import read_sql
from .aggregates import EventShapeError, replay
from .recorder import PostgresRecorder

COLUMNS = ["aggregate_type", "aggregate_id", "field", "replayed", "stored", "problem"]


def check_consistency(conn: Connection, recorder: PostgresRecorder | None = None) -> pd.DataFrame:
    """Return one row per mismatch between replayed streams and table rows (empty when consistent).

    A stream that cannot be replayed (unknown event, data of another shape, a
    version gap) is reported with its problem, not raised.
    """
    recorder = recorder or PostgresRecorder()
    stored = {
        (row.aggregate_type, row.aggregate_id): row.stored
        for row in conn.exec_driver_sql(read_sql("bi_workbench.events", "stored_aggregate_state.sql"))
    }
    streams = defaultdict(list)
    for event in _all_events(conn, recorder):
        streams[(event.aggregate_type, event.aggregate_id)].append(event)
    mismatches = []
    for key, stream in streams.items():
        mismatches += _compare(key, stream, stored.get(key))
    return pd.DataFrame(mismatches, columns=COLUMNS)


def _all_events(conn: Connection, recorder: PostgresRecorder, batch: int = 50_000):
    position = 0
    while events := recorder.read_all(conn, position, batch):
        yield from events
        position = events[-1].position


def _compare(key: tuple, stream: list, stored: dict | None) -> list[tuple]:
    aggregate_type, aggregate_id = key
    stream.sort(key=lambda e: e.version)
    try:
        state, _version = replay(aggregate_type, stream)
    except EventShapeError as exc:
        return [(aggregate_type, aggregate_id, None, None, None, f"cannot replay: {exc}")]
    if stored is None:
        return [(aggregate_type, aggregate_id, None, None, None, "no row in the aggregate's table")]
    return [
        (aggregate_type, aggregate_id, name, state.get(name), value, "replayed state differs from the table")
        for name, value in stored.items()
        if state.get(name) != value
    ]
