"""Counts computed in SQL: per time period, per column, per industry.

Only the aggregated rows travel to Python. Filters are those of `load`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..database.connection import get_engine
from ..errors import InvalidFilterError, UnknownIdentifierError
from ..schema.tables import users
from . import catalog, query
from .dtypes import Options, kind_of, spec_for
from .frames import frame_from_rows

PERIODS = ("hour", "day", "week", "month", "quarter", "year")
_OPTIONS = Options()


def _setup(table, engine, where, filters):
    engine = engine if engine is not None else get_engine()
    relation = catalog.resolve(table, engine)
    if where is not None:
        if not isinstance(where, Mapping):
            raise InvalidFilterError(f"where={where!r} must be a mapping of filters")
        filters = {**where, **filters}
    return engine, relation, filters


def _group_column(relation: sa.Table, name) -> tuple[sa.ColumnElement, sa.FromClause]:
    """The column to group by and the FROM it needs: the table's own, or users.industry through user_id."""
    if isinstance(name, str) and name in relation.c:
        return relation.c[name], relation
    if name == "industry" and "user_id" in relation.c:
        return users.c.industry, relation.outerjoin(users, users.c.id == relation.c.user_id)
    if name == "industry":
        raise UnknownIdentifierError(
            f"table {relation.name} has neither an industry column nor a user_id to find the user's industry; "
            f"columns: {catalog.column_list(relation)}"
        )
    raise UnknownIdentifierError(catalog.unknown_column_message(relation, name, what="count_by"))


def _grouped_count(specs: list, grouped: list, *, count_first: bool) -> sa.Select:
    """SELECT the group columns (as their specs read them) and count(*), grouped, ordered.

    Appends the ``count`` spec to ``specs``.
    """
    count = sa.func.count()
    specs.append(spec_for(count, _OPTIONS, name="count", kind="integer", nullable=False))
    statement = sa.select(*[spec.expression for spec in specs]).group_by(*grouped)
    return statement.order_by(count.desc(), *grouped) if count_first else statement.order_by(*grouped)


def _run(engine: Engine, statement: sa.Select, specs) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    frame = frame_from_rows(specs, rows, _OPTIONS)
    frame["count"] = frame["count"].astype(np.int64)
    return frame


def count_by(table: str, *by: str, since=None, until=None, time_column: str | None = None,
             where: Mapping[str, object] | None = None, engine: Engine | None = None, **filters) -> pd.DataFrame:
    """Return the number of rows per value of the ``by`` columns, largest count first.

    Columns: each of ``by`` (dtypes as in `load`) then ``count`` (int64). ``"industry"`` on a
    table without that column counts by the industry of the row's user (users.industry,
    joined on user_id). Filters, ``since`` and ``until`` are those of `load`.

    Example::

        >>> count_by("assessments", "organization_id", since="2025-01-01", status="completed")
                                  organization_id  count
        0  4b1e...-...                                 12
    """
    if not by:
        raise InvalidFilterError("count_by needs at least one column to group by, e.g. count_by('assessments', 'status')")
    engine, relation, filters = _setup(table, engine, where, filters)
    source: sa.FromClause = relation
    targets = []
    for name in by:
        column, joined = _group_column(relation, name)
        if joined is not relation:
            source = joined
        targets.append(column.label(name))
    inner = (
        sa.select(*targets)
        .select_from(source)
        .where(*query.conditions(relation, filters, since=since, until=until, time_column=time_column))
        .subquery("rows")
    )
    grouped = [inner.c[name] for name in by]
    specs = [spec_for(col, _OPTIONS, name=name, nullable=True) for name, col in zip(by, grouped)]
    return _run(engine, _grouped_count(specs, grouped, count_first=True), specs)


def count_by_industry(table: str, *, since=None, until=None, time_column: str | None = None,
                      where: Mapping[str, object] | None = None, engine: Engine | None = None,
                      **filters) -> pd.DataFrame:
    """Return the number of rows per industry (columns ``industry``, ``count``), largest first.

    Uses the table's own ``industry`` column, or else the industry of each row's user.

    Example::

        >>> count_by_industry("assessments", since="2025-01-01")
             industry  count
        0  technology    420
        1      retail    133
    """
    return count_by(table, "industry", since=since, until=until, time_column=time_column, where=where,
                    engine=engine, **filters)


def count_by_period(table: str, period: str = "month", *, by: str | None = None, since=None, until=None,
                    time_column: str | None = None, where: Mapping[str, object] | None = None,
                    engine: Engine | None = None, **filters) -> pd.DataFrame:
    """Return the number of rows per ``period`` of the time column, oldest period first.

    ``period``: hour, day, week, month, quarter or year, truncated in UTC
    (``date_trunc(period, time_column, 'UTC')``). Columns: ``period``
    (datetime64[ns, UTC], the start of each period that has rows), then ``by`` if given
    (one row per period and value), then ``count`` (int64). The time column is the one
    `load`'s ``since``/``until`` use, or ``time_column``.

    Example::

        >>> count_by_period("assessments", "month", since="2025-01-01", organization_id=org_id)
                             period  count
        0 2025-01-01 00:00:00+00:00     31
        1 2025-02-01 00:00:00+00:00     27
    """
    if period not in PERIODS:
        raise InvalidFilterError(f"period={period!r} is not one of: {', '.join(PERIODS)}")
    engine, relation, filters = _setup(table, engine, where, filters)
    column = catalog.time_column(relation, time_column)
    kind = kind_of(column.type)
    unit = sa.bindparam(None, period, type_=sa.Text)
    if kind == "timestamptz":
        truncated = sa.func.date_trunc(unit, column, sa.bindparam(None, "UTC", type_=sa.Text))
    elif kind in ("timestamp", "date"):  # wall-clock UTC times: truncate, then mark as UTC
        truncated = sa.func.timezone("UTC", sa.func.date_trunc(unit, sa.cast(column, sa.DateTime())))
    else:
        raise InvalidFilterError(f"count_by_period: {column.name} of {relation.name} is not a date or time column")
    targets = [truncated.label("period")]
    source: sa.FromClause = relation
    if by is not None:
        by_column, source = _group_column(relation, by)
        targets.append(by_column.label(by))
    inner = (
        sa.select(*targets)
        .select_from(source)
        .where(column.is_not(None), *query.conditions(relation, filters, since=since, until=until, time_column=time_column))
        .subquery("rows")
    )
    grouped = [inner.c.period] + ([inner.c[by]] if by is not None else [])
    specs = [spec_for(inner.c.period, _OPTIONS, name="period", kind="timestamptz", nullable=False)]
    if by is not None:
        specs.append(spec_for(inner.c[by], _OPTIONS, name=by, nullable=True))
    return _run(engine, _grouped_count(specs, grouped, count_first=False), specs)
