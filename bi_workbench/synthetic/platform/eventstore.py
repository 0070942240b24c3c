"""Event-sourcing streams (events) and snapshots for assessments, growth levers and simulations.

Each aggregate's events carry versions 1..n with no gap, in time order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...events.aggregates import fold
from .. import encode
from ..primitives import REFERENCE_TS, chosen, group_sequence, uuids
from .accounts import Organizations, Users
from .growth import Levers, Simulations
from .sources import AssessmentHistory


@dataclass(frozen=True)
class Streams:
    """Events laid out aggregate by aggregate, each aggregate's events in version order."""

    aggregate_id: np.ndarray
    aggregate_type: np.ndarray
    event_type: np.ndarray
    data: list
    user_id: np.ndarray
    organization_id: np.ndarray
    created: np.ndarray
    counts: np.ndarray  # events per aggregate, in order

    @property
    def version(self) -> np.ndarray:
        """Return each event's version (1-based position within its aggregate)."""
        return group_sequence(self.counts) + 1


def lever_streams(users: Users, orgs: Organizations, levers: Levers) -> Streams:
    """Return lever_suggested then one lever_status_changed per status change, per lever set."""
    steps = np.bincount(levers.change_row, minlength=len(levers.id))
    counts = steps + 1
    first = np.cumsum(counts) - counts
    row = np.repeat(np.arange(len(levers.id)), counts)
    kind = np.full(len(row), "lever_status_changed", dtype=object)
    kind[first] = "lever_suggested"
    created = np.empty(len(row), dtype=np.int64)
    created[first] = levers.created
    later_slots = np.setdiff1d(np.arange(len(row)), first)
    created[later_slots] = levers.change_time
    entered = np.empty(len(row), dtype=object)
    entered[first] = "suggested"
    entered[later_slots] = levers.change_status
    data = [{"levers": levers.levers[r], "status": "suggested"} if k == "lever_suggested" else {"from": prev, "to": to}
            for r, k, prev, to in zip(row, kind, np.roll(entered, 1), entered)]
    user = levers.user[row]
    return Streams(levers.id[row], np.full(len(row), "growth_lever", dtype=object), kind, data,
                   users.id[user], orgs.org_ids_of(user), created, counts)


def simulation_streams(users: Users, orgs: Organizations, sims: Simulations) -> Streams:
    """Return simulation_started, then simulation_completed or simulation_failed once finished."""
    finished = sims.status != "running"
    counts = 1 + finished.astype(np.int64)
    row = np.repeat(np.arange(len(sims.id)), counts)
    second = group_sequence(counts) == 1
    kind = np.where(second, np.where(sims.status[row] == "failed", "simulation_failed", "simulation_completed"),
                    "simulation_started").astype(object)
    created = np.where(second, sims.completed[row], sims.created[row])
    data = [{"simulation_type": "growth_monte_carlo"} if not s else sims.output[r]
            for r, s in zip(row, second)]
    user = sims.user[row]
    return Streams(sims.id[row], np.full(len(row), "simulation", dtype=object), kind, data,
                   users.id[user], orgs.org_ids_of(user), created, counts)


def assessment_streams(history: AssessmentHistory) -> Streams:
    """Return assessment_created, then one assessment_scored per score, per assessment."""
    scores = np.bincount(history.score_of, minlength=len(history.id))
    counts = 1 + scores
    first = np.cumsum(counts) - counts
    row = np.repeat(np.arange(len(history.id)), counts)
    slots = np.setdiff1d(np.arange(len(row)), first)
    created = np.empty(len(row), dtype=np.int64)
    created[first] = history.created
    created[slots] = history.scored
    data = np.empty(len(row), dtype=object)
    data[first] = [{"assessment_type": t, "status": s} for t, s in zip(history.assessment_type, history.status)]
    data[slots] = [{"overall_score": s, "bracket": b} for s, b in zip(history.score, history.bracket)]
    kind = np.full(len(row), "assessment_scored", dtype=object)
    kind[first] = "assessment_created"
    return Streams(history.id[row], np.full(len(row), "assessment", dtype=object), kind, list(data),
                   history.user_id[row], history.organization_id[row], _running_max(created, counts), counts)


def _running_max(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Return the running maximum of ``values`` within each group (so event times never go back)."""
    groups = np.repeat(np.arange(len(counts)), counts)
    return pd.Series(values).groupby(groups).cummax().to_numpy(dtype=np.int64)


def concat_streams(parts: list[Streams]) -> Streams:
    """Return the streams one after another."""
    return Streams(*(np.concatenate([getattr(p, f) for p in parts]) for f in (
        "aggregate_id", "aggregate_type", "event_type")),
        sum((list(p.data) for p in parts), []),
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("user_id", "organization_id", "created", "counts")))


def event_batch(rng: np.random.Generator, streams: Streams) -> dict:
    """Return the events batch of the streams, in time order (ties by version).

    The schema numbers events in insertion order (``events.position``), so
    writing them by time makes that global order follow the clock, and each
    aggregate's versions come in increasing position.
    """
    version = streams.version
    created = np.minimum(streams.created, REFERENCE_TS)
    order = np.lexsort((version, created))
    batch = {
        "id": uuids(rng, len(order)), "aggregate_id": streams.aggregate_id[order],
        "aggregate_type": streams.aggregate_type[order], "event_type": streams.event_type[order],
        "event_data": encode.json_values([streams.data[i] for i in order]),
        "version": encode.integers(version[order]),
        "user_id": streams.user_id[order], "organization_id": streams.organization_id[order],
        "created_at": encode.timestamps(created[order]),
    }
    return batch


#: Share of aggregates with two or more events that get a snapshot.
SNAPSHOT_SHARE = 0.35


def snapshot_batch(rng: np.random.Generator, streams: Streams) -> dict:
    """Return the snapshots batch: some aggregates with 2+ events, at a version they have."""
    candidates = np.flatnonzero(streams.counts >= 2)
    picked = candidates[chosen(rng, len(candidates), SNAPSHOT_SHARE, minimum=1)] if len(candidates) else candidates
    version = rng.integers(2, streams.counts[picked] + 1) if len(picked) else np.zeros(0, dtype=np.int64)
    at = (np.cumsum(streams.counts) - streams.counts)[picked] + version - 1
    # A snapshot holds what replaying the stream up to its version gives.
    state = [fold(streams.aggregate_type[i], zip(streams.event_type[i - v + 1:i + 1], streams.data[i - v + 1:i + 1]))
             for v, i in zip(version, at)]
    return {
        "id": uuids(rng, len(picked)), "aggregate_id": streams.aggregate_id[at],
        "aggregate_type": streams.aggregate_type[at], "state": encode.json_values(state),
        "version": encode.integers(version),
        "created_at": encode.timestamps(np.minimum(streams.created[at] + 1, REFERENCE_TS)),
    }
