"""The carried-values check of one legacy table: its expected values beside the new table's, column by column.

Each ``legacy/sql/values_<legacy table>.sql`` holds only what is particular to
that table: a ``legacy`` CTE giving, per migrated legacy row (``legacy_id``), the
values the new row must hold after the documented transformations, as text,
named like the new table's columns (``kept_row``: the legacy row the bookkeeping
must keep when a value was set aside; ``id``: the new row's id when it is
derived from the legacy key). The new table's side (``new``) and the pairs
compared (``pairs``) are generated here from those columns, and
``values_summary.sql`` turns the pairs into one row per column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from ..schema.sqlfiles import read_sql, select_columns

SQL_PACKAGE = "bi_workbench.legacy"
#: Columns of the legacy CTE that are keys, not compared values.
KEYS = ("legacy_id", "kept_row")


def values_statement(connection: Connection, source) -> str:
    """Return the whole comparison query of ``source`` (a `phases.LegacySource`): legacy, new, pairs, summary."""
    legacy = read_sql(SQL_PACKAGE, source.values_check)
    columns = [c for c in select_columns(connection, f"{legacy}\nSELECT * FROM legacy") if c not in KEYS]
    quote = connection.dialect.identifier_preparer.quote
    compared = [c for c in columns if c != "id"]
    values, joins = _new_side(source.new_table, compared, quote)
    identity = "l.id, n.id" if "id" in columns else "l.legacy_id, n.legacy_id"
    rows = ",\n        ".join(["('legacy_row kept', l.kept_row, n.kept_row)", f"('id', {identity})",
                               *(f"('{c}', l.{quote(c)}, n.{quote(c)})" for c in compared)])
    return f"""{legacy},
new AS (
    SELECT m.legacy_id, m.legacy_row::text AS kept_row, n.id::text AS id, {values}
    FROM legacy_id_map m
    JOIN {quote(source.new_table.name)} n ON n.id = m.new_id{joins}
    WHERE m.legacy_table = '{source.name}' AND m.outcome = 'migrated'
),
pairs AS (
    SELECT l.legacy_id AS legacy_key, n.legacy_id AS new_key, c.column_name, c.legacy_value, c.new_value
    FROM legacy l
    FULL JOIN new n ON n.legacy_id = l.legacy_id
    CROSS JOIN LATERAL (VALUES
        {rows}
    ) AS c(column_name, legacy_value, new_value)
)
{read_sql(SQL_PACKAGE, "values_summary.sql")}"""


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
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(values_statement(connection, source))
        names = [d.name for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        cursor.close()
