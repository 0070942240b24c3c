"""Temporary tables the migration and its checks hand from Python to their set-based SQL.

Each lives in the session's own ``pg_temp`` schema (never a table of the database: the
name is schema-qualified, so a permanent table of the same name is never touched) and is
dropped at the end of the transaction that made it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, MetaData, Table
from sqlalchemy.engine import Connection
from sqlalchemy.schema import DropTable

#: The schema of the session's temporary tables.
SCHEMA = "pg_temp"


def temporary_table(name: str, *columns: Column) -> Table:
    """Return the declaration of a temporary table dropped at commit (on a MetaData of its own)."""
    return Table(name, MetaData(), *columns, schema=SCHEMA, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


def recreate(connection: Connection, table: Table) -> None:
    """Create ``table`` in this transaction, replacing it if an earlier phase of the transaction made it."""
    connection.execute(DropTable(table, if_exists=True))
    table.create(connection)


def fill(connection: Connection, table: Table, rows: Iterable[tuple]) -> None:
    """(Re)create ``table``, COPY ``rows`` (tuples in column order) into it, and ANALYZE it."""
    recreate(connection, table)
    names = ", ".join(c.name for c in table.columns)
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {SCHEMA}.{table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
    analyze(connection, table)


def analyze(connection: Connection, table: Table) -> None:
    """Gather planner statistics of a temporary table (autovacuum never visits them)."""
    connection.exec_driver_sql(f"ANALYZE {SCHEMA}.{table.name}")
