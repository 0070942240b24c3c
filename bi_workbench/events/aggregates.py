"""Aggregates as folds over their events: the state each event stream replays to.

Each aggregate type has one reducer per event type, ``(state, data) -> state``.
A reducer that meets data of another shape (a key missing, a value of the
wrong type) raises EventShapeError, which the consistency check reports rather
than crashing on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import WorkbenchError
from .recorder import RecordedEvent

Reducer = Callable[[dict, dict], dict]


class EventShapeError(WorkbenchError):
    """An event's data does not have the shape its reducer expects."""


def _need(data: dict, *keys: str):
    missing = [k for k in keys if k not in data]
    if missing:
        raise EventShapeError(f"missing {', '.join(missing)}")
    return [data[k] for k in keys]


def _assessment_created(state, data):
    assessment_type, status = _need(data, "assessment_type", "status")
    return {**state, "assessment_type": assessment_type, "status": status, "scores": 0}


def _assessment_scored(state, data):
    (overall,) = _need(data, "overall_score")
    return {**state, "status": "completed", "overall_score": overall, "scores": state.get("scores", 0) + 1}


def _lever_suggested(state, data):
    levers, status = _need(data, "levers", "status")
    if not isinstance(levers, list):
        raise EventShapeError("levers is not a list")
    return {**state, "levers": levers, "status": status, "milestones": 0}


def _lever_status_changed(state, data):
    (status,) = _need(data, "to")
    return {**state, "status": status}


def _progress_recorded(state, data):
    _need(data, "milestone")
    return {**state, "milestones": state.get("milestones", 0) + 1}


def _simulation_started(state, data):
    (simulation_type,) = _need(data, "simulation_type")
    return {**state, "simulation_type": simulation_type, "status": "running"}


def _simulation_finished(status: str) -> Reducer:
    return lambda state, data: {**state, "status": status}


REDUCERS: dict[str, dict[str, Reducer]] = {
    "assessment": {"assessment_created": _assessment_created, "assessment_scored": _assessment_scored},
    "growth_lever": {"lever_suggested": _lever_suggested, "lever_status_changed": _lever_status_changed,
                     "progress_recorded": _progress_recorded},
    "simulation": {"simulation_started": _simulation_started,
                   "simulation_completed": _simulation_finished("completed"),
                   "simulation_failed": _simulation_finished("failed")},
}


def fold(aggregate_type: str, events: Iterable[tuple[str, dict]], state: dict | None = None) -> dict:
    """Return the state that (event_type, data) pairs fold to, from ``state`` (empty by default)."""
    reducers = _reducers(aggregate_type)
    state = dict(state or {})
    for event_type, data in events:
        reducer = reducers.get(event_type)
        if reducer is None:
            raise EventShapeError(f"event {event_type!r} is unknown to {aggregate_type}")
        if not isinstance(data, dict):
            raise EventShapeError(f"event {event_type} has data that is not an object")
        try:
            state = reducer(state, data)
        except EventShapeError as exc:
            raise EventShapeError(f"event {event_type}: {exc}") from None
    return state


def _reducers(aggregate_type: str) -> dict[str, Reducer]:
    reducers = REDUCERS.get(aggregate_type)
    if reducers is None:
        raise EventShapeError(f"no reducers for aggregate type {aggregate_type!r}; known: {', '.join(REDUCERS)}")
    return reducers


def replay(aggregate_type: str, stream: Iterable[RecordedEvent], state: dict | None = None,
           version: int = 0) -> tuple[dict, int]:
    """Return (state, version) after folding ``stream`` onto ``state`` (empty by default).

    ``stream``: objects with ``version``, ``event_type`` and ``data`` (a `RecordedEvent`), in version order.
    Raises EventShapeError naming the event when one does not fit its reducer,
    and when versions are not contiguous (whichever comes first in the stream).
    """
    events, gap = list(stream), []
    if not events:
        return dict(state or {}), version
    if events[0].version != version + 1:
        raise EventShapeError(f"version {events[0].version} follows version {version}: the stream has a gap")

    def pairs():
        nonlocal version
        for event in events:
            if event.version != version + 1:
                gap.append(f"version {event.version} follows version {version}: the stream has a gap")
                return
            version = event.version
            yield event.event_type, event.data

    # One fold over the whole stream: a fold per event costs more than the reducers themselves.
    try:
        state = fold(aggregate_type, pairs(), state)
    except EventShapeError as exc:
        at = max(version, events[0].version)  # an unknown aggregate type fails before event 1 is read
        raise EventShapeError(f"{exc} (version {at})") from None
    if gap:
        raise EventShapeError(gap[0])
    return state, version
