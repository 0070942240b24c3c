"""Migration benchmark: phases 1-4 and the checks on fresh synthetic data, beside a plain-copy floor."""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine

from ..database.scratch import scratch_database
from ..schema import init_schema
from ..schema.sqlfiles import read_sql
from ..synthetic import seed_legacy
from .migrate import check, migrate


def bench_migration(engine: Engine, scale: str = "medium", seed: int = 42) -> dict:
    """Return seconds and legacy rows/s of migrating one scale, of checking it, and of a plain copy of the rows.

    Runs in a scratch database beside ``engine``'s, dropped afterwards.
    """
    with scratch_database(engine, "bench_migration") as db:
        init_schema(db)
        with db.begin() as conn:
            legacy_rows = sum(seed_legacy(conn, scale=scale, seed=seed, progress=False).values())
        with db.connect() as conn:
            start = time.perf_counter()
            conn.connection.driver_connection.execute(read_sql("bi_workbench.legacy", "bench/copy_floor.sql"))
            floor = time.perf_counter() - start
            conn.rollback()
        start = time.perf_counter()
        migrate(db)
        migration = time.perf_counter() - start
        start = time.perf_counter()
        reconciliation = check(db)
        checking = time.perf_counter() - start
    return {
        "scale": scale, "legacy_rows": legacy_rows,
        "migrate_s": migration, "migrate_rows_per_s": legacy_rows / migration,
        "check_s": checking, "check_ok": reconciliation.ok,
        "plain_copy_s": floor, "plain_copy_rows_per_s": legacy_rows / floor,
    }
