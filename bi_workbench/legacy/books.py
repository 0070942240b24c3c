"""The bookkeeping of a migration step, written once for every legacy table.

A step that moves legacy rows is declared in `phases` by its .sql file, the legacy
table it reads and the outcome it books. The .sql file holds only what is
particular to that table: one SELECT over ``carried_<legacy table>`` (which holds the
pending rows only, see `prune`), giving per legacy row its key as ``legacy_key`` and

``quarantined``
    ``reason``: why the row cannot move, or NULL when it can (the table's judgement);
``orphans``
    (no file) the rows whose user is not a user: one rule for every legacy table with an
    owner column (`orphans`), quarantined like the table's own judgement;
``merged``
    ``new_id`` and ``reason``: the existing new row it folds into, and why;
``migrated``
    the new table's columns (``id`` among them) as the documented transformation fills
    them, and optionally ``note``: a reason the bookkeeping keeps besides the values set
    aside (e.g. a re-pointed user).

This module wraps that SELECT into the one statement that writes the new rows, the
``legacy_id_map`` or ``migration_quarantine`` entries and returns the rows written per
table. The bookkeeping rules (bi_workbench/schema/bookkeeping.py): the legacy id is
``key::text``; a quarantined or merged row keeps its whole legacy row; a migrated row keeps
it only when a value was set aside (`carry`), whose reason follows the step's note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ..errors import MigrationError
from ..schema.bookkeeping import legacy_id_map, migration_quarantine
from ..schema.sqlfiles import select_columns
from .carry import carried_table, pending, text_value
from .contract import tier2_users

if TYPE_CHECKING:
    from .phases import LegacySource

#: The outcomes a step can book.
OUTCOMES = ("migrated", "merged", "quarantined", "orphans")
#: Columns of a step's SELECT that are bookkeeping, not values of the new table.
BOOK_COLUMNS = ("legacy_key", "note")


def step_statement(connection: Connection, sql: str | None, source: LegacySource, outcome: str,
                   phase: int) -> sa.Select:
    """Return the statement of a step whose .sql file is ``sql`` (None for ``orphans``; see the module docstring).

    Its one result is a JSONB object of the rows written per table. Raises MigrationError for an
    unknown outcome or a migrated column the new table does not have.
    """
    carried = carried_table(source)
    if outcome == "orphans":
        return _quarantine(orphans(source, carried), source, carried, phase)
    if outcome == "quarantined":
        return _quarantine(sa.text(_body(sql)).columns(sa.column("legacy_key"), sa.column("reason")),
                           source, carried, phase)
    if outcome == "merged":
        rows = sa.text(_body(sql)).columns(sa.column("legacy_key"), sa.column("new_id"), sa.column("reason"))
        return _map(rows.cte("merging"), source, carried, "merged")
    if outcome == "migrated":
        return _migrate(connection, sql, source, carried)
    raise MigrationError(f"unknown step outcome {outcome!r}; the outcomes are {', '.join(OUTCOMES)}.")


def prune(connection: Connection, source: LegacySource) -> None:
    """Remove from ``carried_<table>`` the rows now mapped or quarantined (what a step just booked).

    The next step of the phase then reads the pending rows only, by the one rule of `carry.pending`.
    """
    carried = carried_table(source)
    connection.execute(carried.delete().where(~pending(source.table, carried.c[source.key])))


def _body(sql: str) -> str:
    """Return a step's SELECT ready to sit inside parentheses (its last line may be a comment)."""
    return sql.rstrip().rstrip(";") + "\n"


def _legacy_id(carried: Table, source: LegacySource) -> ColumnElement:
    """Return the bookkeeping's legacy id of a carried row (``key::text``)."""
    return sa.cast(carried.c[source.key], sa.Text)


def whole_legacy_row(carried: Table, source: LegacySource) -> ColumnElement:
    """Return the whole legacy row of a carried row as JSONB (`carry` keeps the readable form of
    a row with a value set aside; any other row is ``to_jsonb`` of the legacy row itself)."""
    legacy = source.table.alias("l")
    row = (sa.select(sa.func.to_jsonb(sa.literal_column(legacy.name)))
           .select_from(legacy).where(legacy.c[source.key] == carried.c[source.key]).scalar_subquery())
    return sa.func.coalesce(carried.c.legacy_row, row)


def orphans(source: LegacySource, carried: Table) -> sa.Select:
    """Return the SELECT judging the carried rows whose owner (their legacy user id) is no user.

    Phase 1 has mapped (migrated or merged) or quarantined every tier2_users row before a
    later phase runs, so an owner missing from legacy_id_map names nobody ('orphan: no user
    id', a NULL owner), a quarantined user ('orphan: user quarantined') or no legacy user at
    all ('orphan: user not found'). Columns: legacy_key, reason.
    """
    owner = carried.c[source.owner]
    user_id = sa.cast(owner, sa.Text)
    m, q = legacy_id_map, migration_quarantine
    mapped = sa.exists().where(m.c.legacy_table == tier2_users.name, m.c.legacy_id == user_id)
    quarantined = sa.exists().where(q.c.legacy_table == tier2_users.name, q.c.legacy_id == user_id)
    reason = sa.case((owner.is_(None), text_value("orphan: no user id")),
                     (quarantined, text_value("orphan: user quarantined")),
                     else_=text_value("orphan: user not found"))
    return sa.select(carried.c[source.key].label("legacy_key"), reason.label("reason")).where(~mapped)


def _quarantine(judged, source: LegacySource, carried: Table, phase: int) -> sa.Select:
    """Return the statement quarantining the judged rows with a reason; its result: rows per table."""
    judged = judged.cte("judged")
    q = migration_quarantine
    insert = q.insert().from_select(
        [q.c.legacy_table, q.c.legacy_id, q.c.legacy_row, q.c.reason, q.c.phase],
        sa.select(sa.literal(source.name), _legacy_id(carried, source), whole_legacy_row(carried, source),
                  judged.c.reason, sa.literal(phase))
        .select_from(judged.join(carried, carried.c[source.key] == judged.c.legacy_key))
        .where(judged.c.reason.is_not(None)),
    ).returning(sa.literal_column("1")).cte("quarantined")
    return _counts({q.name: insert})


def _migrate(connection: Connection, sql: str, source: LegacySource, carried: Table) -> sa.Select:
    """Return the statement inserting the new rows and mapping them; its result: rows per table."""
    names = select_columns(connection, _body(sql))
    target = source.new_table
    values = [name for name in names if name not in BOOK_COLUMNS]
    unknown = [name for name in values if name not in target.c]
    if unknown or "id" not in values or "legacy_key" not in names:
        raise MigrationError(
            f"a step migrating {source.name} must select legacy_key and columns of {target.name} (id among them); "
            f"not columns of it: {', '.join(unknown) or 'none'}.")
    rows = sa.text(_body(sql)).columns(*[sa.column(name) for name in names]).cte("migrating")
    inserted = (target.insert().from_select([target.c[name] for name in values], sa.select(*[rows.c[n] for n in values]))
                .returning(sa.literal_column("1")).cte("inserted"))
    return _map(rows, source, carried, "migrated", also={target.name: inserted})


def _map(rows, source: LegacySource, carried: Table, outcome: str, also: dict | None = None) -> sa.Select:
    """Return the statement writing the ``legacy_id_map`` entries of ``rows``; its result: rows per table."""
    m = legacy_id_map
    if outcome == "merged":
        new_id, reason, kept = rows.c.new_id, rows.c.reason, whole_legacy_row(carried, source)
    else:
        notes = [rows.c.note] if "note" in rows.c else []
        new_id = rows.c.id
        reason = sa.func.nullif(sa.func.concat_ws(text_value("; "), *notes, carried.c.unfit_reason), text_value(""))
        kept = sa.case((carried.c.unfit_reason.is_not(None), carried.c.legacy_row))
    mapped = m.insert().from_select(
        [m.c.legacy_table, m.c.legacy_id, m.c.new_table, m.c.new_id, m.c.outcome, m.c.reason, m.c.legacy_row],
        sa.select(sa.literal(source.name), _legacy_id(carried, source), sa.literal(source.new_table.name), new_id,
                  sa.literal(outcome), reason, kept)
        .select_from(rows.join(carried, carried.c[source.key] == rows.c.legacy_key)),
    ).returning(sa.literal_column("1")).cte("mapped")
    return _counts({**(also or {}), m.name: mapped})


def _counts(written: dict[str, sa.CTE]) -> sa.Select:
    """Return the SELECT of one JSONB object: per table, how many rows its data-modifying CTE wrote."""
    pairs = [part for table, cte in written.items()
             for part in (text_value(table), sa.select(sa.func.count()).select_from(cte).scalar_subquery())]
    return sa.select(sa.func.jsonb_build_object(*pairs))
