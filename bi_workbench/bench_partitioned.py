"""Benchmark of the partitioned load: analytics_events aggregated on a local Dask cluster of two worker
processes, against one `load()` into pandas and a pandas groupby, in the same run.

    figures = bench_partitioned(scratch_engine, rows=10_000_000)   # `bi-workbench bench` runs it

Both sides compute the same aggregation (events and the sum of ``event_data.ms`` by
event type and month) over the whole table and must agree; the table is filled with
the loader benchmark's deterministic rows (`bench_loaders.fill_analytics_events`) up to
``rows`` if it has fewer. Run it on a scratch database.
"""

from __future__ import annotations

import time

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .bench_loaders import fill_analytics_events
from .loaders import load
from .loaders.partitioned import load_partitioned, worker_database, worker_engine
from .schema.tables import analytics_events

WORKERS = 2
KEYS = ["event_type", "month"]
#: The columns both sides read, and the JSON key summed.
COLUMNS = ["event_type", "created_at"]
JSON_FIELDS = {"event_data": ["ms"]}


def with_month(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with ``month`` (YYYYMM of created_at in UTC) and ``ms`` as a number, for grouping."""
    stamps = frame["created_at"].dt
    return pd.DataFrame({"event_type": frame["event_type"], "month": stamps.year * 100 + stamps.month,
                         "ms": pd.to_numeric(frame["event_data.ms"])})


def partial_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Return events and the sum of ms by event type and month of ``frame`` (one row per group)."""
    grouped = with_month(frame).groupby(KEYS)
    result = pd.DataFrame({"events": grouped.size(), "ms": grouped["ms"].sum()}).reset_index()
    result["event_type"] = result["event_type"].astype(str)
    return result.astype({"month": "int64", "events": "int64", "ms": "int64"})


def _combined(partials: pd.DataFrame) -> pd.DataFrame:
    return partials.groupby(KEYS, as_index=False)[["events", "ms"]].sum().sort_values(KEYS, ignore_index=True)


def aggregate_in_pandas(engine: Engine) -> pd.DataFrame:
    """One `load()` of the columns into pandas, then a pandas groupby; returns events and ms by type and month."""
    return _combined(partial_counts(load("analytics_events", columns=COLUMNS, json_fields=JSON_FIELDS, engine=engine)))


def aggregate_on_cluster(engine: Engine, client) -> tuple[pd.DataFrame, int]:
    """`load_partitioned` read and aggregated per partition on ``client``'s workers, the partial counts
    (a few rows each) summed here; returns (the same frame as `aggregate_in_pandas`, dask partitions).

    One task per partition: dask's own groupby tree adds about four tasks per partition,
    which cost more than the grouping itself on a small machine.
    """
    events = load_partitioned("analytics_events", columns=COLUMNS, json_fields=JSON_FIELDS, engine=engine)
    meta = pd.DataFrame({"event_type": pd.Series([], dtype=object), **{c: pd.Series([], dtype="int64") for c in
                                                                       ("month", "events", "ms")}})
    partials = client.compute(events.map_partitions(partial_counts, meta=meta)).result()
    return _combined(partials), events.npartitions


def warm_up(database) -> None:
    """Import the workbench and open the database on a worker (run before the clock: pandas has both done)."""
    load("analytics_events", columns=COLUMNS, limit=1, fast=True, engine=worker_engine(database))


def bench_partitioned(engine: Engine, rows: int = 10_000_000) -> dict:
    """Fill analytics_events to ``rows`` rows, then time the aggregation both ways; return the figures.

    Returns ``{"rows", "rows_added", "workers", "partitions", "cluster_start_seconds",
    "seconds": {"dask_partitioned", "pandas_load"}, "ratio_pandas_vs_dask", "equal"}``:
    seconds include reading the rows (the cluster is started, and its workers have imported
    the workbench and connected, before the clock runs);
    the ratio above 1 means the cluster was faster; ``equal`` says both sides computed the
    same numbers. Example::

        >>> bench_partitioned(engine, rows=1_000_000)["equal"]
        True
    """
    from distributed import Client, LocalCluster

    added = fill_analytics_events(engine, rows)
    with engine.connect() as conn:
        present = conn.execute(sa.select(sa.func.count()).select_from(analytics_events)).scalar_one()
    began = time.perf_counter()
    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster, set_as_default=False) as client:
        client.run(warm_up, worker_database(engine))
        started = time.perf_counter() - began
        began = time.perf_counter()
        on_cluster, partitions = aggregate_on_cluster(engine, client)
        dask_seconds = time.perf_counter() - began
    began = time.perf_counter()
    in_pandas = aggregate_in_pandas(engine)
    pandas_seconds = time.perf_counter() - began
    return {
        "rows": int(present), "rows_added": added, "workers": WORKERS, "partitions": partitions,
        "cluster_start_seconds": round(started, 3),
        "seconds": {"dask_partitioned": round(dask_seconds, 3), "pandas_load": round(pandas_seconds, 3)},
        "ratio_pandas_vs_dask": round(pandas_seconds / dask_seconds, 2),
        "equal": on_cluster.equals(in_pandas),
    }
