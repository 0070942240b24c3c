"""Event sourcing and audit: the event store, the write API, consistency, dashboards."""

from .recorder import NewEvent, PostgresRecorder, RecordedEvent
from .store import EventStore

__all__ = ["EventStore", "NewEvent", "PostgresRecorder", "RecordedEvent"]
