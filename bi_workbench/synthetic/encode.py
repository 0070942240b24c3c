"""Turn generated values into PostgreSQL text-format literals (``None`` for NULL).

The results are what COPY's text format reads for each type, before COPY's own
escaping of backslashes, tabs and newlines (done in :mod:`.copy`).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .primitives import MISSING


def timestamps(ts: np.ndarray, *, tz: bool = True) -> np.ndarray:
    """Return ISO-8601 strings of int64 epoch seconds (``+00`` when ``tz``); ``MISSING`` gives None."""
    ts = np.asarray(ts, dtype=np.int64)
    text = np.datetime_as_string(ts.astype("datetime64[s]"), unit="s").astype(object)
    if tz:
        text = text + "+00"
    text[ts == MISSING] = None
    return text


def dates(ts: np.ndarray) -> np.ndarray:
    """Return YYYY-MM-DD strings of int64 epoch seconds; ``MISSING`` gives None."""
    ts = np.asarray(ts, dtype=np.int64)
    text = np.datetime_as_string(ts.astype("datetime64[s]").astype("datetime64[D]"), unit="D").astype(object)
    text[ts == MISSING] = None
    return text


def numbers(values: np.ndarray, decimals: int) -> np.ndarray:
    """Return fixed-point strings with ``decimals`` digits; NaN gives None."""
    values = np.asarray(values, dtype=float)
    text = np.array([f"{v:.{decimals}f}" for v in values.tolist()], dtype=object)
    text[np.isnan(values)] = None
    return text


def integers(values: np.ndarray) -> np.ndarray:
    """Return decimal strings of integers."""
    return np.asarray(values, dtype=np.int64).astype(str).astype(object)


def booleans(values: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    """Return 't'/'f' strings; rows flagged in ``null`` give None."""
    text = np.where(np.asarray(values, dtype=bool), "t", "f").astype(object)
    if null is not None:
        text[np.asarray(null, dtype=bool)] = None
    return text


def json_values(objects) -> np.ndarray:
    """Return each object serialised as JSON; None stays None (SQL NULL, not JSON null)."""
    return np.array([None if o is None else json.dumps(o, separators=(", ", ": ")) for o in objects], dtype=object)


def text_arrays(lists) -> np.ndarray:
    """Return PostgreSQL array literals of lists of strings; None stays None."""
    return np.array([None if items is None else _array_literal(items) for items in lists], dtype=object)


def _array_literal(items) -> str:
    """Return the ``{"a","b"}`` literal of one list, every element quoted and escaped."""
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
    return "{" + ",".join(quoted) + "}"


def categorical(codes: np.ndarray, categories) -> pd.Categorical:
    """Return the values ``categories[codes]`` (code -1 is NULL) without materialising them."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(categories))


def serial_ordered(batch: dict, created: np.ndarray) -> dict:
    """Return ``batch`` sorted by ``created`` with a SERIAL-like ``id`` 1..n in front."""
    order = np.argsort(created, kind="stable")
    return {"id": integers(np.arange(1, len(order) + 1)),
            **{name: np.asarray(values, dtype=object)[order] for name, values in batch.items()}}
