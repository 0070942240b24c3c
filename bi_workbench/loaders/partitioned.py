"""`load_partitioned`: a table as a dask DataFrame, one partition per table partition, read on the workers.

    from bi_workbench.loaders import load_partitioned

    events = load_partitioned("analytics_events", since="2025-01-01", columns=["event_type", "created_at"],
                              cluster="tcp://scheduler:8786")
    events.groupby("event_type").size().compute()

The table's partitions and their bounds come from the catalog (``pg_inherits``
and ``pg_get_expr(relpartbound)``). Each dask partition is one `load()` of one
table partition's time range, through the Arrow path, run on a worker: so the
dtypes are `load()`'s own, and PostgreSQL prunes every read to one partition.
Workers connect with the database URL (never a live connection shipped to
them) and act as whoever this process acts as: `worker_database` is the one
place that decides how.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.engine import Engine

from ..database.connection import create_engine, get_engine
from ..cluster import connect, scheduler_address
from ..database import tenancy
from ..errors import InvalidFilterError, InvalidParameterError
from ..timeparse import parse_instant
from .api import load
from .catalog import relation_names

#: Arguments of `load` that a partitioned load decides itself.
_OWN_ARGUMENTS = ("time_column", "order_by", "limit", "fast", "engine")

Bound = dt.datetime | None  # None: unbounded (MINVALUE / MAXVALUE, or no since / until)


# --- how a worker reaches the database -------------------------------------------------


@dataclass(frozen=True)
class WorkerDatabase:
    """What a worker needs to read as this process does: the database URL and the tenant, if any.

    ``url``: a libpq URL with its credentials (the graph carries it to the workers).
    ``tenant``: (organization_id, user_id) as text when the process reads as a tenant, else None.
    """

    url: str
    tenant: tuple[str, str] | None = None


def worker_database(engine: Engine) -> WorkerDatabase:
    """Return how workers reach ``engine``'s database as ``engine`` does (the tenant included).

    A tenant engine (`tenant_engine`, or any engine of a process run with
    ``BI_WORKBENCH_TENANT``) gives workers that read as the same tenant. Example::

        >>> worker_database(tenant_engine(engine, org, analyst)).tenant
        ('6f1c...', '0b7e...')
    """
    tenant = engine.get_execution_options().get(tenancy.TENANT_OPTION)
    return WorkerDatabase(engine.url.render_as_string(hide_password=False), tuple(tenant) if tenant else None)


@functools.lru_cache(maxsize=8)
def worker_engine(database: WorkerDatabase) -> Engine:
    """Return the Engine a worker reads with for ``database`` (one per worker process and database).

    Raises DatabaseUnavailableError if the worker cannot connect, TenantAccessError
    if the tenant's user is no longer a member of its organization.
    """
    engine = create_engine(database.url)
    return engine if database.tenant is None else tenancy.tenant_engine(engine, *database.tenant)


# --- the table's partitions, from the catalog -----------------------------------------


@dataclass(frozen=True)
class TablePartition:
    """One partition of a range-partitioned table: ``lower`` (included) to ``upper`` (excluded), UTC.

    ``default`` marks the default partition, which holds the rows outside every range.
    """

    name: str
    lower: Bound = None
    upper: Bound = None
    default: bool = False


_pg_class = sa.table("pg_class", sa.column("oid"), sa.column("relname"), sa.column("relpartbound"))
_pg_inherits = sa.table("pg_inherits", sa.column("inhrelid"), sa.column("inhparent"))
_KEY = re.compile(r"RANGE \((\w+)\)")


def _bound(expression: sa.ColumnElement, side: str) -> sa.ColumnElement:
    # pg_get_expr writes "FOR VALUES FROM ('...') TO ('...')"; MINVALUE / MAXVALUE are unquoted (-> NULL).
    literal = sa.func.regexp_match(expression, rf"{side} \('([^']*)'\)", type_=ARRAY(sa.Text))[1]
    return sa.cast(literal, TIMESTAMP(timezone=True))


def partition_key(table: str, engine: Engine) -> str | None:
    """Return the column ``table`` is range-partitioned on, or None when it is not partitioned.

    Example::

        >>> partition_key("analytics_events", engine), partition_key("users", engine)
        ('created_at', None)
    """
    with engine.connect() as conn:
        definition = conn.execute(sa.select(sa.func.pg_get_partkeydef(sa.func.to_regclass(table)))).scalar()
    if definition is None:
        return None
    match = _KEY.fullmatch(definition)
    if match is None:
        raise InvalidParameterError(f"{table} is partitioned by {definition}; load_partitioned reads RANGE on one column")
    return match.group(1)


def table_partitions(table: str, engine: Engine) -> list[TablePartition]:
    """Return the partitions of ``table`` with their bounds, ordered by lower bound (the default last).

    Read from the catalog (``pg_inherits``, ``pg_get_expr(relpartbound)``); empty for a
    table that is not partitioned. Example::

        >>> table_partitions("analytics_events", engine)[0]
        TablePartition(name='analytics_events_2024_12', lower=datetime(2024, 12, 1, tzinfo=UTC), ...)
    """
    expression = sa.func.pg_get_expr(_pg_class.c.relpartbound, _pg_class.c.oid)
    statement = (
        sa.select(_pg_class.c.relname, _bound(expression, "FROM"), _bound(expression, "TO"), expression == "DEFAULT")
        .select_from(_pg_inherits.join(_pg_class, _pg_class.c.oid == _pg_inherits.c.inhrelid))
        .where(_pg_inherits.c.inhparent == sa.func.to_regclass(table))
    )
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    found = [TablePartition(str(name), _utc(lower), _utc(upper), bool(default)) for name, lower, upper, default in rows]
    return sorted(found, key=lambda p: (p.default, p.lower is not None, p.lower or dt.datetime.min, p.name))


def _utc(value) -> Bound:
    return None if value is None else value.astimezone(dt.timezone.utc)


# --- which time ranges each dask partition reads ---------------------------------------


def _intersect(lower: Bound, upper: Bound, since: Bound, until: Bound) -> tuple[Bound, Bound] | None:
    low = since if lower is None else lower if since is None else max(lower, since)
    high = until if upper is None else upper if until is None else min(upper, until)
    return None if low is not None and high is not None and low >= high else (low, high)


def _outside(ranges: list[TablePartition]) -> list[tuple[Bound, Bound]]:
    """The time ranges no range partition covers (what the default partition may hold)."""
    gaps, cursor, open_below = [], None, True  # cursor None with open_below: minus infinity
    for part in sorted(ranges, key=lambda p: (p.lower is not None, p.lower or dt.datetime.min)):
        if part.lower is not None and (open_below or cursor < part.lower):
            gaps.append((None if open_below else cursor, part.lower))
        if part.upper is None:
            return gaps
        cursor = part.upper if open_below else max(cursor, part.upper)
        open_below = False
    gaps.append((None if open_below else cursor, None))
    return gaps


def read_plan(partitions: list[TablePartition], since: Bound, until: Bound) -> list[tuple[str, list[tuple[Bound, Bound]]]]:
    """Return, per table partition that ``[since, until)`` touches, its name and the time ranges to read.

    A range partition reads its bounds cut to the window; the default partition reads the
    gaps between the ranges (rows before the first and after the last, usually). A table
    without partitions reads the window as one piece, named ``None``. Example::

        >>> read_plan([TablePartition("e_2025_01", jan, feb), TablePartition("e_default", default=True)], None, None)
        [('e_2025_01', [(jan, feb)]), ('e_default', [(None, jan), (feb, None)])]
    """
    if not partitions:
        return [(None, [(since, until)])]
    ranges = [p for p in partitions if not p.default]
    plan = []
    for part in partitions:
        wanted = _outside(ranges) if part.default else [(part.lower, part.upper)]
        pieces = [piece for lower, upper in wanted if (piece := _intersect(lower, upper, since, until)) is not None]
        if pieces:
            plan.append((part.name, pieces))
    return plan


# --- the task a worker runs ---------------------------------------------------------------


@dataclass(frozen=True)
class PartitionRead:
    """One dask partition: which table partition, its time ranges, and the `load()` arguments."""

    table: str
    partition: str | None
    pieces: tuple[tuple[Bound, Bound], ...]
    time_column: str | None
    database: WorkerDatabase
    load_arguments: dict = field(hash=False)


def read_partition(read: PartitionRead) -> pd.DataFrame:
    """Return the rows of one table partition (run on a worker): `load()` through Arrow, per time range."""
    engine = worker_engine(read.database)
    frames = [
        load(read.table, since=lower, until=upper, time_column=read.time_column, fast=True, engine=engine,
             **read.load_arguments)
        for lower, upper in read.pieces
    ]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


# --- the public function ---------------------------------------------------------------------


def load_partitioned(table: str, *, since=None, until=None, columns: Sequence[str] | None = None,
                     cluster=None, engine: Engine | None = None, json_fields: Mapping[str, Sequence] | None = None,
                     decimals: bool = False, uuid_as: str | None = None, json_as: str | None = None,
                     dtype_backend: str = "numpy", where: Mapping[str, object] | None = None, **filters):
    """Return ``table`` as a dask DataFrame with one partition per table partition in ``[since, until)``.

    Each partition is read on a dask worker by `load()` through the Arrow path, with the
    same arguments (``columns``, filters, ``where``, ``json_fields``, ``decimals``,
    ``uuid_as``, ``json_as``, ``dtype_backend``) and so the same dtypes; ``since``
    (included) and ``until`` (excluded) filter the partition key (``created_at``), and
    partitions outside them are not read. The default partition is one more dask
    partition (the rows outside every monthly range). A table that is not partitioned
    is one dask partition. Row order is not defined; the index restarts in each partition.

    ``cluster``: None returns a lazy frame, computed wherever dask computes (the default
    distributed Client when there is one, else local threads). A scheduler address
    (``"tcp://host:8786"``) or a ``distributed.Client``: the partitions are read on that
    cluster's workers now and kept in their memory (``Client.persist``).

    ``engine``: where to read (default `get_engine()`). Workers connect with its URL and,
    for a tenant engine (``BI_WORKBENCH_TENANT``), read as the same tenant
    (`worker_database`). Raises what `load()` raises for a bad table, column, filter or
    time, up front; InvalidParameterError for an argument `load_partitioned` sets itself.

    Example::

        >>> events = load_partitioned("analytics_events", since="2025-01-01", columns=["event_type"])
        >>> events.npartitions, events.dtypes["event_type"]
        (19, string[python])
    """
    taken = sorted(set(filters) & set(_OWN_ARGUMENTS))
    if taken:
        raise InvalidParameterError(f"load_partitioned sets {taken[0]} itself; filter a column named so with where=")
    client = None if cluster is None else _client(cluster)
    engine = engine if engine is not None else get_engine()
    arguments = dict(columns=columns, json_fields=json_fields, decimals=decimals, uuid_as=uuid_as, json_as=json_as,
                     dtype_backend=dtype_backend, where=where, **filters)
    key = partition_key(table, engine) if table in relation_names() else None  # else load() names the error
    # load() checks every name and value against the schema; its empty frame is the meta.
    meta = load(table, since=since, until=until, time_column=key, limit=0, fast=False, engine=engine, **arguments)
    database = worker_database(engine)
    reads = [
        PartitionRead(table, name, tuple(pieces), key, database, arguments)
        for name, pieces in read_plan(table_partitions(table, engine) if key else [], _instant(since, "since"),
                                      _instant(until, "until"))
    ]
    frame = _dask_frame(reads, meta, table)
    return frame if client is None else client.persist(frame)


def _instant(value, name: str) -> Bound:
    if value is None:
        return None
    parsed = parse_instant(value)
    if parsed is None:
        raise InvalidFilterError(f"{name}={value!r} is not a date or time; write it as '2025-01-01'")
    return parsed


def _dask_frame(reads: list[PartitionRead], meta: pd.DataFrame, table: str):
    import dask
    import dask.dataframe as dd

    # dask would turn object columns (UUIDs, JSON) into Arrow strings; load()'s dtypes are the contract.
    with dask.config.set({"dataframe.convert-string": False}):
        if not reads:
            return dd.from_pandas(meta, npartitions=1)
        return dd.from_map(read_partition, reads, meta=meta, label=f"load-partitioned-{table}", enforce_metadata=True)


#: Clients connected by address, kept for the frames persisted on them (reconnected if closed).
_CLIENTS: dict = {}


def _client(cluster):
    from distributed import Client

    if isinstance(cluster, Client):
        return cluster
    address = scheduler_address(cluster)
    client = _CLIENTS.get(address)
    if client is None or client.status != "running":
        _CLIENTS[address] = client = connect(address, as_default=True)
    return client
