"""`load` and `iter_load`: any table or read model into DataFrames with schema dtypes."""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..database.connection import get_engine
from ..errors import InvalidFilterError
from . import catalog, frames, query
from .dtypes import Options


def _prepare(table, *, engine, columns, since, until, time_column, order_by, limit, json_fields,
             decimals, uuid_as, json_as, dtype_backend, where, filters):
    engine = engine if engine is not None else get_engine()
    if not isinstance(engine, Engine):
        raise InvalidFilterError(f"engine={engine!r} must be a SQLAlchemy Engine (see bi_workbench.database.get_engine)")
    options = Options.make(decimals=decimals, uuid_as=uuid_as, json_as=json_as, dtype_backend=dtype_backend)
    relation = catalog.resolve(table, engine)
    merged = _merge_filters(where, filters)
    built = query.build(relation, options, columns=columns, filters=merged, since=since, until=until,
                        time_column=time_column, order_by=order_by, limit=limit, json_fields=json_fields)
    return engine, options, built


def _merge_filters(where, filters: dict) -> dict:
    if where is None:
        return filters
    if not isinstance(where, Mapping):
        raise InvalidFilterError(f"where={where!r} must be a mapping of filters, e.g. {{'status': 'completed'}}")
    clash = sorted(set(where) & set(filters))
    if clash:
        raise InvalidFilterError(f"filter {clash[0]!r} is given both in where= and as a keyword")
    return {**where, **filters}


def load(table: str, *, columns: Sequence[str] | None = None, since=None, until=None,
         time_column: str | None = None, order_by: str | Sequence[str] | None = None, limit: int | None = None,
         json_fields: Mapping[str, Sequence] | None = None, decimals: bool = False, uuid_as: str | None = None,
         json_as: str | None = None, dtype_backend: str = "numpy", fast: bool | None = None,
         where: Mapping[str, object] | None = None, engine: Engine | None = None, **filters) -> pd.DataFrame:
    """Return the rows of a table or read-model view as a DataFrame with dtypes from the schema.

    ``table``: a table of the schema or one of the views ``user_dashboard_summary``,
    ``organization_analytics``, ``assessment_analytics_summary``.

    Filters (keywords, all values bound as parameters): ``col=value`` (a list means IN,
    None means IS NULL), ``col__op=value`` with op one of eq, ne, in, lt, lte, gt, gte,
    between, isnull, like, ilike, contains (see `bi_workbench.loaders.query`). Filters on
    columns whose names clash with a parameter of this function go in ``where={...}``.

    ``since`` (included) / ``until`` (excluded) filter the time column: ``created_at``, or
    published_at for news_feed, started_at for user_sessions, joined_at for
    organization_members, month for assessment_analytics_summary, or ``time_column``.
    Dates and naive times are UTC.

    ``columns``: which columns, in that order (default all). ``order_by``: a column or list,
    ``"-col"`` for descending. ``limit``: at most this many rows.
    ``json_fields={"responses": ["growth_pace"]}``: extract those keys of a JSON column in SQL
    (``responses ->> 'growth_pace'``) into text columns named ``responses.growth_pace``; the
    JSON column itself is then left out unless listed in ``columns``.

    Dtypes (see `bi_workbench.loaders.dtypes`): UUIDs, text and JSON as Arrow-backed
    ``string[pyarrow]`` (the JSON's text), timestamptz as datetime64[ns, UTC], numerics as
    float64 (``decimals=True`` for Decimal), booleans as boolean, integers as Int64 where
    nullable, arrays as lists (nested for more dimensions). Python objects on request:
    ``uuid_as="uuid"`` gives uuid.UUID, ``json_as="object"`` dicts and lists (slower: one
    object per value). ``dtype_backend="pyarrow"`` gives pd.ArrowDtype columns. Stored
    times a dtype cannot hold (infinity, out of range) come back as NaT with an
    UnrepresentableValueWarning naming table, column and count.

    Filter values holding a NUL character or a non-finite number (NaN, infinity) raise
    InvalidFilterError naming the filter, before any SQL is sent.

    ``fast``: True reads through ADBC/Arrow (binary COPY), False through psycopg, None
    (default) picks Arrow when the planner expects more than 50,000 rows. Both give the same
    DataFrame.

    Example::

        >>> df = load("assessments", organization_id=org_id, since="2025-01-01",
        ...           status=["completed", "in_progress"], order_by="-created_at", limit=100)
        >>> df.dtypes["created_at"]
        datetime64[ns, UTC]
    """
    engine, options, built = _prepare(
        table, engine=engine, columns=columns, since=since, until=until, time_column=time_column, order_by=order_by,
        limit=limit, json_fields=json_fields, decimals=decimals, uuid_as=uuid_as, json_as=json_as,
        dtype_backend=dtype_backend, where=where, filters=filters,
    )
    use_fast = frames.choose_fast(engine, built, fast, limit)
    return frames.read(engine, built, options, use_fast=use_fast)


def iter_load(table: str, chunksize: int = 100_000, *, columns: Sequence[str] | None = None, since=None,
              until=None, time_column: str | None = None, order_by: str | Sequence[str] | None = None,
              limit: int | None = None, json_fields: Mapping[str, Sequence] | None = None, decimals: bool = False,
              uuid_as: str | None = None, json_as: str | None = None, dtype_backend: str = "numpy",
              fast: bool | None = None, where: Mapping[str, object] | None = None, engine: Engine | None = None,
              **filters) -> Iterator[pd.DataFrame]:
    """Yield the rows of a table or view as DataFrames of at most ``chunksize`` rows each.

    Takes the same arguments as `load`. Rows are streamed (a server-side cursor, or ADBC
    record batches with ``fast``), so the whole result never has to fit in memory. A result
    without rows yields one empty DataFrame with the columns and dtypes. The database
    connection stays open until the iterator is exhausted or closed.

    Example::

        >>> total = 0
        >>> for chunk in iter_load("analytics_events", chunksize=100_000, since="2025-01-01"):
        ...     total += chunk["event_type"].eq("page_view").sum()
    """
    if not isinstance(chunksize, numbers.Integral) or isinstance(chunksize, (bool, np.bool_)) or chunksize < 1:
        raise InvalidFilterError(f"chunksize={chunksize!r} must be a whole number >= 1")
    engine, options, built = _prepare(
        table, engine=engine, columns=columns, since=since, until=until, time_column=time_column, order_by=order_by,
        limit=limit, json_fields=json_fields, decimals=decimals, uuid_as=uuid_as, json_as=json_as,
        dtype_backend=dtype_backend, where=where, filters=filters,
    )
    use_fast = frames.choose_fast(engine, built, fast, limit)
    return frames.read_chunks(engine, built, options, chunksize=int(chunksize), use_fast=use_fast)


def select_for(table: str, *, columns: Sequence[str] | None = None, since=None, until=None,
               time_column: str | None = None, order_by: str | Sequence[str] | None = None, limit: int | None = None,
               json_fields: Mapping[str, Sequence] | None = None, decimals: bool = False,
               where: Mapping[str, object] | None = None, engine: Engine | None = None, **filters) -> sa.Select:
    """Return the SQLAlchemy SELECT that `load` runs for these arguments (to inspect or reuse).

    Example::

        >>> print(select_for("users", industry="retail", columns=["id", "email"], engine=engine))
        SELECT users.id AS id, users.email AS email
        FROM users
        WHERE users.industry = :param_1
    """
    _, _, built = _prepare(
        table, engine=engine, columns=columns, since=since, until=until, time_column=time_column, order_by=order_by,
        limit=limit, json_fields=json_fields, decimals=decimals, uuid_as=None, json_as=None, dtype_backend="numpy",
        where=where, filters=filters,
    )
    return built.statement
