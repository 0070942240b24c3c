"""What the new schema, its indexes and pandas can carry, and the carried form of each legacy row.

Some legacy values are valid PostgreSQL but cannot live in the new tables or be read
back: a 10 MB ``company`` breaks the btree index on ``users.company`` (and with it the
whole phase), a ``created_at`` of ``infinity`` or in the year 3000 cannot be held by
pandas (``datetime64[ns]`` spans 1677-2262), a JSON document nested 3,000 levels deep
makes every JSON parser in Python raise RecursionError. Each kind has one rule, applied
to every legacy column it concerns, found from the schema rather than listed by hand:

timestamps
    Every legacy TIMESTAMP column: a value outside ``TIMESTAMP_RANGE`` (1678-01-01 up to,
    not including, 2262-01-01, UTC; ``-infinity`` and ``infinity`` included) is set aside.
indexed text
    Every legacy TEXT column whose new column is in a btree index or a UNIQUE constraint
    of the new table (``indexed_text_columns``): a value longer than
    ``MAX_INDEXED_TEXT_BYTES`` (2,000 bytes of UTF-8) is set aside. PostgreSQL's btree
    refuses index entries over 2,704 bytes (8 kB pages), whether a value compresses or not
    is not the migration's to guess, and 2,000 leaves room for the other columns of a
    composite index. (``users.email`` is an identity, not a value: see `identity`.)
JSON depth
    Every legacy JSONB column: a document nested deeper than ``MAX_JSON_DEPTH`` (64)
    levels is set aside. The new documents nest a legacy value at most one level deeper
    (``responses.friction_points``), far inside what any parser handles.

A value set aside is carried as NULL, and the row then follows the documented rule for a
NULL in that column (a NULL ``created_at`` stays NULL; a NULL market-insight industry
becomes the user's, else 'unknown'). Nothing is lost: the row's ``legacy_id_map`` entry
keeps the whole legacy row in ``legacy_row`` and says which columns were set aside and why
in ``reason``. A JSON ``null`` in a JSONB column is carried as SQL NULL (the contract's
"or NULL"; the loaders read both as None). In every ``legacy_row`` the migration writes
(quarantine, merged duplicates, rows with values set aside), a JSONB value deeper than
``MAX_JSON_DEPTH`` is kept as a JSON string holding its text, so the row can be read back.

`prepare_carried` writes the carried form of a legacy table into a temporary table
``carried_<legacy table>`` (same columns, the values after these rules, plus
``unfit_reason`` and, for a row with a value set aside, ``legacy_row``); the migration checks
read the same rows as a CTE of that name (`carried_rows`). The phases and the checks read
legacy rows only through them, so both apply the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import Column, Table, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.schema import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.sql.elements import ColumnElement

from ..schema.bookkeeping import legacy_id_map, migration_quarantine
from .temporary import analyze, recreate, temporary_table

if TYPE_CHECKING:
    from .phases import LegacySource

#: Longest value (UTF-8 bytes) of a text column that a btree index of the new schema holds.
MAX_INDEXED_TEXT_BYTES = 2000
#: Timestamps carried: [start, end) in UTC, inside pandas' datetime64[ns] range.
TIMESTAMP_RANGE = (datetime(1678, 1, 1), datetime(2262, 1, 1))
#: Deepest nesting of a legacy JSONB value carried (the root is level 0).
MAX_JSON_DEPTH = 64


class _JsonPath(sa.types.UserDefinedType):
    """PostgreSQL's ``jsonpath`` type, for binding a path as a parameter."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "jsonpath"


@dataclass(frozen=True)
class Rule:
    """One legacy column a kind of limit applies to: the column, the kind, the reason given."""

    column: str
    kind: str
    reason: str

    def unfit(self, value: ColumnElement) -> ColumnElement:
        """Return the SQL condition that ``value`` (this column) cannot be carried."""
        if self.kind == "timestamp":
            start, end = TIMESTAMP_RANGE
            return sa.and_(value.is_not(None), sa.not_(sa.and_(value >= start, value < end)))
        if self.kind == "indexed text":
            return sa.func.octet_length(value) > MAX_INDEXED_TEXT_BYTES
        path = sa.cast(sa.literal(f"strict $.**{{{MAX_JSON_DEPTH + 1}}}"), _JsonPath())
        return sa.func.coalesce(sa.func.jsonb_path_exists(value, path), False)


def indexed_text_columns(table: Table) -> set[str]:
    """Return the TEXT columns of ``table`` that a btree index, UNIQUE or primary key covers."""
    covered: set[str] = set()
    for index in table.indexes:
        if (index.dialect_options["postgresql"].get("using") or "btree") == "btree":
            covered.update(c.name for c in index.columns)
    for constraint in table.constraints:
        if isinstance(constraint, (UniqueConstraint, PrimaryKeyConstraint)):
            covered.update(c.name for c in constraint.columns)
    covered.update(c.name for c in table.columns if c.unique or c.index)
    return {name for name in covered if isinstance(table.c[name].type, sa.String)}


def rules(source: LegacySource) -> tuple[Rule, ...]:
    """Return the rules that apply to the columns of one legacy table, in column order."""
    indexed = indexed_text_columns(source.new_table)
    found = []
    for column in source.table.columns:
        if column.name in source.identity:
            continue
        if isinstance(column.type, sa.DateTime):
            start, end = TIMESTAMP_RANGE
            found.append(Rule(column.name, "timestamp",
                              f"{column.name} set aside: outside {start:%Y-%m-%d} to {end:%Y-%m-%d} "
                              "(the range pandas can hold)"))
        elif isinstance(column.type, JSONB):
            found.append(Rule(column.name, "json depth",
                              f"{column.name} set aside: JSON nested deeper than {MAX_JSON_DEPTH} levels"))
        elif isinstance(column.type, sa.String) and source.target(column.name) in indexed:
            found.append(Rule(column.name, "indexed text",
                              f"{column.name} set aside: longer than {MAX_INDEXED_TEXT_BYTES} bytes "
                              "(the limit of its index)"))
    return tuple(found)


def carried_name(source: LegacySource) -> str:
    """Return the name of the temporary table holding the carried rows of ``source``."""
    return f"carried_{source.name}"


def pending(table: Table, key: ColumnElement) -> ColumnElement:
    """Return the condition that a legacy row is neither mapped nor quarantined yet."""
    legacy_id = sa.cast(key, Text)
    return sa.and_(
        ~sa.exists().where(legacy_id_map.c.legacy_table == table.name, legacy_id_map.c.legacy_id == legacy_id),
        ~sa.exists().where(migration_quarantine.c.legacy_table == table.name,
                           migration_quarantine.c.legacy_id == legacy_id),
    )


def prepare_carried(connection: Connection, source: LegacySource, *, only_pending: bool) -> Table:
    """Write the carried form of ``source``'s rows into ``carried_<table>`` (temporary); return it.

    ``only_pending``: only the rows neither mapped nor quarantined (what a phase reads);
    else every row (the checks read every row through `carried_rows` instead). The table is
    dropped at the end of the transaction, and replaced if it exists.
    """
    carried = carried_table(source)
    recreate(connection, carried)
    query = _carried_rows(source, only_pending)
    connection.execute(carried.insert().from_select([c.name for c in carried.columns], query))
    analyze(connection, carried)
    return carried


def carried_rows(source: LegacySource) -> sa.CTE:
    """Return every row of ``source`` in its carried form as a CTE named like ``carried_<table>``.

    What the checks read: the SELECT `prepare_carried` writes, computed inside the query that
    reads it (nothing written or analyzed, and the scan of the legacy table can run in parallel).
    The CTE's name takes precedence over any table of that name.
    """
    return _carried_rows(source, only_pending=False).cte(carried_name(source)).prefix_with("NOT MATERIALIZED")


def with_carried(connection: Connection, source: LegacySource, select: str) -> tuple[str, dict[str, Any]]:
    """Return ``select`` (SQL text with psycopg placeholders reading ``carried_<table>``) under `carried_rows`.

    Returns the statement (``select`` as the subquery ``q``, its columns unchanged) and the
    parameters of the carried rows, for the driver's cursor.
    """
    carried = _carried_rows(source, only_pending=False).compile(dialect=connection.dialect)
    quote = connection.dialect.identifier_preparer.quote
    name = quote(carried_name(source))
    return f"WITH {name} AS NOT MATERIALIZED (\n{carried}\n)\nSELECT * FROM (\n{select}\n) AS q", dict(carried.params)


def carried_table(source: LegacySource) -> Table:
    """Return the temporary table of carried rows: the legacy columns, unfit_reason, legacy_row."""
    return temporary_table(
        carried_name(source),
        *[Column(c.name, c.type, primary_key=c.name == source.key, autoincrement=False)
          for c in source.table.columns],
        Column("unfit_reason", Text),
        Column("legacy_row", JSONB),
    )


def _carried_rows(source: LegacySource, only_pending: bool) -> sa.Select:
    """Return the SELECT of the legacy rows (every one, or the pending ones) in their carried form."""
    legacy = source.table
    found = rules(source)
    flags = [rule.unfit(legacy.c[rule.column]).label(f"unfit_{i}") for i, rule in enumerate(found)]
    inner = sa.select(legacy, *flags, sa.func.to_jsonb(sa.literal_column(legacy.name)).label("row_json"))
    if only_pending:
        inner = inner.where(pending(legacy, legacy.c[source.key]))
    inner = inner.subquery("f")
    flag = {rule.column: inner.c[f"unfit_{i}"] for i, rule in enumerate(found)}
    values = [_carried_value(inner.c[c.name], flag.get(c.name)).label(c.name) for c in legacy.columns]
    reasons = [sa.case((inner.c[f"unfit_{i}"], text_value(rule.reason))) for i, rule in enumerate(found)]
    unfit_reason = sa.func.nullif(sa.func.concat_ws(text_value("; "), *reasons), text_value("")) if reasons else sa.null()
    # The whole row only where a value is set aside (to_jsonb of every row would double the cost);
    # the steps take to_jsonb of the legacy row itself for a row they quarantine or merge.
    any_unfit = sa.or_(*flag.values()) if flag else sa.false()
    return sa.select(*values, sa.cast(unfit_reason, Text).label("unfit_reason"),
                     sa.case((any_unfit, _legacy_row(inner, found))).label("legacy_row"))


def _carried_value(value: ColumnElement, unfit: ColumnElement | None) -> ColumnElement:
    """Return ``value`` as carried: NULL when set aside, SQL NULL for a JSON null."""
    whens = [(unfit, sa.null())] if unfit is not None else []
    if isinstance(value.type, JSONB):
        whens.append((value == sa.cast(sa.literal("null"), JSONB), sa.null()))
    return sa.case(*whens, else_=value) if whens else value


def text_value(value: str) -> ColumnElement:
    """Return ``value`` as a bound parameter typed text (the server cannot infer it in variadic calls)."""
    return sa.cast(sa.literal(value), Text)


def _legacy_row(inner, found: tuple[Rule, ...]) -> ColumnElement:
    """Return the legacy row as JSONB, a too-deep JSONB value replaced by a JSON string of its text."""
    deep = [(rule.column, inner.c[f"unfit_{i}"]) for i, rule in enumerate(found) if rule.kind == "json depth"]
    if not deep:
        return inner.c.row_json
    replaced = sa.func.jsonb_build_object(*[
        part for name, unfit in deep
        for part in (text_value(name), sa.case((unfit, sa.cast(inner.c[name], Text))))
    ])
    return inner.c.row_json.op("||")(sa.func.jsonb_strip_nulls(replaced))
