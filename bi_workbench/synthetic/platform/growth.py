"""Growth levers, their progress milestones, and growth simulations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import catalogue as cat
from .. import encode
from ..primitives import (
    DAY, HOUR, MISSING, REFERENCE_TS, between, counts_per, group_cumsum, pick, seasonal_times, subsets, uuids,
    with_blanks,
)
from .accounts import Organizations, Users

#: How many lever sets a user has, and how often.
LEVER_ROWS_PER_USER = ((0, 1, 2, 3), (0.35, 0.4, 0.18, 0.07))
#: Share of each final status (catalogue.LEVER_STATUSES order).
LEVER_STATUS_SHARES = (0.3, 0.2, 0.22, 0.15, 0.13)
#: The status changes that lead from 'suggested' to each final status.
STATUS_PATHS = {
    "suggested": (), "accepted": ("accepted",), "in_progress": ("accepted", "in_progress"),
    "completed": ("accepted", "in_progress", "completed"), "rejected": ("rejected",),
}
#: Mean simulations per user with levers and without; share of simulations failed and still running.
SIMULATIONS_PER_USER = (0.9, 0.15)
SIMULATION_STATUS_SHARES = (("completed", 0.9), ("failed", 0.06), ("running", 0.04))


@dataclass(frozen=True)
class Levers:
    """Lever sets (user index, levers, final status) and their status changes in time order."""

    id: np.ndarray
    user: np.ndarray
    levers: list
    status: np.ndarray
    created: np.ndarray
    change_row: np.ndarray     # lever row of each status change
    change_status: np.ndarray  # status entered
    change_time: np.ndarray

    def updated(self) -> np.ndarray:
        """Return each lever set's last change time (its creation if it never changed)."""
        last = self.created.copy()
        np.maximum.at(last, self.change_row, self.change_time)
        return last


def generate_levers(rng: np.random.Generator, users: Users) -> Levers:
    """Return lever sets of 2-4 levers for about two thirds of the users."""
    values, probs = LEVER_ROWS_PER_USER
    user = np.repeat(np.arange(len(users.id)), counts_per(rng, len(users.id), values, probs))
    n = len(user)
    created = seasonal_times(rng, users.created[user] + HOUR, np.full(n, REFERENCE_TS - DAY))
    status = pick(rng, cat.LEVER_STATUSES, n, LEVER_STATUS_SHARES)
    steps = np.array([len(STATUS_PATHS[s]) for s in status], dtype=np.int64)
    row = np.repeat(np.arange(n), steps)
    when = np.minimum(created[row] + group_cumsum(rng.exponential(10 * DAY, len(row)), steps).astype(np.int64),
                      REFERENCE_TS)
    entered = np.array([STATUS_PATHS[s][k] for s, k in zip(status[row], _ranks(steps))], dtype=object)
    return Levers(id=uuids(rng, n), user=user, levers=subsets(rng, cat.LEVER_CATALOGUE, rng.integers(2, 5, n)),
                  status=status, created=created, change_row=row, change_status=entered, change_time=when)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """Return 0, 1, ... within consecutive groups of the given sizes."""
    return (group_cumsum(np.ones(int(counts.sum()), dtype=np.int64), counts) - 1).astype(np.int64)


def lever_batch(rng: np.random.Generator, users: Users, orgs: Organizations, levers: Levers) -> dict:
    """Return the growth_levers batch (priority scores, plans and ROI estimates per lever)."""
    n = len(levers.id)
    scores = [dict(zip(names, np.round(rng.uniform(0.2, 1.0, len(names)), 2).tolist())) for names in levers.levers]
    plans = [{name: {"phase": i + 1, "weeks": int(w)} for i, (name, w) in enumerate(zip(names, weeks))}
             for names, weeks in zip(levers.levers, rng.integers(2, 13, (n, 4)).tolist())]
    roi = [{name: {"expected_roi": r, "payback_months": int(p)} for name, r, p in zip(names, rs, ps)}
           for names, rs, ps in zip(levers.levers, np.round(rng.lognormal(0.5, 0.5, (n, 4)), 2).tolist(),
                                    rng.integers(2, 25, (n, 4)).tolist())]
    return {
        "id": levers.id, "user_id": users.id[levers.user], "organization_id": orgs.org_ids_of(levers.user),
        "levers": encode.text_arrays(levers.levers), "priority_scores": encode.json_values(scores),
        "implementation_plan": encode.json_values(plans), "roi_estimates": encode.json_values(roi),
        "status": levers.status, "created_at": encode.timestamps(levers.created),
        "updated_at": encode.timestamps(levers.updated()),
    }


def progress_batch(rng: np.random.Generator, users: Users, orgs: Organizations, levers: Levers) -> dict:
    """Return the growth_progress batch: 1-3 milestones per lever of every accepted lever set."""
    accepted_at = dict(zip(levers.change_row[levers.change_status == "accepted"].tolist(),
                           levers.change_time[levers.change_status == "accepted"].tolist()))
    rows, names, steps = [], [], []
    for row, k in zip(accepted_at, rng.integers(1, 4, len(accepted_at) * 4).reshape(-1, 4).tolist()):
        for name, count in zip(levers.levers[row], k):
            rows += [row] * count
            names += [name] * count
            steps += list(range(count))
    row = np.array(rows, dtype=np.int64)
    created = np.array([accepted_at[r] for r in rows], dtype=np.int64) + np.array(steps, dtype=np.int64) * HOUR
    status = _milestone_status(rng, levers.status[row])
    return _progress_columns(rng, users, orgs, levers, row, names, steps, np.minimum(created, REFERENCE_TS), status)


def _milestone_status(rng, lever_status: np.ndarray) -> np.ndarray:
    """Return each milestone's status, drawn according to its lever set's status."""
    shares = {"accepted": (0.7, 0.3, 0.0), "in_progress": (0.3, 0.4, 0.3), "completed": (0.0, 0.1, 0.9)}
    u = rng.random(len(lever_status))
    out = np.empty(len(lever_status), dtype=object)
    for key, (p_todo, p_doing, _) in shares.items():
        mask = lever_status == key
        later_state = np.where(u[mask] < p_todo + p_doing, "in_progress", "completed")
        out[mask] = np.where(u[mask] < p_todo, "not_started", later_state)
    return out


def _progress_columns(rng, users, orgs, levers, row, names, steps, created, status) -> dict:
    """Return the growth_progress columns for the milestones described by the arguments."""
    n = len(row)
    done = status == "completed"
    pct = np.where(done, 100.0, np.where(status == "in_progress", np.round(rng.uniform(5, 95, n), 2), 0.0))
    completed = np.where(done, between(rng, created, REFERENCE_TS), MISSING)
    updated = np.where(done, completed, between(rng, created, REFERENCE_TS))
    templates = np.array(cat.MILESTONE_TEMPLATES, dtype=object)
    milestone = [templates[s % len(templates)].format(name.replace("_", " ")) for name, s in zip(names, steps)]
    user = levers.user[row]
    return {
        "id": uuids(rng, n), "user_id": users.id[user], "organization_id": orgs.org_ids_of(user),
        "lever_id": levers.id[row], "milestone": np.array(milestone, dtype=object), "status": status,
        "progress_percentage": encode.numbers(pct, 2),
        "notes": with_blanks(rng, pick(rng, ("On track", "Blocked on data access", "Needs budget sign-off",
                                              "Owner changed", "Pilot results look promising"), n), 0.4),
        "completed_at": encode.timestamps(completed), "created_at": encode.timestamps(created),
        "updated_at": encode.timestamps(updated),
    }


@dataclass(frozen=True)
class Simulations:
    """Simulations: user index, status, start and end (MISSING while running), and the COPY batch."""

    id: np.ndarray
    user: np.ndarray
    status: np.ndarray
    created: np.ndarray
    completed: np.ndarray
    output: list
    batch: dict


def generate_simulations(rng: np.random.Generator, users: Users, orgs: Organizations, levers: Levers) -> Simulations:
    """Return Monte Carlo growth simulations, more of them for users who have levers."""
    has_levers = np.isin(np.arange(len(users.id)), levers.user)
    user = np.repeat(np.arange(len(users.id)), rng.poisson(np.where(has_levers, *SIMULATIONS_PER_USER)))
    n = len(user)
    names, shares = zip(*SIMULATION_STATUS_SHARES)
    status = pick(rng, names, n, shares)
    created = seasonal_times(rng, users.created[user] + HOUR, np.full(n, REFERENCE_TS - DAY))
    running = status == "running"
    created[running] = np.maximum(REFERENCE_TS - (rng.random(running.sum()) * 6 * HOUR).astype(np.int64),
                                  users.created[user[running]])
    completed = np.where(running, MISSING, np.minimum(created + rng.integers(5, 900, n), REFERENCE_TS))
    inputs = _simulation_inputs(rng, n)
    outputs = [_simulation_output(rng, s, i) for s, i in zip(status, inputs)]
    sim_id = uuids(rng, n)
    batch = {
        "id": sim_id, "user_id": users.id[user], "organization_id": orgs.org_ids_of(user),
        "simulation_type": np.full(n, "growth_monte_carlo", dtype=object),
        "input_data": encode.json_values(inputs), "output_data": encode.json_values(outputs), "status": status,
        "metadata": encode.json_values({"engine": "numpy", "engine_version": v}
                                       for v in pick(rng, ("1.2.0", "1.3.1", "1.4.0"), n)),
        "created_at": encode.timestamps(created), "completed_at": encode.timestamps(completed),
    }
    return Simulations(id=sim_id, user=user, status=status, created=created, completed=completed,
                       output=outputs, batch=batch)


def _simulation_inputs(rng, n: int) -> list[dict]:
    """Return the input_data documents: levers, horizon, iterations, baseline and growth assumptions."""
    levers = subsets(rng, cat.LEVER_CATALOGUE, rng.integers(1, 4, n))
    horizon = pick(rng, (12, 24, 36), n, (0.5, 0.35, 0.15))
    iterations = pick(rng, (1000, 5000, 10000), n, (0.5, 0.3, 0.2))
    mrr = np.round(rng.lognormal(10.5, 1.0, n), -2)
    growth = np.round(rng.normal(0.04, 0.02, n), 3)
    vol = np.round(rng.uniform(0.05, 0.3, n), 2)
    seeds = rng.integers(0, 2**31, n)
    return [{"levers": lv, "horizon_months": int(h), "iterations": int(it), "baseline_mrr": m,
             "monthly_growth_rate": g, "volatility": v, "seed": int(s)}
            for lv, h, it, m, g, v, s in zip(levers, horizon, iterations, mrr.tolist(), growth.tolist(),
                                             vol.tolist(), seeds.tolist())]


def _simulation_output(rng, status: str, inputs: dict) -> dict | None:
    """Return the output_data of one simulation: percentiles when completed, an error when failed."""
    if status == "running":
        return None
    if status == "failed":
        return {"error": "simulation did not converge" if rng.random() < 0.5 else "missing baseline metrics"}
    months, rate, vol = inputs["horizon_months"], inputs["monthly_growth_rate"], inputs["volatility"]
    median = inputs["baseline_mrr"] * (1 + rate) ** months
    spread = np.exp(1.2816 * vol * np.sqrt(months / 12))
    return {"p10": round(median / spread, 2), "p50": round(median, 2), "p90": round(median * spread, 2),
            "probability_of_target": round(float(rng.uniform(0.05, 0.95)), 2)}
