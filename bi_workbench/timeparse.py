"""One reading of user-given instants (dates, datetimes, Timestamps, ISO text) as aware UTC datetimes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def parse_instant(value) -> dt.datetime | None:
    """Return ``value`` as an aware UTC datetime, or None when it cannot be read as one.

    Naive times are taken as UTC; a date is its midnight UTC; text is ISO 8601
    (a trailing Z allowed) or anything pandas reads as one instant.

    Example: ``parse_instant("2025-01-31")`` -> ``datetime(2025, 1, 31, tzinfo=timezone.utc)``.
    """
    parsed = None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        stamp = pd.Timestamp(value)
        parsed = None if pd.isna(stamp) else stamp.to_pydatetime()
    elif isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        parsed = _parse_text(value.strip())
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _parse_text(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        pass
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp.to_pydatetime()
