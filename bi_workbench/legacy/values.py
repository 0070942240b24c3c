"""The carried-values check of one legacy table: its expected values beside the new table's, column by column.

Each ``legacy/sql/values_<legacy table>.sql`` holds only what is particular to
that table: a ``legacy`` CTE giving, per migrated legacy row (``legacy_id``), the
values the new row must hold after the documented transformations, as text,
named like the new table's columns (``kept_row``: the legacy row the bookkeeping
must keep when a value was set aside; ``id``: the new row's id when it is
derived from the legacy key). It reads the legacy rows in their carried form,
``carried_<legacy table>`` (`carry.carried_rows`). The new table's side (``new``),
the two sides joined row by row (``pairs``: per legacy key, both values of every
compared column) and, in one pass over the pairs, each column's totals (``totals``,
``columns``) are generated here from those columns; ``values_summary.sql`` turns the
totals into one row per column.

A side's checksum of a column is the sum over its rows of a 64-bit hash of the row's
key and value (``hashtextextended`` of the value, seeded with the hash of the key; the
key's hash for a NULL value): it changes when any key or value changes, and it needs
no sort, unlike a digest of the values in key order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from ..schema.sqlfiles import read_sql
from .carry import with_carried

SQL_PACKAGE = "bi_workbench.legacy"
#: Columns of the legacy CTE that are keys, not compared values.
KEYS = ("legacy_id", "kept_row")


def values_statement(connection: Connection, source) -> tuple[str, dict[str, Any]]:
    """Return the whole comparison query of ``source`` (a `phases.LegacySource`) and its parameters."""
    # Run with parameters: psycopg reads a '%' of the table's own SQL as a placeholder unless doubled.
    legacy = read_sql(SQL_PACKAGE, source.values_check).replace("%", "%%")
    columns = [c for c in _legacy_columns(connection, source, legacy) if c not in KEYS]
    quote = connection.dialect.identifier_preparer.quote
    compared = [c for c in columns if c != "id"]
    identity = ("l.id", "n.id") if "id" in columns else ("l.legacy_id", "n.legacy_id")
    pairs = [("legacy_row kept", "l.kept_row", "n.kept_row"), ("id", *identity),
             *((c, f"l.{quote(c)}", f"n.{quote(c)}") for c in compared)]
    statement, parameters = with_carried(connection, source, ",\n".join([
        legacy, _new(source.new_table, compared, quote), _pairs(pairs), _totals(len(pairs)),
    ]) + "\n" + read_sql(SQL_PACKAGE, "values_summary.sql"))
    names = [name for name, _mine, _theirs in pairs]
    return f"{statement}\nORDER BY column_name", {**parameters, "legacy_table": source.name, "column_names": names}


def _legacy_columns(connection: Connection, source, legacy: str) -> list[str]:
    """Return the column names of the ``legacy`` CTE of ``legacy`` (planned under LIMIT 0: no row is read)."""
    statement, parameters = with_carried(connection, source, f"{legacy}\nSELECT * FROM legacy")
    return [d.name for d in _run(connection, f"{statement}\nLIMIT 0", parameters).description]


def _new(table, compared: list[str], quote) -> str:
    """The ``new`` CTE: per migrated legacy key, the new row's value of each compared column, as text."""
    values, joins = _new_side(table, compared, quote)
    return f"""new AS (
    SELECT m.legacy_id, m.legacy_row::text AS kept_row, n.id::text AS id, {values}
    FROM legacy_id_map m
    JOIN {quote(table.name)} n ON n.id = m.new_id{joins}
    WHERE m.legacy_table = %(legacy_table)s AND m.outcome = 'migrated'
)"""


def _pairs(pairs: list[tuple[str, str, str]]) -> str:
    """The ``pairs`` CTE: the two sides joined by legacy key, both values of compared column i as legacy_i, new_i."""
    sides = ",\n        ".join(f"{mine} AS legacy_{i}, {theirs} AS new_{i}"
                               for i, (_name, mine, theirs) in enumerate(pairs))
    # OFFSET 0 keeps the subquery whole, so each value is computed once, not once per aggregate reading it.
    return f"""pairs AS (
    SELECT l.legacy_id AS legacy_key, n.legacy_id AS new_key,
           hashtextextended(l.legacy_id, 0) AS legacy_key_hash, hashtextextended(n.legacy_id, 0) AS new_key_hash,
        {sides}
    FROM legacy l
    FULL JOIN new n ON n.legacy_id = l.legacy_id
    OFFSET 0
)"""


def _totals(count: int) -> str:
    """The ``totals`` (one pass over ``pairs``) and ``columns`` (one row per compared column) CTEs."""
    aggregates = ",\n        ".join(
        f"sum({_hashed('legacy', i)}) AS legacy_checksum_{i}, sum({_hashed('new', i)}) AS new_checksum_{i},\n        "
        f"array_agg(coalesce(legacy_key, new_key)) FILTER (WHERE {_differs(i)}) AS differing_{i}"
        for i in range(count))
    rows = ",\n        ".join(f"({i + 1}, t.legacy_checksum_{i}, t.new_checksum_{i}, t.differing_{i})"
                              for i in range(count))
    return f"""totals AS (
    SELECT count(legacy_key) AS legacy_rows, count(new_key) AS new_rows,
        {aggregates}
    FROM pairs
),
columns AS (
    SELECT c.* FROM totals t CROSS JOIN LATERAL (VALUES
        {rows}
    ) AS c(position, legacy_checksum, new_checksum, differing)
)"""


def _hashed(side: str, i: int) -> str:
    """The 64-bit hash of one side's key and value of compared column ``i`` (NULL when the side has no row)."""
    return f"coalesce(hashtextextended({side}_{i}, {side}_key_hash), {side}_key_hash)"


def _differs(i: int) -> str:
    """The condition that the two sides of compared column ``i`` differ on a row."""
    return f"legacy_key IS DISTINCT FROM new_key OR legacy_{i} IS DISTINCT FROM new_{i}"


def _new_side(table, compared: list[str], quote) -> tuple[str, str]:
    """The new table's value of each compared column, as text, and the joins it needs.

    A column the new table does not have is its parent's, through the foreign key to a table
    that has it (a score's user is its assessment's user).
    """
    values, joins = [], {}
    for column in compared:
        if column in table.c:
            values.append(f"n.{quote(column)}::text AS {quote(column)}")
            continue
        key = next(fk for fk in table.foreign_keys if column in fk.column.table.c)
        alias = joins.setdefault(key.parent.name, f"p{len(joins)}")
        values.append(f"{alias}.{quote(column)}::text AS {quote(column)}")
    join_text = "".join(
        f"\n    LEFT JOIN {quote(next(fk for fk in table.foreign_keys if fk.parent.name == local).column.table.name)} "
        f"{alias} ON {alias}.id = n.{quote(local)}" for local, alias in joins.items())
    return ", ".join(values), join_text


def compared_values(connection: Connection, source) -> list[dict[str, Any]]:
    """Return the per-column comparison rows of ``source`` (see `values_statement`)."""
    cursor = _run(connection, *values_statement(connection, source))
    names = [d.name for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _run(connection: Connection, statement: str, parameters: dict[str, Any]):
    """Execute ``statement`` on the driver's cursor in the connection's transaction; return the cursor."""
    return connection.connection.driver_connection.execute(statement, parameters)
