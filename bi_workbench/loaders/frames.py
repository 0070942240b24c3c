"""Reading a built query into DataFrames: the normal path (psycopg rows) and the fast path (ADBC Arrow)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pandas as pd
import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from ..database.cursors import every_row
from ..errors import InvalidFilterError
from . import fast
from .dtypes import OUT_OF_RANGE, ColumnSpec, Options, empty_frame, from_arrow, from_python, paused_gc, uuid_text
from .query import LoadQuery

#: ``fast=None`` picks the Arrow path when the planner expects more rows than this.
FAST_PATH_MIN_ROWS = 50_000


def frame_from_rows(specs: list[ColumnSpec], rows: list, options: Options) -> pd.DataFrame:
    """Return the DataFrame of ``rows`` (tuples in ``specs`` order) with each column's dtype.

    Example::

        >>> frame_from_rows([spec_for(users.c.email, Options())], [("a@b.c",)], Options())
                     email
        0            a@b.c
    """
    if not rows:
        return empty_frame(specs, options)
    with paused_gc():
        columns = list(zip(*rows))
        return pd.DataFrame({spec.name: _column(from_python(spec, list(values), options))
                             for spec, values in zip(specs, columns)}, copy=False)


def frame_from_arrow(specs: list[ColumnSpec], table: pa.Table, options: Options) -> pd.DataFrame:
    """Return the DataFrame of an Arrow table (columns in ``specs`` order) with each column's dtype.

    Example::

        >>> frame_from_arrow([spec_for(users.c.email, Options())], pa.table({"email": ["a@b.c"]}), Options())
                     email
        0            a@b.c
    """
    if table.num_rows == 0:
        return empty_frame(specs, options)
    with paused_gc():
        return pd.DataFrame({spec.name: _column(from_arrow(spec, table.column(i), options)) for i, spec in enumerate(specs)},
                            copy=False)


def _column(values):
    """An object ndarray stays object (pandas 3 would infer its strings' dtype from the data, e.g. for JSON
    values that happen to be all strings); other arrays pass through."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pd.Series(values, dtype=object, copy=False)
    return values


def read(engine: Engine, built: LoadQuery, options: Options, *, use_fast: bool) -> pd.DataFrame:
    """Return every row of ``built`` as one DataFrame, through ADBC (``use_fast``) or psycopg.

    Example::

        >>> read(engine, query.build(users, Options()), Options(), use_fast=True).shape
        (4, 19)
    """
    if use_fast:
        return frame_from_arrow(built.specs, _arrow_table(engine, built, options), options)
    with engine.connect() as conn, tolerant_times(conn), paused_gc():
        rows = conn.execute(built.statement).all()
    return frame_from_rows(built.specs, rows, options)


def _arrow_table(engine: Engine, built: LoadQuery, options: Options) -> pa.Table:
    """Return ``built``'s rows as one Arrow table (ADBC), its UUID columns already text where they are to be.

    ADBC reads the next batch without the GIL, so a second thread writes each batch's UUIDs as text
    (`dtypes.uuid_text`, a third of a plain load's time) while the rows still arrive.
    """
    uuids = [i for i, spec in enumerate(built.specs) if spec.kind == "uuid"] if options.uuid_as == "str" else []
    with fast.record_batches(engine, built.statement) as reader:
        if not uuids:
            return reader.read_all()
        schema = reader.schema
        for i in uuids:
            schema = schema.set(i, pa.field(schema.field(i).name, pa.string()))
        with ThreadPoolExecutor(1, thread_name_prefix="uuid-text") as pool:
            converting = [pool.submit(_uuids_as_text, batch, uuids, schema) for batch in reader]
            return pa.Table.from_batches([batch.result() for batch in converting], schema=schema)


def _uuids_as_text(batch: pa.RecordBatch, uuids: list[int], schema: pa.Schema) -> pa.RecordBatch:
    arrays = list(batch.columns)
    for i in uuids:
        arrays[i] = uuid_text(arrays[i])
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def read_chunks(engine: Engine, built: LoadQuery, options: Options, *, chunksize: int,
                use_fast: bool) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of at most ``chunksize`` rows; one empty DataFrame if there are no rows.

    Example::

        >>> [len(f) for f in read_chunks(engine, built, Options(), chunksize=2, use_fast=False)]
        [2, 2, 1]
    """
    produced = False
    if use_fast:
        with fast.record_batches(engine, built.statement) as reader:
            pending: list[pa.RecordBatch] = []
            pending_rows = 0
            for batch in reader:
                if not batch.num_rows:
                    continue
                pending.append(batch)
                pending_rows += batch.num_rows
                while pending_rows >= chunksize:
                    table = pa.Table.from_batches(pending)
                    yield frame_from_arrow(built.specs, table.slice(0, chunksize), options)
                    produced = True
                    rest = table.slice(chunksize)
                    pending, pending_rows = rest.to_batches(), rest.num_rows
            if pending_rows:
                yield frame_from_arrow(built.specs, pa.Table.from_batches(pending), options)
                produced = True
    else:
        with engine.connect() as conn, tolerant_times(conn):
            result = every_row(conn, built.statement, chunksize)
            for rows in result.partitions(chunksize):
                yield frame_from_rows(built.specs, rows, options)
                produced = True
    if not produced:
        yield empty_frame(built.specs, options)


@functools.cache
def _tolerant(original: type) -> type:
    """A psycopg loader reading like ``original`` but returning OUT_OF_RANGE where it fails (infinity,
    years outside 1-9999) instead of failing the whole query."""

    class Tolerant(Loader):
        format = original.format

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._inner = original(oid, context)

        def load(self, data):
            try:
                return self._inner.load(data)
            except psycopg.DataError:
                return OUT_OF_RANGE

    Tolerant.__name__ = f"Tolerant{original.__name__}"
    return Tolerant


_TIME_TYPES = ("timestamptz", "timestamp", "date")


@contextmanager
def tolerant_times(conn: Connection):
    """Within the block, ``conn`` reads times Python cannot hold as OUT_OF_RANGE (the frame then makes
    them missing, with a warning) instead of failing; its loaders before are restored after."""
    adapters = conn.connection.driver_connection.adapters
    before = []
    for name in _TIME_TYPES:
        oid = adapters.types[name].oid
        for fmt in (Format.TEXT, Format.BINARY):
            original = adapters.get_loader(oid, fmt)
            if original is not None:
                before.append((oid, original))
                adapters.register_loader(oid, _tolerant(original))
    try:
        yield conn
    finally:
        for oid, original in before:
            adapters.register_loader(oid, original)


def choose_fast(engine: Engine, built: LoadQuery, fast_arg, limit) -> bool:
    """Decide the read path: ``fast=True``/``False`` as given; ``None``: Arrow when the planner
    expects more than FAST_PATH_MIN_ROWS rows (and the ADBC driver is installed). Returns True for Arrow.

    A ``limit`` of at most FAST_PATH_MIN_ROWS always reads through psycopg. Example::

        >>> choose_fast(engine, built, None, limit=10)
        False
    """
    if fast_arg is not None and not isinstance(fast_arg, bool):
        raise InvalidFilterError(f"fast={fast_arg!r} must be True, False or None (automatic)")
    if fast_arg is not None:
        if fast_arg and not fast.available():
            raise fast.FastPathUnavailableError(
                "fast=True needs adbc-driver-postgresql; run `pip install adbc-driver-postgresql`"
            )
        return fast_arg
    if not fast.available() or (limit is not None and limit <= FAST_PATH_MIN_ROWS):
        return False
    with engine.connect() as conn:
        return estimated_rows(conn, built.statement) > FAST_PATH_MIN_ROWS


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <select>`` with the select's parameters still bound."""

    inherit_cache = False

    def __init__(self, statement: sa.Select):
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element, compiler, **kw):
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def estimated_rows(connection: Connection, statement: sa.Select) -> int:
    """Return the planner's estimate of how many rows ``statement`` returns (no rows are read).

    Example::

        >>> estimated_rows(conn, sa.select(analytics_events))
        1000000
    """
    plan = connection.execute(_Explain(statement)).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])
