"""The check of one compatibility view: the view beside its legacy table, row by row.

Each ``legacy/sql/view_<view>.sql`` holds only what is particular to that view: one
SELECT giving, per legacy row in its carried form (`carry`), the row the view must
return after the documented transformations, named like the view's columns, the legacy
key first under its own name. The view's side (the same columns, read from the view),
the restriction of both sides to the legacy rows that survived (outcome ``migrated`` in
``legacy_id_map``: a merged duplicate has no row of its own in a view) and the diff
(each side's rows without an identical row on the other, duplicates counted, as
``EXCEPT ALL`` both ways gives them; up to five example keys) are generated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ..schema.bookkeeping import legacy_id_map
from ..schema.sqlfiles import read_sql
from .carry import carried_rows

if TYPE_CHECKING:
    from .phases import LegacySource

SQL_PACKAGE = "bi_workbench.legacy"
#: How many differing keys a check names.
EXAMPLES = 5


def compared_view(connection: Connection, view: str, source: LegacySource, sql_file: str) -> dict[str, Any]:
    """Return the diff of ``view`` against ``source`` (its legacy side in ``sql_file``).

    Keys: legacy_rows, view_rows (the surviving rows on each side), only_in_legacy,
    only_in_view (rows without an identical row on the other side, duplicates counted),
    examples (up to five keys of such rows, as text, in key order).
    """
    return dict(connection.execute(view_statement(connection, view, source, sql_file)).one()._mapping)


def view_statement(connection: Connection, view: str, source: LegacySource, sql_file: str) -> sa.Select:
    """Return the query comparing ``view`` with the legacy side of ``sql_file`` (see `compared_view`).

    Both sides' surviving rows in one pass: grouped by every column, a group is a distinct row
    with how often each side has it, so a side's surplus in a group is its rows without an
    identical row on the other side (what EXCEPT ALL leaves).
    """
    select = read_sql(SQL_PACKAGE, sql_file).rstrip().rstrip(";") + "\n"
    carried = carried_rows(source)
    names = _columns(connection, select, carried)
    legacy_rows = sa.text(select).columns(*[sa.column(name) for name in names]).subquery("l")
    view_rows = sa.table(view, *[sa.column(name) for name in names]).alias("v")
    groups = _groups(source, legacy_rows, view_rows, names).cte("groups")
    key = groups.c[source.key]
    differing = (sa.select(key).where(groups.c.legacy_rows != groups.c.view_rows).distinct()
                 .order_by(key).limit(EXAMPLES).subquery("d"))
    examples = sa.type_coerce(
        sa.func.array_agg(aggregate_order_by(sa.cast(differing.c[key.name], sa.Text), differing.c[key.name])),
        ARRAY(sa.Text))
    return sa.select(
        _total(groups.c.legacy_rows).label("legacy_rows"),
        _total(groups.c.view_rows).label("view_rows"),
        _total(sa.func.greatest(groups.c.legacy_rows - groups.c.view_rows, 0)).label("only_in_legacy"),
        _total(sa.func.greatest(groups.c.view_rows - groups.c.legacy_rows, 0)).label("only_in_view"),
        sa.select(examples).scalar_subquery().label("examples"),
    ).select_from(groups).add_cte(carried)


def _columns(connection: Connection, select: str, carried: sa.CTE) -> list[str]:
    """Return the output column names of ``select`` reading ``carried`` (planned under LIMIT 0: no row is read)."""
    query = sa.select(sa.literal_column("*")).select_from(sa.text(f"({select}) AS q")).add_cte(carried).limit(0)
    return list(connection.execute(query).keys())


def _groups(source: LegacySource, legacy_rows, view_rows, names: list[str]) -> sa.Select:
    """Return both sides' surviving rows grouped by every column: each group's key and rows on either side."""
    key = source.key
    sides = sa.union_all(
        sa.select(legacy_rows, sa.true().label("in_legacy")).where(_survived(source, legacy_rows.c[key])),
        sa.select(view_rows, sa.false().label("in_legacy")).where(_survived(source, view_rows.c[key])),
    ).subquery("sides")
    return sa.select(
        sides.c[key],
        sa.func.count().filter(sides.c.in_legacy).label("legacy_rows"),
        sa.func.count().filter(~sides.c.in_legacy).label("view_rows"),
    ).group_by(*[sides.c[name] for name in names])


def _survived(source: LegacySource, key: ColumnElement) -> ColumnElement:
    """Return the condition that the legacy row keyed ``key`` was migrated (it has a row of its own)."""
    m = legacy_id_map
    return sa.exists().where(m.c.legacy_table == source.name, m.c.legacy_id == sa.cast(key, sa.Text),
                             m.c.outcome == "migrated")


def _total(counts: ColumnElement) -> ColumnElement:
    """Return the sum of ``counts`` over every group, as a whole number (0 for none)."""
    return sa.cast(sa.func.coalesce(sa.func.sum(counts), 0), sa.BigInteger)
