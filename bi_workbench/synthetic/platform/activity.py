"""User sessions and the analytics events inside them.

Each user has a signup session at signup and further sessions spread over an
active life that may end in churn; session starts follow weekly and daily
seasonality, and since signups grow, so does total activity. Analytics events
are generated session block by session block so the largest scale streams.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import catalogue as cat
from .. import encode
from ..primitives import (
    DAY, MISSING, REFERENCE_TS, group_sequence, month_start, seasonal_times, tokens, uuids,
)
from ..scales import Scale
from .accounts import Organizations, Users

#: Share of users still active at the reference date; mean active life of the others.
RETAINED_SHARE = 0.45
MEAN_LIFETIME_DAYS = 400
#: Mean seconds between two events of a session, and a session is "active" if its last
#: event is this recent.
EVENT_GAP_SECONDS = 45
ACTIVE_WINDOW_SECONDS = 1800
SOURCE_SHARES = (0.68, 0.22, 0.10)


@dataclass(frozen=True)
class Sessions:
    """Sessions in user order: user index, start, duration, event count, source and client."""

    id: np.ndarray
    user: np.ndarray
    first: np.ndarray   # the user's signup session
    start: np.ndarray
    duration: np.ndarray
    events: np.ndarray
    source: np.ndarray  # index into catalogue.SESSION_SOURCES
    client: np.ndarray  # index into catalogue.CLIENTS

    @property
    def end(self) -> np.ndarray:
        """Return each session's end (at most the reference date)."""
        return np.minimum(self.start + self.duration, REFERENCE_TS)


def generate_sessions(rng: np.random.Generator, users: Users, scale: Scale) -> Sessions:
    """Return about analytics_events / events_per_session sessions, at least one per user."""
    n = len(users.id)
    counts = 1 + rng.poisson(_session_rates(rng, users, scale))
    user = np.repeat(np.arange(n), counts)
    first = group_sequence(counts) == 0
    last_active = _last_active(rng, users)
    start = seasonal_times(rng, users.created[user] + 300, last_active[user])
    start[first] = users.created[user[first]] + rng.integers(0, 120, int(first.sum()))
    events = rng.geometric(1 / scale.events_per_session, len(user))
    duration = (rng.gamma(events, EVENT_GAP_SECONDS) + rng.exponential(60, len(user))).astype(np.int64)
    source = rng.choice(3, size=len(user), p=SOURCE_SHARES)
    return Sessions(id=uuids(rng, len(user)), user=user, first=first, start=np.minimum(start, REFERENCE_TS),
                    duration=duration, events=events, source=source, client=_clients(rng, source))


def _last_active(rng, users: Users) -> np.ndarray:
    """Return when each user was last active: the reference date, or after an exponential life."""
    life = (rng.exponential(MEAN_LIFETIME_DAYS, len(users.id)) * DAY).astype(np.int64)
    churned = rng.random(len(users.id)) >= RETAINED_SHARE
    return np.where(churned, np.minimum(users.created + DAY + life, REFERENCE_TS), REFERENCE_TS)


def _session_rates(rng, users: Users, scale: Scale) -> np.ndarray:
    """Return each user's expected number of sessions beyond the signup one."""
    wanted = max(0.0, scale.analytics_events / scale.events_per_session - len(users.id))
    weight = rng.lognormal(0, 1, len(users.id)) * np.maximum((REFERENCE_TS - users.created) / DAY, 1)
    return weight / weight.sum() * wanted if weight.sum() else weight


def _clients(rng, source: np.ndarray) -> np.ndarray:
    """Return a client (index into catalogue.CLIENTS) of the session's source."""
    kinds = np.array([c[0] for c in cat.CLIENTS], dtype=object)
    out = np.empty(len(source), dtype=np.int64)
    for code, name in enumerate(cat.SESSION_SOURCES):
        options = np.flatnonzero(kinds == name)
        mask = source == code
        out[mask] = options[rng.integers(0, len(options), int(mask.sum()))]
    return out


def session_batch(rng: np.random.Generator, users: Users, sessions: Sessions) -> dict:
    """Return the user_sessions batch; sessions whose end is within ACTIVE_WINDOW_SECONDS are active."""
    n = len(sessions.id)
    end = sessions.end
    active = end >= REFERENCE_TS - ACTIVE_WINDOW_SECONDS
    return {
        "id": sessions.id, "user_id": users.id[sessions.user], "session_token": tokens(rng, n, 43),
        "ip_address": _ip_addresses(rng, sessions.user, len(users.id)),
        "user_agent": encode.categorical(sessions.client, [c[1] for c in cat.CLIENTS]),
        "device_info": encode.categorical(sessions.client, [json.dumps(c[2]) for c in cat.CLIENTS]),
        "started_at": encode.timestamps(sessions.start),
        "ended_at": encode.timestamps(np.where(active, MISSING, end)),
        "is_active": encode.booleans(active),
    }


def _ip_addresses(rng, user: np.ndarray, n_users: int) -> np.ndarray:
    """Return one address per session: mostly the user's usual IPv4, sometimes another, a few IPv6."""
    home = rng.integers(1, 224, (n_users, 4))
    home[:, 0] = np.where(np.isin(home[:, 0], (10, 127, 172, 192)), home[:, 0] + 1, home[:, 0])
    octets = home[user]
    roaming = rng.random(len(user)) < 0.15
    octets[roaming] = rng.integers(1, 224, (int(roaming.sum()), 4))
    v4 = [f"{a}.{b}.{c}.{d}" for a, b, c, d in octets.tolist()]
    v6 = rng.random(len(user)) < 0.05
    groups = rng.integers(0, 65536, (int(v6.sum()), 4)).tolist()
    out = np.array(v4, dtype=object)
    out[v6] = [f"2001:db8:{a:x}:{b:x}::{c:x}:{d:x}" for a, b, c, d in groups]
    return out


def partition_range(sessions: Sessions) -> tuple:
    """Return the first and last month (dates) the sessions' analytics events fall in."""
    if not len(sessions.id):
        return None, None
    return month_start(int(sessions.start.min())).date(), month_start(int(sessions.end.max())).date()


def event_batches(rng: np.random.Generator, users: Users, orgs: Organizations, sessions: Sessions,
                  chunk_rows: int) -> Iterator[dict]:
    """Yield analytics_events batches of about ``chunk_rows`` rows, session block by session block.

    Sessions go in order of start, so each batch lands in one or two monthly
    partitions and their indexes stay small and warm while it loads.
    """
    order = np.argsort(sessions.start, kind="stable")
    ends = np.cumsum(sessions.events[order])
    cuts = np.searchsorted(ends, np.arange(chunk_rows, int(ends[-1]) if len(ends) else 0, chunk_rows), side="right")
    bounds = np.concatenate([[0], cuts, [len(order)]]).astype(np.int64)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi > lo:
            yield _events_of(rng, users, orgs, sessions, order[lo:hi])


def _events_of(rng, users: Users, orgs: Organizations, sessions: Sessions, block: np.ndarray) -> dict:
    """Return the analytics events of the sessions in ``block``."""
    counts = sessions.events[block]
    local = np.repeat(np.arange(len(block)), counts)
    session = block[local]
    position = group_sequence(counts)
    offset = np.sort(local + rng.random(len(local))) - local
    offset[position == 0] = 0
    created = np.minimum(sessions.start[session] + (offset * sessions.duration[session]).astype(np.int64), REFERENCE_TS)
    kind = _event_kinds(rng, position == 0, sessions.first[session])
    user = sessions.user[session]
    return {
        "id": uuids(rng, len(session)), "user_id": users.id[user], "organization_id": orgs.org_ids_of(user),
        "event_type": encode.categorical(kind, [name for name, _ in cat.FUNNEL]),
        "event_data": encode.categorical(_event_data_codes(rng, kind), EVENT_DATA),
        "session_id": sessions.id[session],
        "source": encode.categorical(sessions.source[session], cat.SESSION_SOURCES),
        "created_at": encode.timestamps(created),
    }


def _event_kinds(rng, opening: np.ndarray, signup_session: np.ndarray) -> np.ndarray:
    """Return funnel codes: 'signup' opens the signup session, 'page_view' opens the others."""
    names = [name for name, _ in cat.FUNNEL]
    weights = np.array([w for _, w in cat.FUNNEL])
    kind = rng.choice(len(names), size=len(opening), p=weights / weights.sum())
    kind[opening] = names.index("page_view")
    kind[opening & signup_session] = names.index("signup")
    return kind


def _event_data_documents() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the event_data JSON documents and, per funnel step, the offset and count of its own."""
    options = {
        "page_view": [{"path": p} for p in cat.PAGES],
        "signup": [{"method": m} for m in ("email", "google", "invite")],
        "assessment_started": [{"assessment_type": t} for t in cat.INVITATION_TYPES],
        "assessment_completed": [{"assessment_type": t} for t in cat.INVITATION_TYPES],
        "report_viewed": [{"report": r} for r in ("benchmark", "market_insights", "executive_summary")],
        "lever_accepted": [{"lever": name} for name in cat.LEVER_CATALOGUE],
        "simulation_run": [{"simulation_type": "growth_monte_carlo", "iterations": i} for i in (1000, 5000, 10000)],
        "upgrade": [{"from_plan": a, "to_plan": b} for a, b in zip(cat.PLANS, cat.PLANS[1:])],
        "dashboard_viewed": [{"widgets": k} for k in range(1, 9)],
    }
    documents, offsets, sizes = [], [], []
    for name, _ in cat.FUNNEL:
        offsets.append(len(documents))
        sizes.append(len(options[name]))
        documents += [json.dumps({"event": name, **o}) for o in options[name]]
    return documents, np.array(offsets), np.array(sizes)


EVENT_DATA, _DATA_OFFSET, _DATA_SIZE = _event_data_documents()


def _event_data_codes(rng, kind: np.ndarray) -> np.ndarray:
    """Return, per event, the index into EVENT_DATA of a document of its own funnel step."""
    return _DATA_OFFSET[kind] + (rng.random(len(kind)) * _DATA_SIZE[kind]).astype(np.int64)
