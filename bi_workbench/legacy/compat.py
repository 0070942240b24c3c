"""The check of one compatibility view: the view beside its legacy table, row by row.

Each ``legacy/sql/view_<view>.sql`` holds only what is particular to that view: one
SELECT giving, per legacy row in its carried form (`carry`), the row the view must
return after the documented transformations, named like the view's columns, the legacy
key first under its own name. The view's side (the same columns, read from the view),
the restriction of both sides to the legacy rows that survived (outcome ``migrated`` in
``legacy_id_map``: a merged duplicate has no row of its own in a view) and the diff
(``EXCEPT ALL`` both ways, with up to five example keys) are generated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ..schema.bookkeeping import legacy_id_map
from ..schema.sqlfiles import read_sql, select_columns

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
    """Return the query comparing ``view`` with the legacy side of ``sql_file`` (see `compared_view`)."""
    select = read_sql(SQL_PACKAGE, sql_file).rstrip().rstrip(";") + "\n"
    names = select_columns(connection, select)
    legacy_rows = sa.text(select).columns(*[sa.column(name) for name in names]).subquery("l")
    view_rows = sa.table(view, *[sa.column(name) for name in names]).alias("v")
    key = source.key
    legacy = sa.select(legacy_rows).where(_survived(source, legacy_rows.c[key])).cte("legacy")
    compat = sa.select(view_rows).where(_survived(source, view_rows.c[key])).cte("compat")
    only_in_legacy = sa.except_all(sa.select(legacy), sa.select(compat)).cte("only_in_legacy")
    only_in_view = sa.except_all(sa.select(compat), sa.select(legacy)).cte("only_in_view")
    differing = sa.union(sa.select(only_in_legacy.c[key]), sa.select(only_in_view.c[key])).subquery("d")
    examples = sa.type_coerce(
        sa.func.array_agg(aggregate_order_by(sa.cast(differing.c[key], sa.Text), differing.c[key])), ARRAY(sa.Text))
    return sa.select(
        _count(legacy).label("legacy_rows"),
        _count(compat).label("view_rows"),
        _count(only_in_legacy).label("only_in_legacy"),
        _count(only_in_view).label("only_in_view"),
        sa.select(examples[1:EXAMPLES]).scalar_subquery().label("examples"),
    )


def _survived(source: LegacySource, key: ColumnElement) -> ColumnElement:
    """Return the condition that the legacy row keyed ``key`` was migrated (it has a row of its own)."""
    m = legacy_id_map
    return sa.exists().where(m.c.legacy_table == source.name, m.c.legacy_id == sa.cast(key, sa.Text),
                             m.c.outcome == "migrated")


def _count(rows) -> ColumnElement:
    """Return the scalar subquery counting the rows of ``rows``."""
    return sa.select(sa.func.count()).select_from(rows).scalar_subquery()
