"""The write API: each command writes its rows and its event in one transaction.

The Python counterpart of the seed's TypeScript sketch, without its defect:
there the assessment and its event were two separate calls, so a crash between
them left a row with no event. Here both land or neither does.

Every command takes an Engine (it opens and commits its own transaction) or a
Connection (it joins the caller's transaction). Every value given is checked
before any SQL: a NUL character (which PostgreSQL text and JSON cannot store) or
a non-finite number (NaN, infinity) anywhere in it raises InvalidParameterError
naming the field.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..domain import levers as lever_domain
from ..domain import scoring
from ..domain.simulation import ENGINE_VERSION, SIMULATION_TYPE, SimulationInputs, simulate
from ..errors import InvalidParameterError, NotFoundError, SimulationFailedError
from ..loaders.values import reject_unstorable
from ..schema.tables import assessments, growth_levers, growth_progress, simulations, users
from .recorder import NewEvent
from .store import EventStore

LEVER_STATUSES = ("suggested", "accepted", "in_progress", "completed", "rejected")
PROGRESS_STATUSES = ("not_started", "in_progress", "completed", "blocked")

_store = EventStore()


@contextmanager
def transaction(bind: Engine | Connection):
    """Yield a Connection inside a transaction: a new one for an Engine, the caller's for a Connection."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    elif bind.in_transaction():
        yield bind
    else:
        with bind.begin():
            yield bind


def create_assessment(bind, user_id: uuid.UUID, assessment_type: str, responses: dict, *,
                      organization_id: uuid.UUID | None = None, metadata: dict | None = None) -> dict:
    """Insert an assessment and its `assessment_created` event; return the new row as a dict."""
    _check_fields(user_id=user_id, assessment_type=assessment_type, responses=responses, metadata=metadata)
    if not isinstance(responses, dict):
        raise InvalidParameterError(f"responses must be an object (dict), got {type(responses).__name__}")
    if not assessment_type or not isinstance(assessment_type, str):
        raise InvalidParameterError("assessment_type must be a non-empty string, e.g. 'onboarding'")
    with transaction(bind) as conn:
        _require(conn, users, user_id, "user")
        row = conn.execute(
            sa.insert(assessments).values(
                user_id=user_id, organization_id=organization_id, assessment_type=assessment_type,
                responses=responses, metadata=metadata or {},
            ).returning(*assessments.c)
        ).mappings().one()
        _store.append(conn, row["id"], "assessment", 0, NewEvent(
            "assessment_created",
            {"assessment_type": assessment_type, "status": row["status"], "responses": responses},
            user_id=user_id, organization_id=organization_id,
        ))
        return dict(row)


def score_assessment(bind, assessment_id: uuid.UUID, *, rubric=None) -> dict:
    """Score an assessment's responses, store the score, mark it completed, append `assessment_scored`.

    Returns the stored score as a dict (the rubric's output; see domain.scoring).
    """
    with transaction(bind) as conn:
        assessment = _require(conn, assessments, assessment_id, "assessment", lock=True)
        _state, version = _store.load(conn, assessment_id, "assessment")
        scores = scoring.score_assessments(_one_assessment_frame(assessment_id, assessment["responses"]), rubric)
        scoring.write_scores(conn, scores)
        result = scores.iloc[0].to_dict()
        conn.execute(sa.update(assessments).where(assessments.c.id == assessment_id).values(
            status="completed", completed_at=sa.func.now(), updated_at=sa.func.now()))
        _store.append(conn, assessment_id, "assessment", version, NewEvent(
            "assessment_scored",
            {"overall_score": _plain(result["overall_score"]), "bracket": result["bracket"],
             "confidence_score": _plain(result["confidence_score"])},
            user_id=assessment["user_id"], organization_id=assessment["organization_id"],
        ))
        return result


def suggest_levers(bind, user_id: uuid.UUID, *, organization_id: uuid.UUID | None = None,
                   levers: list[str] | None = None, category_scores: Mapping | None = None) -> uuid.UUID:
    """Prioritise levers (RICE, see domain.levers), store them as suggested, append `lever_suggested`; return the id."""
    _check_fields(user_id=user_id, organization_id=organization_id, levers=levers, category_scores=category_scores)
    plan = lever_domain.prioritize_levers(levers, category_scores)
    with transaction(bind) as conn:
        _require(conn, users, user_id, "user")
        lever_id = lever_domain.write_lever_plan(conn, user_id, organization_id, plan)
        _store.append(conn, lever_id, "growth_lever", 0, NewEvent(
            "lever_suggested", {"levers": list(plan.levers), "status": "suggested",
                                "priority_scores": plan.priority_scores},
            user_id=user_id, organization_id=organization_id,
        ))
        return lever_id


def change_lever_status(bind, lever_id: uuid.UUID, status: str, *, user_id: uuid.UUID | None = None) -> dict:
    """Set a growth lever's status and append `lever_status_changed`; return the updated row."""
    _check_fields(lever_id=lever_id, status=status, user_id=user_id)
    if status not in LEVER_STATUSES:
        raise InvalidParameterError(f"status {status!r} is not a lever status; allowed: {', '.join(LEVER_STATUSES)}")
    with transaction(bind) as conn:
        current = _require(conn, growth_levers, lever_id, "growth lever", lock=True)
        _state, version = _store.load(conn, lever_id, "growth_lever")
        row = conn.execute(
            sa.update(growth_levers).where(growth_levers.c.id == lever_id)
            .values(status=status, updated_at=sa.func.now()).returning(*growth_levers.c)
        ).mappings().one()
        _store.append(conn, lever_id, "growth_lever", version, NewEvent(
            "lever_status_changed", {"from": current["status"], "to": status},
            user_id=user_id, organization_id=current["organization_id"],
        ))
        return dict(row)


def record_progress(bind, lever_id: uuid.UUID, milestone: str, *, status: str = "in_progress",
                    progress_percentage: float = 0, notes: str | None = None,
                    user_id: uuid.UUID | None = None) -> dict:
    """Insert a progress milestone of a lever and append `progress_recorded` to the lever's stream."""
    _check_fields(lever_id=lever_id, milestone=milestone, status=status, progress_percentage=progress_percentage,
                  notes=notes)
    if status not in PROGRESS_STATUSES:
        raise InvalidParameterError(f"status {status!r} is not a progress status; allowed: {', '.join(PROGRESS_STATUSES)}")
    if not 0 <= float(progress_percentage) <= 100:
        raise InvalidParameterError(f"progress_percentage must be within 0-100, got {progress_percentage}")
    with transaction(bind) as conn:
        lever = _require(conn, growth_levers, lever_id, "growth lever", lock=True)
        _state, version = _store.load(conn, lever_id, "growth_lever")
        completed_at = datetime.now(timezone.utc) if status == "completed" else None
        row = conn.execute(
            sa.insert(growth_progress).values(
                user_id=user_id or lever["user_id"], organization_id=lever["organization_id"], lever_id=lever_id,
                milestone=milestone, status=status, progress_percentage=progress_percentage, notes=notes,
                completed_at=completed_at,
            ).returning(*growth_progress.c)
        ).mappings().one()
        _store.append(conn, lever_id, "growth_lever", version, NewEvent(
            "progress_recorded",
            {"progress_id": str(row["id"]), "milestone": milestone, "status": status,
             "progress_percentage": float(progress_percentage)},
            user_id=user_id or lever["user_id"], organization_id=lever["organization_id"],
        ))
        return dict(row)


def run_simulation(bind, user_id, organization_id, inputs: SimulationInputs | Mapping, seed: int | None = None,
                   *, simulation_type: str = SIMULATION_TYPE) -> uuid.UUID:
    """Run a growth simulation and store it in ``simulations`` with its events; return its id.

    Lifecycle: the ``running`` row and `simulation_started` are committed first
    (visible to others); then, in a second transaction, the row becomes
    ``completed`` (output_data, completed_at) with `simulation_completed`, or
    ``failed`` (the error in metadata) with `simulation_failed`, and
    SimulationFailedError is raised carrying ``simulation_id``. A None seed is
    drawn and stored. ``bind`` is an Engine, or a Connection with no open
    transaction (this command commits twice).

    Example: ``run_simulation(engine, user_id, None, {"months": 24}, seed=42)`` -> ``UUID('...')``.
    """
    _check_fields(user_id=user_id, organization_id=organization_id, simulation_type=simulation_type,
                  inputs=inputs.to_dict() if isinstance(inputs, SimulationInputs) else inputs)
    if isinstance(bind, Connection) and bind.in_transaction():
        raise InvalidParameterError("run_simulation commits its own transactions: pass an Engine or a connection "
                                    "with no open transaction (commit or roll back first)")
    seed = secrets.randbelow(2**31) if seed is None else seed
    with transaction(bind) as conn:
        simulation_id = conn.execute(sa.insert(simulations).values(
            user_id=user_id, organization_id=organization_id, simulation_type=simulation_type,
            input_data=_json_inputs(inputs), status="running",
            metadata={"engine": "numpy", "engine_version": ENGINE_VERSION, "seed": int(seed)},
        ).returning(simulations.c.id)).scalar_one()
        _store.append(conn, simulation_id, "simulation", 0, NewEvent(
            "simulation_started", {"simulation_type": simulation_type, "seed": int(seed)},
            user_id=user_id, organization_id=organization_id))
    try:
        result = simulate(inputs, seed)
    except Exception as error:
        _finish_simulation(bind, simulation_id, "failed", None, {"error": str(error), "error_type": type(error).__name__})
        raise SimulationFailedError(f"simulation {simulation_id} failed: {error}", simulation_id) from error
    _finish_simulation(bind, simulation_id, "completed", result.summary(), {"seconds": round(result.seconds, 4)})
    return simulation_id


def _finish_simulation(bind, simulation_id, status: str, output: dict | None, metadata: dict) -> None:
    with transaction(bind) as conn:
        row = conn.execute(sa.update(simulations).where(simulations.c.id == simulation_id).values(
            status=status, output_data=sa.null() if output is None else output, completed_at=sa.func.now(),
            metadata=simulations.c.metadata.op("||")(sa.cast(metadata, simulations.c.metadata.type)),
        ).returning(simulations.c.user_id, simulations.c.organization_id)).one()
        _store.append(conn, simulation_id, "simulation", 1, NewEvent(
            f"simulation_{status}", {"p50": output.get("p50")} if output else {"error": metadata["error"]},
            user_id=row.user_id, organization_id=row.organization_id))


def _check_fields(**fields) -> None:
    """Raise InvalidParameterError naming the first field holding a NUL character, a non-finite number or
    pandas' missing value (ids included: a NUL in one would reach the driver)."""
    for name, value in fields.items():
        reject_unstorable(value, name, InvalidParameterError)


def _json_inputs(inputs) -> dict:
    """Return the inputs as they will be stored in input_data (raw if they cannot be validated)."""
    if isinstance(inputs, SimulationInputs):
        return inputs.to_dict()
    try:
        return SimulationInputs.from_dict(inputs).to_dict()
    except InvalidParameterError:
        return {str(k): v if isinstance(v, (int, float, str, bool, list, dict, type(None))) else repr(v)
                for k, v in dict(inputs).items()} if isinstance(inputs, Mapping) else {"raw": repr(inputs)}


def _one_assessment_frame(assessment_id, responses) -> pd.DataFrame:
    return pd.DataFrame({"assessment_id": [assessment_id], "responses": [responses]})


def _plain(value):
    """A numpy scalar or NaN as a JSON-friendly float or None."""
    return None if value is None or value != value else float(value)


def _require(conn: Connection, table: sa.Table, row_id, what: str, lock: bool = False) -> dict:
    query = sa.select(*table.c).where(table.c.id == row_id)
    row = conn.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise NotFoundError(f"no {what} with id {row_id}")
    return dict(row)
