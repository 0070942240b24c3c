"""Checking and converting report parameters against their declaration (`catalog`).

Values arrive in three forms: strings from the command line (``-p as_of
2024-01-31``), literals from a notebook's parameters cell or papermill, and
typed Python values. `coerce` turns any of them into the declared type (date,
UUID, int, ...), `to_notebook` back into the literal the notebook holds.
Every failure is an `InvalidParameterError` or `UnknownIdentifierError` whose
message is one line naming the report, the parameter and what is allowed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ..errors import DatabaseUnavailableError, InvalidParameterError, UnknownIdentifierError
from .catalog import Parameter, Report

_NONE_WORDS = {"", "none", "null"}
_TRUE_WORDS = {"true", "yes", "y", "1", "on"}
_FALSE_WORDS = {"false", "no", "n", "0", "off"}
_FORMS = {
    "str": "a text", "int": "an integer", "float": "a number", "bool": "true or false",
    "date": "a date (YYYY-MM-DD)", "uuid": "a UUID",
}


def _fail(report: Report, parameter: Parameter, value, why: str) -> InvalidParameterError:
    return InvalidParameterError(f"report {report.name}: parameter {parameter.name}={to_notebook(value)!r} {why}")


def _convert(kind: str, value):
    """Return ``value`` as the Python value of declared type ``kind``; raise ValueError/TypeError if it is not one."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
            return value.strip().lower() in _TRUE_WORDS
        raise ValueError
    if isinstance(value, bool):
        raise TypeError  # True is an int in Python, never a number or a text here
    if kind == "int":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if isinstance(value, int) else int(str(value).strip())
    if kind == "float":
        return float(value) if isinstance(value, (int, float)) else float(str(value).strip())
    if kind == "str":
        if not isinstance(value, str):
            raise TypeError
        return value
    if kind == "date":
        if isinstance(value, datetime):
            raise TypeError
        return value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    if kind == "uuid":
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip())
    raise ValueError(f"unknown parameter type {kind!r}")


def coerce(report: Report, parameter: Parameter, value) -> Any:
    """Return ``value`` converted to ``parameter``'s declared type, or raise InvalidParameterError saying why."""
    if isinstance(value, str) and parameter.nullable and value.strip().lower() in _NONE_WORDS:
        value = None
    if value is None:
        if parameter.nullable:
            return None
        raise _fail(report, parameter, value, f"is not allowed: give {_FORMS[parameter.type]}.")
    try:
        typed = _convert(parameter.type, value)
    except (ValueError, TypeError):
        alternatives = " or none" if parameter.nullable else ""
        raise _fail(report, parameter, value, f"is not {_FORMS[parameter.type]}{alternatives}.") from None
    _check_allowed(report, parameter, typed)
    return typed


# Every date a report takes becomes a pandas Timestamp (nanoseconds since 1970 in
# 64 bits) and may be moved by a day (an inclusive ``until`` is compared as
# ``< until + 1 day``): only dates a day inside Timestamp's range are safe.
FIRST_DATE = date(1677, 9, 23)
LAST_DATE = date(2262, 4, 10)


def _check_allowed(report: Report, parameter: Parameter, typed) -> None:
    if parameter.type == "date" and not FIRST_DATE <= typed <= LAST_DATE:
        raise _fail(report, parameter, typed, f"is outside the dates a report can hold ({FIRST_DATE} to {LAST_DATE}).")
    if parameter.choices is not None and typed not in parameter.choices:
        raise _fail(report, parameter, typed, f"is not one of: {', '.join(map(str, parameter.choices))}.")
    if parameter.minimum is not None and typed < parameter.minimum:
        raise _fail(report, parameter, typed, f"is below the minimum {parameter.minimum:g}.")
    if parameter.maximum is not None and typed > parameter.maximum:
        raise _fail(report, parameter, typed, f"is above the maximum {parameter.maximum:g}.")
    message = parameter.validator(typed) if parameter.validator else None
    if message:
        raise _fail(report, parameter, typed, f"is not allowed: {message}")


def to_notebook(value) -> Any:
    """Return ``value`` as a notebook literal: dates as ISO strings, UUIDs as strings, the rest unchanged."""
    if isinstance(value, (date, uuid.UUID)):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


def validate(report: Report, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return every declared parameter of ``report`` as a typed value (defaults filling the gaps).

    Raises UnknownIdentifierError for a name the report does not declare and
    InvalidParameterError for a value of the wrong type, outside the allowed
    values, or failing a check (a future ``as_of``, ``since`` after ``until``).
    """
    declared = {p.name for p in report.parameters}
    unknown = sorted(set(values) - declared)
    if unknown:
        raise UnknownIdentifierError(
            f"report {report.name}: unknown parameter(s) {', '.join(unknown)}; "
            f"its parameters are: {', '.join(p.name for p in report.parameters)}."
        )
    typed = {p.name: coerce(report, p, values.get(p.name, p.default)) for p in report.parameters}
    for check in report.checks:
        message = check(typed)
        if message:
            raise InvalidParameterError(f"report {report.name}: {message}")
    return typed


def check_database(report: Report, typed: Mapping[str, Any], connection) -> None:
    """Raise InvalidParameterError if a value that must exist in the database (an organization) does not."""
    for parameter in report.parameters:
        value = typed.get(parameter.name)
        if parameter.exists_sql is None or value is None:
            continue
        try:
            query = parameter.exists_sql if isinstance(parameter.exists_sql, sa.Select) else sa.text(parameter.exists_sql)
            found = connection.execute(query, {"value": str(value)}).scalar()
        except sa.exc.OperationalError as exc:
            raise DatabaseUnavailableError(f"the database stopped answering: {str(exc.orig).strip().splitlines()[0]}") from None
        if not found:
            raise _fail(report, parameter, str(value), "names nothing in the database; "
                        "`bi-workbench report list` says what it refers to.")


def from_namespace(report: Report, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Return the typed parameters of ``report`` read from a notebook's globals (every declared name must be there)."""
    missing = [p.name for p in report.parameters if p.name not in namespace]
    if missing:
        raise InvalidParameterError(
            f"report {report.name}: the notebook's parameters cell does not set {', '.join(missing)}; "
            "it must hold exactly the declared defaults (see bi_workbench.reports.notebooks.parameters_cell_source)."
        )
    return validate(report, {p.name: namespace[p.name] for p in report.parameters})


def split_for_reports(reports: Iterable[Report], raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {report name: the raw values it declares}; raise UnknownIdentifierError for a name none declares."""
    reports = list(reports)
    if len(reports) == 1:
        return {reports[0].name: dict(raw)}  # `validate` names the report's own parameters
    declared = {p.name for r in reports for p in r.parameters}
    unknown = sorted(set(raw) - declared)
    if unknown:
        names = ", ".join(r.name for r in reports)
        raise UnknownIdentifierError(
            f"unknown parameter(s) {', '.join(unknown)} for {names}; `bi-workbench report list` shows each report's parameters."
        )
    return {r.name: {k: v for k, v in raw.items() if k in {p.name for p in r.parameters}} for r in reports}
