"""Building the SELECT of a load with SQLAlchemy Core: columns, filters, time range, order, limit.

Filter values are checked against their column's type here and always become
bound parameters (`sqlalchemy.bindparam`); no value is ever formatted into SQL
text. Filters are written Django-style, ``column`` or ``column__operator``:

===========  ==================================================================
operator     meaning
===========  ==================================================================
(none), eq   ``= value``; a list/tuple/set means IN; None means IS NULL
in           IN the given list/tuple/set (empty: no row matches)
ne           IS DISTINCT FROM value (rows with NULL are kept); a list: NOT IN
lt lte       ``<`` / ``<=``
gt gte       ``>`` / ``>=``
between      ``(low, high)``, both ends included; None for an open end
isnull       True: IS NULL, False: IS NOT NULL
like ilike   SQL pattern (``%`` and ``_`` wildcards), case-sensitive / not
contains     text: substring (no wildcards); arrays and JSON: ``@>`` containment
===========  ==================================================================
"""

from __future__ import annotations

import ipaddress
import json
import numbers
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ..errors import InvalidFilterError, UnknownIdentifierError
from ..timeparse import parse_instant
from . import catalog
from .dtypes import ColumnSpec, Options, inet_text, kind_of, spec_for
from .values import reject_unstorable

OPERATORS = ("eq", "ne", "in", "lt", "lte", "gt", "gte", "between", "isnull", "like", "ilike", "contains")
_ORDERED_KINDS = {"uuid", "timestamptz", "timestamp", "date", "integer", "float", "numeric", "text", "inet"}
_TEXT_KINDS = {"text", "inet"}


@dataclass(frozen=True)
class LoadQuery:
    """A built load: the relation, the output columns (in order) and the SELECT that reads them.

    Example::

        >>> [s.name for s in build(users, Options(), columns=["id", "email"]).specs]
        ['id', 'email']
    """

    table: sa.Table
    specs: list[ColumnSpec]
    statement: sa.Select


def build(table: sa.Table, options: Options, *, columns=None, filters: Mapping[str, object] | None = None,
          since=None, until=None, time_column: str | None = None, order_by=None, limit=None,
          json_fields: Mapping[str, Sequence] | None = None) -> LoadQuery:
    """Return the LoadQuery of ``table`` with these columns, filters, order and limit (all validated).

    Example::

        >>> print(build(users, Options(), columns=["email"], filters={"role": "admin"}, limit=5).statement)
        SELECT users.email AS email
        FROM users
        WHERE users.role = :param_1
         LIMIT :param_2
    """
    specs, order_targets = _select_list(table, options, columns, json_fields)
    statement = sa.select(*[s.expression for s in specs]).select_from(table)
    statement = statement.where(*conditions(table, filters or {}, since=since, until=until, time_column=time_column))
    statement = statement.order_by(*_order_clauses(table, order_by, order_targets))
    if limit is not None:
        statement = statement.limit(check_limit(limit))
    return LoadQuery(table, specs, statement)


# --- columns ---------------------------------------------------------------------


def _select_list(table: sa.Table, options: Options, columns, json_fields) -> tuple[list[ColumnSpec], dict]:
    chosen = _chosen_columns(table, columns)
    fields = _json_field_specs(table, json_fields)
    specs: list[ColumnSpec] = []
    for name in chosen:
        if name not in fields or columns is not None:
            specs.append(spec_for(table.c[name], options))
        specs.extend(fields.pop(name, []))
    for extracted in fields.values():  # JSON columns flattened but not selected themselves
        specs.extend(extracted)
    order_targets = {s.name: s.expression.element for s in specs}
    return specs, order_targets


def _chosen_columns(table: sa.Table, columns) -> list[str]:
    if columns is None:
        return [c.name for c in table.c]
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, (list, tuple, pd.Index)) or not len(columns):
        raise InvalidFilterError(f"columns={columns!r} must be a non-empty list of column names of {table.name}")
    names: list[str] = []
    for name in columns:
        catalog.column(table, name)
        if name not in names:
            names.append(name)
    return names


def _json_field_specs(table: sa.Table, json_fields) -> dict[str, list[ColumnSpec]]:
    if json_fields is None:
        return {}
    if not isinstance(json_fields, Mapping):
        raise InvalidFilterError(
            f"json_fields={json_fields!r} must map a JSON column to the keys to extract, e.g. {{'responses': ['growth_pace']}}"
        )
    found: dict[str, list[ColumnSpec]] = {}
    for name, keys in json_fields.items():
        column = catalog.column(table, name, what="json_fields")
        if kind_of(column.type) != "json":
            raise InvalidFilterError(f"json_fields: column {name!r} of {table.name} is {column.type}, not JSON")
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, (list, tuple)) or not keys:
            raise InvalidFilterError(f"json_fields[{name!r}]={keys!r} must be a non-empty list of keys")
        specs = []
        for key in keys:
            path = _json_path(name, key)
            label = ".".join([name, *path])
            if any(spec.name == label for spec in specs):
                continue  # asked for twice
            element = column[path[0] if len(path) == 1 else tuple(path)].astext
            specs.append(ColumnSpec(label, "text", True, element.label(label)))
        found[name] = specs
    return found


def _json_path(column: str, key) -> list[str]:
    path = [key] if isinstance(key, str) else list(key) if isinstance(key, (list, tuple)) else None
    if not path or not all(isinstance(part, str) and part for part in path):
        raise InvalidFilterError(
            f"json_fields[{column!r}]: key {key!r} must be a string, or a list of strings for a nested path"
        )
    reject_unstorable(path, f"json_fields[{column!r}]", InvalidFilterError)
    return path


# --- filters ---------------------------------------------------------------------


def conditions(table: sa.Table, filters: Mapping[str, object], *, since=None, until=None,
               time_column: str | None = None) -> list[sa.ColumnElement]:
    """Return the WHERE conditions of ``filters`` and the time range on ``table`` (values bound, checked).

    Example::

        >>> [str(c) for c in conditions(users, {"role__in": ["admin"]}, since="2025-01-01")]
        ['users.role = ANY (:param_1)', 'users.created_at >= :param_1']
    """
    found = []
    for key, value in filters.items():
        name, op = split_filter(table, key)
        found.append(condition(table.c[name], op, value, param=key))
    if since is not None or until is not None:
        column = catalog.time_column(table, time_column)
        kind = kind_of(column.type)
        if since is not None:
            reject_unstorable(since, "since", InvalidFilterError)
            found.append(column >= _bind(column, coerce(since, kind, "since")))
        if until is not None:
            reject_unstorable(until, "until", InvalidFilterError)
            found.append(column < _bind(column, coerce(until, kind, "until")))
    elif time_column is not None:
        catalog.time_column(table, time_column)
    return found


def split_filter(table: sa.Table, key: str) -> tuple[str, str]:
    """Return (column, operator) of a filter keyword such as ``created_at__gte``, or raise.

    Raises UnknownIdentifierError for an unknown column or operator. Example::

        >>> split_filter(users, "created_at__gte"), split_filter(users, "email")
        (('created_at', 'gte'), ('email', 'eq'))
    """
    if key in table.c:
        return key, "eq"
    name, sep, op = key.rpartition("__")
    if not sep or name not in table.c:
        raise UnknownIdentifierError(catalog.unknown_column_message(table, name if sep else key))
    if op not in OPERATORS:
        raise UnknownIdentifierError(
            f"unknown operator {op!r} in filter {key!r}{catalog.did_you_mean(op, list(OPERATORS))}; "
            f"operators: {', '.join(OPERATORS)}"
        )
    return name, op


def condition(column: sa.Column, op: str, value, *, param: str) -> sa.ColumnElement:
    """Return the SQL condition ``column <op> value`` with ``value`` checked and bound.

    Example::

        >>> str(condition(users.c.industry, "ne", "retail", param="industry__ne"))
        'users.industry IS DISTINCT FROM :param_1'
    """
    kind = kind_of(column.type)
    reject_unstorable(value, param, InvalidFilterError)
    if op == "isnull":
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidFilterError(f"{param}={value!r} must be True or False")
        return column.is_(None) if value else column.is_not(None)
    if op in ("eq", "ne"):
        if value is None:
            return column.is_(None) if op == "eq" else column.is_not(None)
        if _is_many(value) and kind not in ("array", "json"):
            values = _coerce_many(value, kind, param)
            return _in(column, values) if op == "eq" else _not_in(column, values)
        bound = _bind(column, coerce(value, kind, param))
        return column == bound if op == "eq" else column.is_distinct_from(bound)
    if op == "in":
        if not _is_many(value):
            raise InvalidFilterError(f"{param}={value!r} must be a list, tuple or set of values")
        return _in(column, _coerce_many(value, kind, param))
    if op in ("lt", "lte", "gt", "gte", "between"):
        if kind not in _ORDERED_KINDS:
            raise InvalidFilterError(f"{param}: operator {op} does not apply to {kind} column {column.name}")
        if op == "between":
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise InvalidFilterError(f"{param}={value!r} must be a pair (low, high); None leaves an end open")
            low, high = value
            parts = []
            if low is not None:
                parts.append(column >= _bind(column, coerce(low, kind, param)))
            if high is not None:
                parts.append(column <= _bind(column, coerce(high, kind, param)))
            return sa.and_(sa.true(), *parts)
        bound = _bind(column, coerce(value, kind, param))
        return {"lt": column < bound, "lte": column <= bound, "gt": column > bound, "gte": column >= bound}[op]
    if op in ("like", "ilike"):
        if kind not in _TEXT_KINDS:
            raise InvalidFilterError(f"{param}: operator {op} applies to text columns; {column.name} is {kind}")
        if not isinstance(value, str):
            raise InvalidFilterError(f"{param}={value!r} must be a text pattern such as 'acme%'")
        target = inet_text(column) if kind == "inet" else column
        bound = sa.bindparam(None, value, type_=sa.Text)
        return target.like(bound) if op == "like" else target.ilike(bound)
    # contains
    if kind in _TEXT_KINDS:
        if not isinstance(value, str):
            raise InvalidFilterError(f"{param}={value!r} must be text")
        target = inet_text(column) if kind == "inet" else column
        escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
        return target.like(sa.bindparam(None, f"%{escaped}%", type_=sa.Text), escape="/")
    if kind in ("array", "json"):
        return column.contains(_bind(column, coerce(value, kind, param)))
    raise InvalidFilterError(f"{param}: operator contains applies to text, array and JSON columns; {column.name} is {kind}")


def _is_many(value) -> bool:
    return isinstance(value, (list, tuple, set, frozenset, pd.Index, pd.Series, np.ndarray))


def _coerce_many(value, kind: str, param: str) -> list:
    return [None if item is None else coerce(item, kind, param) for item in value]


def _in(column: sa.Column, values: list) -> sa.ColumnElement:
    """``column = ANY(array)``: one bound array parameter whatever the list's length; None matches NULL."""
    present = [v for v in values if v is not None]
    parts = []
    if present:
        parts.append(column == sa.any_(_bind_array(column, present)))
    if len(present) < len(values):
        parts.append(column.is_(None))
    return sa.or_(*parts) if parts else sa.false()


def _not_in(column: sa.Column, values: list) -> sa.ColumnElement:
    """Rows whose value is none of ``values``; NULL rows are kept unless None is one of the values."""
    present = [v for v in values if v is not None]
    has_null = len(present) < len(values)
    if not present:
        return column.is_not(None) if has_null else sa.true()
    differs = sa.not_(column == sa.any_(_bind_array(column, present)))
    return differs if has_null else sa.or_(differs, column.is_(None))


def _bind_array(column: sa.Column, values: list) -> sa.BindParameter:
    return sa.bindparam(None, values, type_=pg.ARRAY(_bind_type(column)))


def _bind_type(column: sa.Column) -> sa.types.TypeEngine:
    kind = kind_of(column.type)
    if kind == "numeric":
        return sa.Numeric()  # no precision: a value is not rounded to the column's scale before comparing
    if kind == "float":
        return sa.Float()
    if kind == "json":
        return pg.JSONB()
    if kind == "inet":
        return pg.INET()
    return column.type


def _bind(column: sa.Column, value) -> sa.BindParameter:
    return sa.bindparam(None, value, type_=_bind_type(column))


# --- value checks ----------------------------------------------------------------


def coerce(value, kind: str, param: str):
    """Return ``value`` as the Python value bound for a column of ``kind``, or raise InvalidFilterError naming ``param``.

    Example::

        >>> coerce("00000000-0000-0000-0000-000000000001", "uuid", "user_id")
        UUID('00000000-0000-0000-0000-000000000001')
    """
    if kind == "uuid":
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        raise InvalidFilterError(f"{param}={value!r} is not a UUID")
    if kind in ("timestamptz", "timestamp", "date"):
        return to_datetime(value, param, kind)
    if kind == "integer":
        if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
            return int(value)
        raise InvalidFilterError(f"{param}={value!r} is not an integer")
    if kind in ("numeric", "float"):
        if isinstance(value, (numbers.Real, Decimal)) and not isinstance(value, (bool, np.bool_)):
            if isinstance(value, Decimal):
                return value
            return int(value) if isinstance(value, numbers.Integral) else float(value)
        raise InvalidFilterError(f"{param}={value!r} is not a number")
    if kind == "boolean":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise InvalidFilterError(f"{param}={value!r} is not True or False")
    if kind == "text":
        if isinstance(value, str):
            return value
        raise InvalidFilterError(f"{param}={value!r} is not text (a str)")
    if kind == "inet":
        try:
            return str(ipaddress.ip_interface(str(value)))
        except ValueError:
            raise InvalidFilterError(f"{param}={value!r} is not an IP address") from None
    if kind == "array":
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return list(value)
        raise InvalidFilterError(f"{param}={value!r} is not a list of strings")
    if kind == "json":
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise InvalidFilterError(f"{param}={value!r} is not a JSON value (dict, list, str, number, bool)") from None
        return value
    return value


def to_datetime(value, param: str, kind: str = "timestamptz"):
    """Return ``value`` (ISO text, date, datetime, pandas Timestamp) as the datetime or date bound for ``kind``.

    Naive times are taken as UTC. Raises InvalidFilterError naming ``param`` for anything else.
    Example::

        >>> to_datetime("2025-01-01", "since")
        datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    parsed = parse_instant(value)
    if parsed is None:
        raise InvalidFilterError(
            f"{param}={value!r} is not a date or time; write it as '2025-01-01', '2025-01-01T12:00:00+00:00' "
            "or pass a date/datetime"
        )
    if kind == "date":
        return parsed.date()
    if kind == "timestamp":
        return parsed.replace(tzinfo=None)
    return parsed


# --- order and limit -------------------------------------------------------------


def _order_clauses(table: sa.Table, order_by, targets: dict) -> list:
    if order_by is None:
        return []
    items = [order_by] if isinstance(order_by, str) else order_by
    if not isinstance(items, (list, tuple)):
        raise InvalidFilterError(f"order_by={order_by!r} must be a column name ('-name' for descending) or a list of them")
    clauses = []
    for item in items:
        if not isinstance(item, str) or not item.lstrip("-"):
            raise InvalidFilterError(f"order_by: {item!r} is not a column name")
        descending = item.startswith("-")
        name = item[1:] if descending else item
        if name in table.c:
            target = table.c[name]
        elif name in targets:
            target = targets[name]
        else:
            raise UnknownIdentifierError(catalog.unknown_column_message(table, name, what="order_by"))
        clauses.append(target.desc() if descending else target.asc())
    return clauses


def check_limit(limit) -> int:
    """Return ``limit`` as an int, or raise InvalidFilterError unless it is a whole number >= 0.

    Example::

        >>> check_limit(np.int64(10))
        10
    """
    if isinstance(limit, numbers.Integral) and not isinstance(limit, (bool, np.bool_)) and limit >= 0:
        return int(limit)
    raise InvalidFilterError(f"limit={limit!r} must be a whole number >= 0 (or None for all rows)")
