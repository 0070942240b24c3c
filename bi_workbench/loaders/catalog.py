"""What can be loaded: the schema's tables, and the read-model views reflected from the database.

Tables come from the schema model (`bi_workbench.schema.tables.metadata`).
The views and the materialized view are defined in SQL
(`schema/sql/read_models.sql`), so their columns are reflected from the live
database the first time they are loaded, once per Engine.
"""

from __future__ import annotations

import difflib
import threading
import weakref

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import NoSuchTableError

from ..errors import SchemaMissingError, UnknownIdentifierError
from ..schema.drift import MATERIALIZED_VIEWS, VIEWS
from ..schema.tables import metadata

#: Read models that `load` accepts besides the tables.
READ_MODELS = VIEWS + MATERIALIZED_VIEWS

#: The column `since` / `until` filter, where it is not ``created_at``.
TIME_COLUMNS = {
    "news_feed": "published_at",
    "user_sessions": "started_at",
    "organization_members": "joined_at",
    "assessment_analytics_summary": "month",
}
DEFAULT_TIME_COLUMN = "created_at"

_reflected: weakref.WeakKeyDictionary[Engine, dict[str, sa.Table]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def relation_names() -> list[str]:
    """Return the names `load` accepts (tables and read-model views), sorted.

    Example::

        >>> "assessments" in relation_names()
        True
    """
    return sorted([*metadata.tables, *READ_MODELS])


def is_view(name: str) -> bool:
    """Return whether ``name`` is one of the read-model views (not a table).

    Example::

        >>> is_view("organization_analytics"), is_view("users")
        (True, False)
    """
    return name in READ_MODELS


def resolve(name: object, engine: Engine, connection: Connection | None = None) -> sa.Table:
    """Return the SQLAlchemy Table for table or view ``name``, or raise UnknownIdentifierError.

    Views are reflected from the database on first use and cached per Engine.

    Example::

        >>> resolve("assessments", engine).c.organization_id.name
        'organization_id'
    """
    if not isinstance(name, str):
        raise UnknownIdentifierError(f"the table must be given by name (a string), got {type(name).__name__} {name!r}")
    if name in metadata.tables:
        return metadata.tables[name]
    if name not in READ_MODELS:
        raise UnknownIdentifierError(
            f"unknown table {name!r}{did_you_mean(name, relation_names())}; tables and views: {', '.join(relation_names())}"
        )
    with _lock:
        cached = _reflected.setdefault(engine, {})
        if name in cached:
            return cached[name]
    try:
        if connection is not None:
            table = sa.Table(name, sa.MetaData(), autoload_with=connection)
        else:
            with engine.connect() as conn:
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    except NoSuchTableError:
        raise SchemaMissingError(
            f"the view {name} does not exist in the database; run `bi-workbench db init` to create the read models."
        ) from None
    with _lock:
        _reflected.setdefault(engine, {})[name] = table
    return table


def time_column(table: sa.Table, override: str | None = None) -> sa.Column:
    """Return the column that `since` / `until` filter on for ``table``.

    ``created_at`` unless the table has another (``TIME_COLUMNS``), or ``override``.
    Raises UnknownIdentifierError if there is none. Example::

        >>> time_column(metadata.tables["news_feed"]).name
        'published_at'
    """
    name = override or TIME_COLUMNS.get(table.name, DEFAULT_TIME_COLUMN)
    if name not in table.c:
        if override:
            raise UnknownIdentifierError(unknown_column_message(table, override, what="time_column"))
        raise UnknownIdentifierError(
            f"table {table.name} has no time column for since/until; filter a column instead, "
            f"e.g. {next((c.name for c in table.c if _is_time(c)), 'a_column')}__gte=...; columns: {column_list(table)}"
        )
    return table.c[name]


def column(table: sa.Table, name: object, *, what: str = "column") -> sa.Column:
    """Return ``table``'s column ``name`` or raise UnknownIdentifierError listing the columns.

    Example::

        >>> column(metadata.tables["users"], "email").name
        'email'
    """
    if not isinstance(name, str) or name not in table.c:
        raise UnknownIdentifierError(unknown_column_message(table, name, what=what))
    return table.c[name]


def column_list(table: sa.Table) -> str:
    """Return the table's column names, comma-separated, in table order.

    Example::

        >>> column_list(metadata.tables["snapshots"])
        'id, aggregate_id, aggregate_type, state, version, created_at'
    """
    return ", ".join(c.name for c in table.c)


def unknown_column_message(table: sa.Table, name: object, *, what: str = "column") -> str:
    """Return "unknown column 'x' for table t; columns: a, b, ..." (with a suggestion when close).

    Example::

        >>> unknown_column_message(metadata.tables["snapshots"], "verison")
        "unknown column 'verison' for table snapshots (did you mean 'version'?); columns: id, aggregate_id, ..."
    """
    label = "unknown column" if what == "column" else f"unknown column in {what}"
    hint = did_you_mean(name, [c.name for c in table.c]) if isinstance(name, str) else ""
    return f"{label} {name!r} for table {table.name}{hint}; columns: {column_list(table)}"


def did_you_mean(name: object, candidates: list[str]) -> str:
    """Return " (did you mean 'x'?)" for the closest candidate, or "".

    Example::

        >>> did_you_mean("stauts", ["status", "role"])
        " (did you mean 'status'?)"
    """
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_time(col: sa.Column) -> bool:
    return isinstance(col.type, (sa.DateTime, sa.Date))
