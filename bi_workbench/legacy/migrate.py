"""The legacy migration's Python API: run the phases, check the result.

``migrate(engine)`` runs phases 1-4 (users, assessments, intelligence,
compatibility views), each in one transaction, in order, recorded in
``migration_ledger``. Phase 5 (dropping the legacy tables) runs only with
``drop_legacy=True`` and only when ``check`` passes, inside the same transaction.

Guarantees:

- one transaction per phase: a failure anywhere in a phase rolls all of it back
  and raises MigrationError naming the phase and the step;
- idempotent: a phase skips every legacy row it already moved or quarantined, so
  running it again changes nothing (no new rows, no new ledger entry); legacy rows
  added since are picked up;
- ordered: a phase refuses to run before the earlier phases have completed and
  accounted for every row of their legacy tables (MigrationOrderError);
- ``dry_run`` runs the phases and rolls everything back, reporting what they would write;
- a lost connection (the server killed or restarted mid-phase) is one MigrationError
  saying so: the phase is one transaction, so it is wholly committed or not at all, and
  running ``migrate`` again goes on from where the run stopped.

See `bi_workbench.legacy.phases` for what each phase does and the rules it follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import DropTable

from ..database.snapshot import sharing_snapshot
from ..errors import MigrationError, MigrationOrderError, ReconciliationFailedError
from ..schema.apply import require_schema
from ..schema.locking import with_lock_timeout
from .phases import (
    DROP_PHASE,
    PHASES,
    SOURCES,
    Phase,
    clock,
    completed_phases,
    existing_tables,
    get_phase,
    lock,
    record,
    run_steps,
)
from .reconcile import Reconciliation, failing_as_migration_error, reconcile, unexplained_rows

#: Phases run by ``migrate(engine)`` without a phase number (5 only with drop_legacy).
DEFAULT_PHASES = tuple(p.number for p in PHASES if p.number != DROP_PHASE)


@dataclass(frozen=True)
class PhaseResult:
    """What one phase run did.

    ``status`` is 'completed' (ran and was recorded in the ledger), 'unchanged'
    (ran again and found nothing to do), 'dry run' (ran and was rolled back) or
    'skipped' (its legacy tables were dropped by phase 5). ``rows`` counts the rows
    written per table (or that would be written, in a dry run).
    """

    phase: int
    name: str
    status: str
    rows: dict[str, int] = field(default_factory=dict)
    detail: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def dry_run(self) -> bool:
        """Return True when the phase was rolled back after running."""
        return self.status == "dry run"

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {"phase": self.phase, "name": self.name, "status": self.status, "rows": dict(self.rows),
                "detail": self.detail}

    def __str__(self) -> str:
        written = ", ".join(f"{table} {n}" for table, n in sorted(self.rows.items()) if n) or "no rows"
        verb = "would write" if self.dry_run else "wrote"
        text = f"phase {self.phase} ({self.name}): {self.status}; {verb} {written}"
        return text + (f"; {self.detail}" if self.detail else "")


def migrate(engine: Engine, phase: int | None = None, dry_run: bool = False,
            drop_legacy: bool = False) -> list[PhaseResult]:
    """Run one phase, or phases 1-4 (and 5 with ``drop_legacy``); return one PhaseResult per phase.

    Each phase commits on its own; with ``dry_run`` all of them run in one
    transaction that is rolled back at the end. A phase's lock waits time out
    and the phase is retried (`bi_workbench.schema.locking`): LockBusyError
    names the session that kept the locks.
    """
    numbers = _selected(phase, drop_legacy)
    if dry_run:
        with _connection_lost(get_phase(numbers[0]), "dry run"), engine.connect() as conn:
            transaction = conn.begin()
            try:
                return [_dry(_run_phase(conn, get_phase(n))) for n in numbers]
            finally:
                transaction.rollback()
    results = []
    for number in numbers:
        step = get_phase(number)
        with _connection_lost(step):
            results.append(with_lock_timeout(engine, lambda conn, step=step: _run_phase(conn, step),
                                             what=f"migration phase {number} ({step.name})"))
    return results


def check(engine: Engine) -> Reconciliation:
    """Run the migration checks on a consistent snapshot; return the Reconciliation (see ``.ok``).

    The checks share the snapshot between two connections and run half each at the same time
    (`reconcile.reconcile`); on one connection when the server takes no second one. Raises
    MigrationError when the database fails them.
    """
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            require_schema(conn)
            with failing_as_migration_error(), sharing_snapshot(engine, conn, or_none=True) as beside:
                return reconcile(conn, beside=beside)


@contextmanager
def _connection_lost(phase: Phase, what: str = "phase") -> Iterator[None]:
    """Turn a lost or refused database connection, wherever in the phase it shows, into one MigrationError."""
    try:
        yield
    except (MigrationError, DBAPIError, psycopg.Error) as exc:
        lost = _lost_connection(exc)
        if lost is None:
            raise
        detail = (str(lost).strip().splitlines() or [type(lost).__name__])[0]
        raise MigrationError(
            f"migration phase {phase.number} ({phase.name}) did not finish: the connection to the database was lost "
            f"({detail}). A {what} is one transaction, committed whole or not at all; run `bi-workbench migrate` "
            "again once the database is back: it goes on from where this run stopped."
        ) from exc


def _lost_connection(exc: BaseException) -> BaseException | None:
    """Return the driver error in ``exc``'s chain that says the connection broke or failed, else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return exc.orig or exc
        if isinstance(exc, psycopg.OperationalError) and _is_disconnect(exc.sqlstate):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _is_disconnect(sqlstate: str | None) -> bool:
    """Return True for a driver error of a broken connection: none from the server (it is gone),
    class 08 (connection exception), or the server shutting down (57P01-57P03)."""
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")


def _selected(phase: int | None, drop_legacy: bool) -> list[int]:
    """Return the phase numbers to run, refusing phase 5 unless asked for explicitly."""
    if phase is None:
        return list(DEFAULT_PHASES) + ([DROP_PHASE] if drop_legacy else [])
    number = get_phase(phase).number
    if number == DROP_PHASE and not drop_legacy:
        raise MigrationOrderError(
            f"phase {DROP_PHASE} drops the legacy tables; it runs only when asked for explicitly "
            "(drop_legacy=True, or --drop-legacy on the command line)."
        )
    return [number]


def _dry(result: PhaseResult) -> PhaseResult:
    """Return ``result`` marked as a dry run."""
    return PhaseResult(result.phase, result.name, "dry run", result.rows, result.detail, result.details)


def _run_phase(conn: Connection, phase: Phase) -> PhaseResult:
    """Run ``phase`` in the connection's transaction; return what it did (the caller commits or rolls back)."""
    require_schema(conn)
    lock(conn)
    started = clock(conn)
    done = completed_phases(conn)
    try:
        if phase.number == DROP_PHASE:
            return _drop_legacy(conn, phase, started, done)
        if phase.sources and not existing_tables(conn, phase.sources) and DROP_PHASE in done:
            return PhaseResult(phase.number, phase.name, "skipped",
                               detail=f"the legacy tables were dropped by phase {DROP_PHASE}")
        _require_order(conn, phase, done)
        rows = run_steps(conn, phase)
    except DBAPIError as exc:
        first_line = (str(exc.orig).strip().splitlines() or [type(exc).__name__])[0]
        raise MigrationError(
            f"migration phase {phase.number} ({phase.name}) failed: {first_line}; it was rolled back."
        ) from exc
    return _finish(conn, phase, started, done, rows)


def _finish(conn: Connection, phase: Phase, started, done: dict, rows: dict[str, int],
            details: dict | None = None, detail: str = "") -> PhaseResult:
    """Record the run in the ledger if it changed something or completes the phase; return its result."""
    if any(rows.values()) or phase.number not in done:
        record(conn, phase, started, clock(conn), rows, details)
        status = "completed"
    else:
        status = "unchanged"
    return PhaseResult(phase.number, phase.name, status, rows, detail, details or {})


def _require_order(conn: Connection, phase: Phase, done: dict) -> None:
    """Raise MigrationOrderError unless every earlier phase completed and left no legacy row behind."""
    for earlier in PHASES:
        if earlier.number < phase.number and earlier.number not in done:
            raise MigrationOrderError(
                f"migration phase {phase.number} ({phase.name}) needs phase {earlier.number} ({earlier.name}) "
                f"first; run phase {earlier.number}, or run all phases in order without naming one."
            )
    present_sources = {t.name for t in existing_tables(conn, phase.sources)}
    missing = [t.name for t in phase.sources if t.name not in present_sources]
    if missing:
        raise MigrationError(
            f"migration phase {phase.number} ({phase.name}) reads legacy table(s) {', '.join(missing)}, "
            "which the database does not have (they must be on the search_path beside the new schema)."
        )
    present = {t.name for t in existing_tables(conn, tuple(s.table for s in SOURCES))}
    for source in SOURCES:
        if source.phase < phase.number and source.name in present:
            pending = unexplained_rows(conn, source)
            if pending:
                raise MigrationOrderError(
                    f"migration phase {phase.number} ({phase.name}) needs every row of {source.name} migrated "
                    f"or quarantined first, but {pending} are neither (added since phase {source.phase} ran?); "
                    f"run phase {source.phase} again first."
                )


def _drop_legacy(conn: Connection, phase: Phase, started, done: dict) -> PhaseResult:
    """Check, then drop the legacy tables in this transaction; return the result (refuses if a check fails)."""
    tables = existing_tables(conn, tuple(s.table for s in SOURCES))
    if not tables:
        if DROP_PHASE in done:
            return PhaseResult(phase.number, phase.name, "unchanged", detail="the legacy tables are already dropped")
        raise MigrationError("there are no legacy tables to drop.")
    _require_order(conn, phase, done)
    reconciliation = reconcile(conn)
    if not reconciliation.ok:
        first = reconciliation.problems[0].summary
        raise ReconciliationFailedError(
            f"the legacy tables were not dropped: the migration check found {len(reconciliation.problems)} "
            f"problem(s), first: {first}. Run the check to see them all.",
            reconciliation,
        )
    dropped = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables}
    for table in tables:
        conn.execute(DropTable(table))
    details = {"dropped": dropped, "reconciliation": reconciliation.to_dict()}
    detail = f"dropped {len(dropped)} legacy tables ({sum(dropped.values())} rows) after the check passed"
    return _finish(conn, phase, started, {}, {}, details, detail)
