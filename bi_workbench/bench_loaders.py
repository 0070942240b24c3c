"""Benchmark of the loaders on analytics_events: the default `load()` and its pyarrow backend against a
bare binary COPY, pandas.read_sql and ConnectorX, side by side in one process.

    python -m bi_workbench.bench_loaders [DATABASE_URL] [--rows 1000000] [--repeat 3]

The table is filled with deterministic synthetic rows (by COPY) up to ``rows``
if it has fewer; nothing is deleted. Run it on a scratch database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import time
import uuid
import warnings

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .loaders import load
from .loaders.fast import adbc_uri
from .schema.tables import analytics_events, organizations, users

COLUMNS = ("id", "user_id", "organization_id", "event_type", "event_data", "session_id", "source", "created_at")
EVENT_TYPES = ("page_view", "click", "assessment_started", "assessment_completed", "report_viewed",
               "search", "login", "export")
SOURCES = ("web", "mobile", "api")
INDUSTRIES = ("technology", "retail", "healthcare", "finance", "manufacturing")
BENCH_USERS = 1000
BENCH_ORGS = 50
FIRST_DAY = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
LAST_DAY = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
FILL_BLOCK = 200_000
# Namespaces of the deterministic UUIDs: a fixed prefix, then the row's number.
_USER_NS, _ORG_NS, _EVENT_NS, _SESSION_NS = (0xBE7C_0001 << 96, 0xBE7C_0002 << 96, 0xBE7C_0003 << 96, 0xBE7C_0004 << 96)


def bench_query(rows: int) -> str:
    """Return the SELECT every method reads: the columns of analytics_events, at most ``rows`` rows.

    Example::

        >>> bench_query(10)
        'SELECT id, user_id, organization_id, event_type, event_data, session_id, source, created_at FROM analytics_events LIMIT 10'
    """
    return f"SELECT {', '.join(COLUMNS)} FROM analytics_events LIMIT {int(rows)}"


def fill_analytics_events(engine: Engine, rows: int) -> int:
    """Fill analytics_events with deterministic rows until it holds at least ``rows``; return how many were added.

    Creates the monthly partitions 2024-01 .. 2026-06 first, and 1,000 bench users in
    50 organizations that the events belong to. Example::

        >>> fill_analytics_events(engine, 10_000)
        10000
    """
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT ensure_monthly_partitions('analytics_events'::regclass, DATE '2024-01-01', DATE '2026-06-01')"))
        have = conn.execute(sa.select(sa.func.count()).select_from(analytics_events)).scalar_one()
        if have >= rows:
            return 0
        user_ids, org_ids = _ensure_bench_accounts(conn)
        raw = conn.connection.driver_connection
        # One COPY statement, written block by block: the read models' statement triggers then count the
        # rows once (a COPY per block updated the same day rollup rows once per block, in one transaction).
        with raw.cursor() as cursor, \
                cursor.copy(f"COPY analytics_events ({', '.join(COLUMNS)}) FROM STDIN (FORMAT CSV)") as copy:
            for start in range(have, rows, FILL_BLOCK):
                copy.write(_event_block(start, min(rows, start + FILL_BLOCK), user_ids, org_ids))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE analytics_events"))
    return rows - have


def _ensure_bench_accounts(conn) -> tuple[np.ndarray, np.ndarray]:
    user_ids = [uuid.UUID(int=_USER_NS | i) for i in range(BENCH_USERS)]
    org_ids = [uuid.UUID(int=_ORG_NS | i) for i in range(BENCH_ORGS)]
    conn.execute(
        sa.dialects.postgresql.insert(users).on_conflict_do_nothing(),
        [
            {"id": user_ids[i], "email": f"bench-user-{i:04d}@bench.invalid", "first_name": "Bench",
             "last_name": f"User {i:04d}", "industry": INDUSTRIES[i % len(INDUSTRIES)]}
            for i in range(BENCH_USERS)
        ],
    )
    conn.execute(
        sa.dialects.postgresql.insert(organizations).on_conflict_do_nothing(),
        [{"id": org_ids[i], "name": f"Bench Org {i:02d}", "slug": f"bench-org-{i:02d}", "owner_id": user_ids[i]}
         for i in range(BENCH_ORGS)],
    )
    return np.array([str(u) for u in user_ids]), np.array([str(o) for o in org_ids])


def _uuid_texts(namespace: int, numbers: np.ndarray) -> np.ndarray:
    prefix = str(uuid.UUID(int=namespace))[:24]  # the 96-bit prefix; the last 12 hex digits are the number
    return np.char.add(prefix, np.char.zfill(np.char.mod("%x", numbers), 12))


def _event_block(start: int, stop: int, user_ids: np.ndarray, org_ids: np.ndarray) -> bytes:
    """CSV rows start..stop-1 of the deterministic event stream."""
    i = np.arange(start, stop, dtype=np.int64)
    user = (i * 7) % BENCH_USERS
    span = int((LAST_DAY - FIRST_DAY).total_seconds())
    seconds = (i * 104_729) % span
    created = pd.to_datetime(FIRST_DAY) + pd.to_timedelta(seconds, unit="s")
    frame = pd.DataFrame({
        "id": _uuid_texts(_EVENT_NS, i),
        "user_id": user_ids[user],
        "organization_id": org_ids[user % BENCH_ORGS],
        "event_type": np.array(EVENT_TYPES)[(i * 31) % len(EVENT_TYPES)],
        "event_data": np.char.add(
            np.char.add('{"page": "/p/', (i % 50).astype(str)),
            np.char.add('", "ms": ', np.char.add(((i * 37) % 2000).astype(str), "}")),
        ),
        "session_id": _uuid_texts(_SESSION_NS, i // 12),
        "source": np.array(SOURCES)[i % len(SOURCES)],
        "created_at": created.strftime("%Y-%m-%d %H:%M:%S+00"),
    })
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False)
    return buffer.getvalue().encode()


# --- the methods timed ------------------------------------------------------------


def _copy_binary(engine: Engine, rows: int) -> int:
    """Bare ``COPY (SELECT ...) TO STDOUT (FORMAT BINARY)`` read through psycopg; returns bytes read."""
    size = 0
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY ({bench_query(rows)}) TO STDOUT (FORMAT BINARY)") as copy:
                for block in copy:
                    size += len(block)
        conn.rollback()
    return size


def _read_sql(engine: Engine, rows: int) -> int:
    with engine.connect() as conn:
        return len(pd.read_sql(sa.text(bench_query(rows)), conn))


def _connectorx(engine: Engine, rows: int, return_type: str) -> int:
    import connectorx

    with warnings.catch_warnings():  # ConnectorX calls a pandas internal that pandas 3 deprecates
        warnings.simplefilter("ignore")
        return len(connectorx.read_sql(adbc_uri(engine), bench_query(rows), return_type=return_type))


def _ours(engine: Engine, rows: int, **options) -> int:
    return len(load("analytics_events", columns=list(COLUMNS), limit=rows, engine=engine, **options))


def bench_loaders(engine: Engine, rows: int = 1_000_000, *, repeat: int = 3, read_sql: bool = True) -> dict:
    """Fill analytics_events up to ``rows`` rows, then time the read paths side by side; return the figures.

    Timed (in rounds, interleaved, ``repeat`` rounds; medians reported):

    * ``copy_binary`` -- the baseline: bare binary COPY of the rows read through psycopg;
    * ``default`` -- ``load(...)`` as an analyst types it (the path is chosen by the planner's
      estimate: Arrow for 1M rows; Arrow-backed strings, datetime64[ns, UTC]);
    * ``pyarrow`` -- ``load(..., dtype_backend="pyarrow")``;
    * ``objects`` -- ``load(..., uuid_as="uuid", json_as="object")``: Python objects (for information);
    * ``read_sql`` -- ``pandas.read_sql`` through SQLAlchemy (once per round; skip with read_sql=False);
    * ``connectorx_arrow`` / ``connectorx_pandas`` -- ConnectorX, if installed.

    Returns ``{"rows", "seconds": {method: median}, "best": {method: min}, "ratios": {...},
    "targets": {...}}``; ratios are ``default_vs_copy`` and ``pyarrow_vs_copy`` (target <= 1.5),
    ``read_sql_vs_default``, ``connectorx_pandas_vs_default`` and ``connectorx_arrow_vs_pyarrow``
    (> 1 means ours is faster).

    Example::

        >>> figures = bench_loaders(engine, rows=1_000_000)
        >>> figures["ratios"]["default_vs_copy"]
        1.21
    """
    added = fill_analytics_events(engine, rows)
    with engine.connect() as conn:
        present = conn.execute(sa.select(sa.func.count()).select_from(analytics_events)).scalar_one()
    n = min(rows, present)
    methods = {
        "copy_binary": lambda: _copy_binary(engine, n),
        "default": lambda: _ours(engine, n),
        "pyarrow": lambda: _ours(engine, n, dtype_backend="pyarrow"),
        "objects": lambda: _ours(engine, n, uuid_as="uuid", json_as="object"),
    }
    if read_sql:
        methods["read_sql"] = lambda: _read_sql(engine, n)
    try:
        import connectorx  # noqa: F401

        methods["connectorx_arrow"] = lambda: _connectorx(engine, n, "arrow")
        methods["connectorx_pandas"] = lambda: _connectorx(engine, n, "pandas")
    except ImportError:
        pass
    for name, method in methods.items():  # warm-up: connections, caches, the table in shared buffers
        if name != "read_sql":
            method()
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeat):
        for name, method in methods.items():
            began = time.perf_counter()
            method()
            times[name].append(time.perf_counter() - began)
    seconds = {name: round(statistics.median(values), 3) for name, values in times.items()}
    best = {name: round(min(values), 3) for name, values in times.items()}
    ratios = {"default_vs_copy": round(seconds["default"] / seconds["copy_binary"], 2),
              "pyarrow_vs_copy": round(seconds["pyarrow"] / seconds["copy_binary"], 2),
              "objects_vs_copy": round(seconds["objects"] / seconds["copy_binary"], 2)}
    if "read_sql" in seconds:
        ratios["read_sql_vs_default"] = round(seconds["read_sql"] / seconds["default"], 1)
    if "connectorx_arrow" in seconds:
        ratios["connectorx_pandas_vs_default"] = round(seconds["connectorx_pandas"] / seconds["default"], 2)
        ratios["connectorx_arrow_vs_pyarrow"] = round(seconds["connectorx_arrow"] / seconds["pyarrow"], 2)
    targets = {
        "default_within_1_5x_of_copy": ratios["default_vs_copy"] <= 1.5,
        "pyarrow_within_1_5x_of_copy": ratios["pyarrow_vs_copy"] <= 1.5,
    }
    return {"rows": n, "rows_added": added, "repeat": repeat, "seconds": seconds, "best": best,
            "ratios": ratios, "targets": targets}


def main(argv: list[str] | None = None) -> None:
    """Run `bench_loaders` on the database in force (or the URL given) and print the figures; returns None.

    Example::

        $ python -m bi_workbench.bench_loaders postgresql://postgres@127.0.0.1:5432/scratch --rows 1000000
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", nargs="?", default=None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from .database.connection import create_engine, get_engine

    engine = create_engine(args.database_url) if args.database_url else get_engine()
    figures = bench_loaders(engine, rows=args.rows, repeat=args.repeat)
    print(f"rows: {figures['rows']:,} (added {figures['rows_added']:,}); median of {figures['repeat']} rounds")
    for name, value in figures["seconds"].items():
        print(f"  {name:<20} {value:8.3f} s   (best {figures['best'][name]:.3f} s)")
    for name, value in figures["ratios"].items():
        print(f"  {name:<26} {value}")
    for name, value in figures["targets"].items():
        print(f"  {name:<26} {'met' if value else 'NOT met'}")


if __name__ == "__main__":
    main()
