"""Values PostgreSQL or pandas cannot carry: checked before any SQL (inputs) and after reading (results).

Inputs (loader filters, the write API): PostgreSQL text and JSON cannot hold a NUL
character, and a NaN or infinity given as a filter or a field is a mistake rather
than a value (NaN compares unlike any number in SQL). `reject_unstorable` finds either
anywhere in a value (strings, dict keys and values, lists, nested JSON) and raises the
caller's error naming the field, before a statement is built.

Results: a stored value pandas cannot hold is never returned silently wrong. Timestamps
of ``infinity``/``-infinity`` or outside the result dtype's range become missing (NaT /
null) with an `UnrepresentableValueWarning` naming table, column and count (see
`bi_workbench.loaders.dtypes`); JSON nested deeper than Python's parser allows raises
`UnrepresentableValueError` naming table, column and count when it is asked for as
objects (``json_as="str"``, the default, returns its text).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pandas as pd

from ..errors import WorkbenchError


class UnrepresentableValueError(WorkbenchError, ValueError):
    """A stored value cannot be returned in the representation asked for (the message says how to read it)."""


class UnrepresentableValueWarning(UserWarning):
    """Stored values were replaced by missing values because the result's dtype cannot hold them."""


#: Nesting a value may have: json writes nested values by recursion (Python's limit is 1,000 frames).
MAX_DEPTH = 500
#: Bits of the longest integer written as text (Python refuses over 4,300 digits).
MAX_INT_BITS = 13_000


def _problem(value) -> str | None:
    """What is wrong with one scalar, or None."""
    if isinstance(value, str):
        return "contains a NUL character (\\x00), which PostgreSQL text cannot store" if "\x00" in value else None
    if isinstance(value, (bytes, bytearray)):
        return "contains a NUL byte (\\x00), which PostgreSQL text cannot store" if b"\x00" in value else None
    if isinstance(value, Decimal):
        return None if value.is_finite() else f"is {value}, not a finite number"
    if isinstance(value, (float, np.floating)):
        return None if math.isfinite(value) else f"is {value}, not a finite number"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value).bit_length() > MAX_INT_BITS:
        return "is an integer too long to be written as text (more than 4,000 digits)"
    if value is pd.NA or value is pd.NaT:
        return f"is pandas' missing value {value}, which no column stores as such; give None for NULL"
    return None


def find_unstorable(value) -> tuple[str, str] | None:
    """Return (where, what) of the first NUL character or non-finite number inside ``value``, or None.

    ``where`` is the path inside the value ('' for the value itself, else like ``['a'][0]``).
    Walks nested dicts, lists, tuples, sets, arrays and pandas Series/Index without recursion (any depth).
    Example::

        >>> find_unstorable({"notes": ["ok", "fast\\x00"]})
        ("['notes'][1]", 'contains a NUL character (\\\\x00), which PostgreSQL text cannot store')
    """
    stack = [("", value, 0)]
    while stack:
        where, item, depth = stack.pop()
        nested = isinstance(item, (Mapping, list, tuple, set, frozenset, np.ndarray, pd.Series, pd.Index,
                                   pd.api.extensions.ExtensionArray))
        if nested and depth >= MAX_DEPTH:
            return where[:40] + "...", f"nests deeper than {MAX_DEPTH} levels, more than JSON is written with"
        if isinstance(item, Mapping):
            for key, inner in reversed(list(item.items())):
                problem = _problem(key)
                if problem:
                    return f"{where} key {key!r}", problem
                stack.append((f"{where}[{key!r}]", inner, depth + 1))
        elif nested:
            stack.extend((f"{where}[{i}]", inner, depth + 1) for i, inner in reversed(list(enumerate(item))))
        else:
            problem = _problem(item)
            if problem:
                return where, problem
    return None


def reject_unstorable(value, field: str, error: type[WorkbenchError]) -> None:
    """Raise ``error`` naming ``field`` if ``value`` holds a NUL character or a non-finite number.

    Example::

        >>> reject_unstorable("fast\\x00", "milestone", InvalidParameterError)
        Traceback (most recent call last):
        InvalidParameterError: milestone contains a NUL character (\\x00), which PostgreSQL text cannot store
    """
    found = find_unstorable(value)
    if found is not None:
        where, problem = found
        raise error(f"{field}{where} {problem}")
