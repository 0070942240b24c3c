"""The run history of reports in the database (table ``report_runs``), each run a lease.

A run is recorded before its notebook starts (`start_run`, status ``running``,
owned by this process until ``lease_expires_at``), its lease extended while it
renders (`extend_leases`) and closed when it ends (`finish_run`). A scheduled
run claims its slot with ``INSERT ... ON CONFLICT DO NOTHING`` against the
partial unique index over runs that are not abandoned: a slot already claimed,
by this process or another, gives None and is not rendered again.

`running_runs` serves recovery: the caller (`bi_workbench.reports.lease.recover`)
decides which running runs are dead and what became of their files, and closes
them with `finish_run`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from ..schema.report_runs import report_runs

#: The slot claim: the partial unique index of `bi_workbench.schema.report_runs`.
_CLAIM_COLUMNS = ["report", "schedule_name", "slot"]
# A literal, as the partial index's own predicate: a bound value stops matching the index once
# the server plans the prepared statement generically (from its sixth run on).
_NOT_ABANDONED = report_runs.c.status != sa.literal_column("'abandoned'")


def _lease_until(lease_seconds: float):
    return sa.func.clock_timestamp() + sa.func.make_interval(0, 0, 0, 0, 0, 0, float(lease_seconds))


def start_run(engine: Engine, report: str, parameters: dict[str, Any], *,
              schedule_name: str | None = None, slot: datetime | None = None, owner: str | None = None,
              lease_seconds: float = 120, folder: Callable[[int], str] | None = None) -> int | None:
    """Record a run as ``running`` owned by ``owner`` for ``lease_seconds``; return its id.

    Returns None if its (report, schedule, slot) is already claimed by a run
    that is not abandoned. ``folder(run_id)``, if given, names the run's own
    output folder, stored in ``output_paths["folder"]`` in the same transaction.
    """
    statement = (
        insert(report_runs)
        .values(report=report, parameters=parameters, schedule_name=schedule_name, slot=slot, status="running",
                owner=owner, lease_expires_at=_lease_until(lease_seconds))
        .on_conflict_do_nothing(index_elements=_CLAIM_COLUMNS, index_where=_NOT_ABANDONED)
        .returning(report_runs.c.id)
    )
    with engine.begin() as conn:
        run_id = conn.execute(statement).scalar()
        if run_id is not None and folder is not None:
            conn.execute(sa.update(report_runs).where(report_runs.c.id == run_id)
                         .values(output_paths={"folder": str(folder(run_id))}))
        return run_id


def extend_leases(engine: Engine, run_ids: Iterable[int], lease_seconds: float) -> int:
    """Extend the leases of the still-running runs ``run_ids`` to now + ``lease_seconds``; return how many."""
    ids = list(run_ids)
    if not ids:
        return 0
    statement = (sa.update(report_runs)
                 .where(report_runs.c.id.in_(ids), report_runs.c.status == "running")
                 .values(lease_expires_at=_lease_until(lease_seconds)))
    with engine.begin() as conn:
        return conn.execute(statement).rowcount


def finish_run(engine: Engine, run_id: int, status: str, output_paths: dict[str, str], error: str | None = None,
               *, started_at: datetime | None = None) -> bool:
    """Close running run ``run_id`` with ``status``, its files and its error; return False if it was not running.

    ``started_at``: when rendering really began (a run queued behind others is
    claimed earlier); it replaces the claim time, never later than now. A run
    closed meanwhile (found abandoned by another command) is left as it is.
    Database errors propagate (the caller decides that closing is not fatal).
    """
    now = sa.func.clock_timestamp()
    start = report_runs.c.started_at if started_at is None else sa.func.least(sa.literal(started_at, sa.DateTime(timezone=True)), now)
    statement = (
        sa.update(report_runs)
        .where(report_runs.c.id == run_id, report_runs.c.status == "running")
        .values(status=status, started_at=start, finished_at=sa.func.greatest(now, start),
                output_paths=output_paths, error=error, lease_expires_at=None)
    )
    with engine.begin() as conn:
        return conn.execute(statement).rowcount == 1


def running_runs(engine: Engine) -> list[dict[str, Any]]:
    """Return every ``running`` run with ``expired`` (its lease ran out, by the database's clock), oldest first."""
    expired = sa.func.coalesce(report_runs.c.lease_expires_at < sa.func.clock_timestamp(), True).label("expired")
    query = (sa.select(report_runs.c.id, report_runs.c.report, report_runs.c.owner, report_runs.c.output_paths,
                       report_runs.c.lease_expires_at, expired)
             .where(report_runs.c.status == "running").order_by(report_runs.c.id))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]



def recent_runs(engine: Engine, report: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Return the latest runs (newest first) as dicts, of one report or of all."""
    query = sa.select(report_runs).order_by(report_runs.c.started_at.desc(), report_runs.c.id.desc()).limit(limit)
    if report is not None:
        query = query.where(report_runs.c.report == report)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def describe_run(run: dict[str, Any]) -> str:
    """Return one line of `recent_runs`' ``run``: id, report, status, start (local time), duration,
    parameters, schedule slot, then the output path (the error for a failed run).

    ``#12 users_orgs succeeded 2026-11-30 14:02:11 +0000 (7.4 s) industry=Technology since=2025-01-01 -> reports/...``
    """
    started = run["started_at"].astimezone()
    duration = (f"{(run['finished_at'] - run['started_at']).total_seconds():.1f} s" if run["finished_at"]
                else "running")
    shown = " ".join(f"{key}={value}" for key, value in sorted(run["parameters"].items())
                     if value not in (None, "", []))
    where = f" [schedule {run['schedule_name']}, slot {run['slot']:%Y-%m-%d %H:%M}]" if run["schedule_name"] else ""
    paths = run["output_paths"]
    detail = run["error"] or paths.get("html") or paths.get("error_notebook") or paths.get("folder", "")
    return (f"#{run['id']} {run['report']} {run['status']} {started:%Y-%m-%d %H:%M:%S %z} ({duration})"
            f"{' ' + shown if shown else ''}{where} -> {detail}")
