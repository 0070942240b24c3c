"""The run history of reports in the database (table ``report_runs``).

A run is recorded before its notebook starts (`start_run`, status
``running``) and closed when it ends (`finish_run`). A scheduled run claims its
slot with ``INSERT ... ON CONFLICT DO NOTHING``: a slot already claimed, by
this process or another, gives None and is not rendered again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from ..schema.report_runs import report_runs


def start_run(engine: Engine, report: str, parameters: dict[str, Any], *,
              schedule_name: str | None = None, slot: datetime | None = None) -> int | None:
    """Record a run as ``running``; return its id, or None if its (report, schedule, slot) was already claimed."""
    statement = (
        insert(report_runs)
        .values(report=report, parameters=parameters, schedule_name=schedule_name, slot=slot, status="running")
        .on_conflict_do_nothing(constraint="uq_report_runs_report_schedule_name_slot")
        .returning(report_runs.c.id)
    )
    with engine.begin() as conn:
        return conn.execute(statement).scalar()


def finish_run(engine: Engine, run_id: int, status: str, output_paths: dict[str, str], error: str | None = None) -> None:
    """Close run ``run_id`` with ``status`` (succeeded or failed), its output files and its error."""
    statement = (
        sa.update(report_runs)
        .where(report_runs.c.id == run_id)
        .values(status=status, finished_at=sa.func.greatest(sa.func.clock_timestamp(), report_runs.c.started_at),
                output_paths=output_paths, error=error)
    )
    with engine.begin() as conn:
        conn.execute(statement)


def recent_runs(engine: Engine, report: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Return the latest runs (newest first) as dicts, of one report or of all."""
    query = sa.select(report_runs).order_by(report_runs.c.started_at.desc(), report_runs.c.id.desc()).limit(limit)
    if report is not None:
        query = query.where(report_runs.c.report == report)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
