"""The demo database in one call: schema, synthetic legacy data, migration, platform activity.

Used by `bi-workbench seed` and `bi-workbench demo`. Bulk writes run with the
audit trail switched off for their sessions (the audit trigger stamps now(),
which would make the demo database differ from run to run); the migration
ledger and the event streams record what happened instead.

A build is resumable: the legacy seed commits together with a mark on the
schema (its comment) saying a build is in progress, and the platform seed
commits together with its removal. A build cut short in between (a full disk,
a killed server) leaves the mark, and the next build first empties what the
interrupted one wrote, in the same transaction as its own legacy seed, so a
plain rerun works without `db reset`, and data the build did not write is
never touched (without the mark, a database holding data is refused).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .database import create_engine
from .domain import rubric_scores
from .errors import WorkbenchError
from .legacy.migrate import PhaseResult, check, migrate
from .legacy.reconcile import Reconciliation
from .schema import init_schema, metadata
from .schema.apply import refresh_read_models
from .schema.locking import with_lock_timeout
from .synthetic import seed_legacy, seed_platform


@dataclass
class DemoBuild:
    """What building the demo database did: rows seeded, phases run, the migration check."""

    legacy_rows: dict[str, int] = field(default_factory=dict)
    phases: list[PhaseResult] = field(default_factory=list)
    platform_rows: dict[str, int] = field(default_factory=dict)
    reconciliation: Reconciliation | None = None


def bulk_engine(engine: Engine) -> Engine:
    """Return an Engine on the same database whose sessions write no audit rows."""
    return create_engine(engine.url, connect_args={"options": "-c bi_workbench.audit=off"})


def build_demo_database(engine: Engine, scale: str = "small", seed: int = 42, *, legacy_only: bool = False,
                        progress: bool = True) -> DemoBuild:
    """Seed the legacy tables, migrate them, add the platform's activity; return what was done.

    The database must hold no legacy or platform data yet (`bi-workbench db reset`
    empties it), unless an earlier build was cut short: its rows are removed
    first (see the module's docstring). With ``legacy_only`` only the legacy
    tables are filled.
    """
    init_schema(engine)
    bulk = bulk_engine(engine)
    build = DemoBuild()
    try:
        with bulk.begin() as conn:
            if interrupted_build(conn):
                _empty_interrupted_build(conn)
            _require_empty(conn)
            build.legacy_rows = seed_legacy(conn, scale=scale, seed=seed, progress=progress)
            if not legacy_only:
                _set_mark(conn, f"{_IN_PROGRESS} (scale {scale}, seed {seed})")
        if legacy_only:
            return build
        build.phases = migrate(bulk)
        with bulk.begin() as conn:
            build.platform_rows = seed_platform(conn, scale=scale, seed=seed, progress=progress)
        refresh(bulk)
        with bulk.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # As after any bulk load: statistics for the planner, and the visibility map set (index-only
            # scans) now, rather than by autovacuum later, in the middle of the first reports.
            conn.execute(sa.text("VACUUM (ANALYZE)"))
        with bulk.begin() as conn:  # only now is the build whole: cut short before, a plain rerun redoes it
            _set_mark(conn, None)
        build.reconciliation = check(bulk)
        return build
    finally:
        bulk.dispose()


def refresh(engine: Engine) -> None:
    """Refresh what is kept derived from the data: the materialized read models
    (`schema.apply.refresh_read_models`, readers not blocked), then, in a transaction of
    their own whose lock waits time out as the first's do, the kept rubric scores of the assessments whose responses or rubric
    changed (`domain.rubric_scores.refresh`). What `bi-workbench db refresh` runs.

    Raises LockBusyError when another session kept a read model or the kept scores locked
    through every retry.
    """
    refresh_read_models(engine)
    with_lock_timeout(engine, rubric_scores.refresh, what="db refresh")


_IN_PROGRESS = "bi-workbench: demo build in progress"


def interrupted_build(conn) -> str | None:
    """Return the mark of a demo build that was cut short in this database (scale and seed), or None."""
    note = conn.execute(sa.text("SELECT obj_description(current_schema()::regnamespace, 'pg_namespace')")).scalar()
    return note if note and note.startswith(_IN_PROGRESS) else None


def _set_mark(conn, note: str | None) -> None:
    # COMMENT takes no bound parameter; format() quotes the schema name and the text server-side.
    statement = conn.execute(sa.text("SELECT format('COMMENT ON SCHEMA %I IS %L', current_schema(), CAST(:note AS text))"),
                             {"note": note}).scalar()
    conn.exec_driver_sql(statement)


def _empty_interrupted_build(conn) -> None:
    """Empty every table an interrupted build may have written (it required them empty); the run history stays."""
    from .legacy.contract import LEGACY_TABLES
    from .schema.report_runs import REPORT_TABLES

    present = set(sa.inspect(conn).get_table_names())
    kept = {t.name for t in REPORT_TABLES}
    names = [t.name for t in (*metadata.sorted_tables, *LEGACY_TABLES) if t.name in present and t.name not in kept]
    preparer = conn.dialect.identifier_preparer
    conn.exec_driver_sql(f"TRUNCATE {', '.join(map(preparer.quote, names))} RESTART IDENTITY CASCADE")


def _require_empty(conn) -> None:
    present = sa.inspect(conn).get_table_names()
    if "tier2_users" in present and conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM tier2_users)")).scalar():
        raise WorkbenchError("the database already holds legacy data; run `bi-workbench db reset` first "
                             "(or give another database with --database-url).")
    if conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM users)")).scalar():
        raise WorkbenchError("the database already holds users; run `bi-workbench db reset` first "
                             "(or give another database with --database-url).")


@contextmanager
def kept_report_history(engine: Engine, *, rebuild: bool = True):
    """Keep the report run history (``report_runs``) across a rebuild of the database inside the block.

    The rows are read before the block (none when there is no schema yet) and written back after
    it, ids included, so `bi-workbench demo` rebuilds the data without losing the history of runs.
    """
    from .schema.report_runs import report_runs

    rows = []
    if rebuild and sa.inspect(engine).has_table(report_runs.name):
        with engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(sa.select(report_runs))]
    yield
    if rows:
        with engine.begin() as conn:
            conn.execute(report_runs.insert(), rows)
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('report_runs', 'id'), "
                                 "(SELECT max(id) FROM report_runs))"))
