"""Bulk loading with COPY ... FROM STDIN (psycopg 3), and the few queries the generators run.

A batch is a mapping of column name to values, as produced by :mod:`.encode`:
a sequence of strings (None for NULL) or a ``pandas.Categorical`` of strings.
Table and column names come from SQLAlchemy ``Table`` objects and are quoted
with ``psycopg.sql.Identifier``. Nothing here commits: the caller owns the
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np
import pandas as pd
from psycopg import sql
from sqlalchemy import ARRAY, Date, DateTime, String, Table, exists, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB, REGCLASS
from sqlalchemy.engine import Connection
from tqdm.auto import tqdm

from ..errors import WorkbenchError

Batch = Mapping[str, object]
NULL = "\\N"
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
#: Rows per block handed to COPY within one batch.
BLOCK_ROWS = 50_000


class SyntheticDataError(WorkbenchError):
    """Synthetic data cannot be written where asked (a target table already holds rows)."""


def copy_batches(connection: Connection, table: Table, batches: Iterable[Batch], *,
                 total: int | None = None, progress: bool = True) -> int:
    """COPY every batch into ``table`` through ``connection``; return the number of rows written."""
    written = 0
    raw = connection.connection.driver_connection
    with tqdm(total=total, desc=table.name, unit="rows", disable=not progress, leave=False) as bar:
        with raw.cursor() as cursor:
            for batch in batches:
                names = list(batch)
                with cursor.copy(_copy_statement(table, names)) as copy:
                    for block, rows in _blocks(table, batch):
                        copy.write(block)
                        written += rows
                        bar.update(rows)
    return written


def copy_columns(connection: Connection, table: Table, batch: Batch, *, progress: bool = True) -> int:
    """COPY one batch of columns into ``table``; return the number of rows written."""
    return copy_batches(connection, table, [batch], total=_length(batch), progress=progress)


def _copy_statement(table: Table, names: list[str]) -> sql.Composed:
    """Return ``COPY table (columns) FROM STDIN`` with every name checked against ``table``."""
    unknown = [name for name in names if name not in table.c]
    if unknown:
        raise SyntheticDataError(f"{table.name} has no column(s) {', '.join(unknown)}.")
    defaulted = [c.name for c in table.c if c.name not in names and c.server_default is not None
                 and (c.primary_key or isinstance(c.type, (DateTime, Date)))]
    if defaulted:
        raise SyntheticDataError(
            f"{table.name}: {', '.join(defaulted)} would come from a database default (a random id or the clock); "
            "synthetic rows must give them explicitly."
        )
    target = sql.Identifier(table.schema, table.name) if table.schema else sql.Identifier(table.name)
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in names)
    return sql.SQL("COPY {} ({}) FROM STDIN").format(target, columns)


def _blocks(table: Table, batch: Batch):
    """Yield (text block, row count) pairs of at most BLOCK_ROWS rows each."""
    n = _length(batch)
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        columns = [_column_text(table, name, values, start, stop) for name, values in batch.items()]
        yield "".join(line + "\n" for line in map("\t".join, zip(*columns))), stop - start


def _column_text(table: Table, name: str, values, start: int, stop: int) -> list[str]:
    """Return the COPY text of rows [start, stop) of one column, escaped where its type needs it."""
    escape = isinstance(table.c[name].type, (String, JSONB, ARRAY))
    if isinstance(values, pd.Categorical):
        categories = np.array([_escaped(c) if escape else c for c in values.categories] + [NULL], dtype=object)
        return categories[values.codes[start:stop]].tolist()
    part = values[start:stop]
    if escape:
        return [NULL if v is None else _escaped(v) for v in part]
    return [NULL if v is None else v for v in part]


def _escaped(value: str) -> str:
    """Return ``value`` with COPY text-format escapes applied."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        for raw, escaped in _ESCAPES:
            value = value.replace(raw, escaped)
    return value


def _length(batch: Batch) -> int:
    """Return the number of rows of a batch (all its columns have the same length)."""
    lengths = {len(values) for values in batch.values()}
    if len(lengths) > 1:
        raise SyntheticDataError(f"columns of unequal lengths {sorted(lengths)} in one batch.")
    return lengths.pop() if lengths else 0


# --- queries -------------------------------------------------------------------

def require_empty(connection: Connection, tables: Iterable[Table]) -> None:
    """Raise SyntheticDataError if any of ``tables`` already holds a row."""
    full = [t.name for t in tables if connection.execute(select(exists().select_from(t))).scalar()]
    if full:
        raise SyntheticDataError(
            f"{', '.join(full)} already hold rows; seed an empty database (or truncate those tables first)."
        )


def ensure_monthly_partitions(connection: Connection, table: Table, first: date, last: date) -> None:
    """Have the schema's ensure_monthly_partitions() create ``table``'s partitions for [first, last]."""
    call = func.ensure_monthly_partitions(literal(table.name).cast(REGCLASS),
                                          literal(first, Date), literal(last, Date))
    connection.execute(select(call))


def set_serial(connection: Connection, table: Table, last_id: int) -> None:
    """Move ``table``'s id sequence past ``last_id`` so later inserts do not collide."""
    sequence = func.pg_get_serial_sequence(table.name, "id")
    connection.execute(select(func.setval(sequence, max(last_id, 1), last_id > 0)))


def lock_for_append(connection: Connection, table: Table) -> None:
    """Take ``table``'s EXCLUSIVE lock, as every appender to the event store does (bi_workbench.events)."""
    name = connection.dialect.identifier_preparer.format_table(table)
    connection.exec_driver_sql(f"LOCK TABLE {name} IN EXCLUSIVE MODE")
