"""Deterministic building blocks: random streams, ids, tokens and timestamps.

Every random draw comes from a ``numpy.random.Generator(PCG64(...))`` derived
from the caller's seed; nothing reads the clock. Timestamps are int64 seconds
since the Unix epoch (UTC) and never pass ``REFERENCE_TS``; ``MISSING`` (the
int64 minimum, which numpy reads as NaT) marks a NULL timestamp.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

#: The "now" of every synthetic dataset.
REFERENCE_DATE = datetime(2026, 6, 30, tzinfo=UTC)
REFERENCE_TS = int(REFERENCE_DATE.timestamp())
DAY = 86_400
HOUR = 3_600
#: How far back the platform's history goes (about three years).
HISTORY_DAYS = 3 * 365
HISTORY_START_TS = REFERENCE_TS - HISTORY_DAYS * DAY
#: A NULL timestamp (numpy's NaT as int64).
MISSING = np.iinfo(np.int64).min

# Relative activity by weekday (Monday first) and by hour of day (UTC).
WEEKDAY_WEIGHTS = np.array([1.0, 1.0, 0.97, 0.95, 0.85, 0.4, 0.35])
HOUR_WEIGHTS = np.array([
    0.25, 0.2, 0.18, 0.18, 0.2, 0.3, 0.45, 0.65, 0.85, 0.95, 1.0, 1.0,
    0.95, 1.0, 1.0, 0.98, 0.95, 0.85, 0.7, 0.55, 0.45, 0.4, 0.35, 0.3,
])

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UUID_HEX_SLOTS = np.r_[0:8, 9:13, 14:18, 19:23, 24:36]
ALNUM = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = ALNUM + b"-_"


def stream(seed: int, name: str) -> np.random.Generator:
    """Return the Generator of the stream ``name`` under ``seed``.

    It is the child that ``SeedSequence(seed).spawn`` would give at index
    ``crc32(name)``: independent of every other stream, so one table's draws
    never shift another's, and stable across processes and versions of Python.
    """
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))


def uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` version-4 UUID strings from ``rng``'s bytes.

    Equal to ``str(uuid.UUID(bytes=b, version=4))`` for each 16-byte block ``b``.
    """
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.stack([_HEX[raw >> 4], _HEX[raw & 0x0F]], axis=2).reshape(n, 32)
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_HEX_SLOTS] = digits
    return text.view("S36").ravel().astype("U36").astype(object)


def tokens(rng: np.random.Generator, n: int, length: int, alphabet: bytes = URLSAFE) -> np.ndarray:
    """Return ``n`` random strings of ``length`` characters drawn from ``alphabet``."""
    letters = np.frombuffer(alphabet, dtype=np.uint8)
    codes = rng.integers(0, len(letters), size=(n, length))
    return np.ascontiguousarray(letters[codes]).view(f"S{length}").ravel().astype(f"U{length}").astype(object)


def pick(rng: np.random.Generator, options, n: int, p=None) -> np.ndarray:
    """Return ``n`` draws (object array) from ``options``, weighted by ``p`` if given."""
    options = np.asarray(options, dtype=object)
    weights = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
    return options[rng.choice(len(options), size=n, p=weights)]


def growth_times(rng: np.random.Generator, n: int, start: int, end: int, rate: float) -> np.ndarray:
    """Return ``n`` sorted-free timestamps in [start, end) whose density grows as exp(rate * t)."""
    u = rng.random(n)
    x = np.log1p(u * np.expm1(rate)) / rate if rate else u
    return start + (x * (end - start)).astype(np.int64)


def seasonal_times(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Return one timestamp per window [lo, hi], thinned by weekday and hour-of-day weights."""
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    out = lo + (rng.random(len(lo)) * span).astype(np.int64)
    pending = np.arange(len(lo))
    for _ in range(40):
        keep = rng.random(len(pending)) < seasonal_weight(out[pending])
        pending = pending[~keep]
        if not len(pending):
            break
        out[pending] = lo[pending] + (rng.random(len(pending)) * span[pending]).astype(np.int64)
    return out


def seasonal_weight(ts: np.ndarray) -> np.ndarray:
    """Return the acceptance weight in (0, 1] of each timestamp (weekday x hour)."""
    days = ts // DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    hour = (ts - days * DAY) // HOUR
    return WEEKDAY_WEIGHTS[weekday] * HOUR_WEIGHTS[hour]


def later(rng: np.random.Generator, base: np.ndarray, mean_seconds: float, cap: int = REFERENCE_TS) -> np.ndarray:
    """Return ``base`` plus an exponential delay of mean ``mean_seconds``, clipped to [base, cap]."""
    base = np.asarray(base, dtype=np.int64)
    delay = rng.exponential(mean_seconds, size=len(base)).astype(np.int64)
    return np.minimum(base + delay, np.maximum(base, cap))


def counts_per(rng: np.random.Generator, n: int, values, p) -> np.ndarray:
    """Return ``n`` small counts drawn from ``values`` with probabilities ``p``."""
    return rng.choice(np.asarray(values, dtype=np.int64), size=n, p=np.asarray(p) / np.sum(p))


def group_sequence(counts: np.ndarray) -> np.ndarray:
    """Return 0, 1, ... within each group for groups of the given sizes laid end to end."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts


def group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Return the running sum of ``values`` restarted at each group (groups of ``counts`` laid end to end)."""
    total = np.cumsum(values)
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    before = np.concatenate([[0], total])[ends - counts]
    return total - np.repeat(before, counts)


def orderings(rng: np.random.Generator, rows: int, n_options: int) -> np.ndarray:
    """Return a (rows x n_options) matrix whose rows are random permutations of range(n_options)."""
    return np.argsort(rng.random((rows, n_options)), axis=1)


def subsets(rng: np.random.Generator, options, k: np.ndarray) -> list[list]:
    """Return one list per row of ``k[i]`` distinct ``options``, in random order."""
    order = orderings(rng, len(k), len(options))
    return [[options[j] for j in row[:size]] for row, size in zip(order.tolist(), np.asarray(k).tolist())]


def chosen(rng: np.random.Generator, n: int, share: float, minimum: int = 2) -> np.ndarray:
    """Return a mask of exactly max(minimum, round(share * n)) rows (at most n) picked at random."""
    k = min(n, max(minimum, int(round(share * n))))
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, size=k, replace=False)] = True
    return mask


def with_blanks(rng: np.random.Generator, values: np.ndarray, null_share: float, empty_share: float = 0.0,
                minimum: int = 0) -> np.ndarray:
    """Return a copy of ``values`` (object array) with some rows set to None and some to ''."""
    out = np.asarray(values, dtype=object).copy()
    if null_share:
        out[chosen(rng, len(out), null_share, minimum)] = None
    if empty_share:
        out[chosen(rng, len(out), empty_share, minimum)] = ""
    return out


def month_start(ts: int) -> datetime:
    """Return the first day (UTC midnight) of the month holding timestamp ``ts``."""
    moment = datetime.fromtimestamp(int(ts), tz=UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def between(rng: np.random.Generator, lo: np.ndarray, hi) -> np.ndarray:
    """Return one uniform timestamp in [lo, max(lo, hi)] per element of ``lo``."""
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    return lo + (rng.random(len(lo)) * span).astype(np.int64)


def ascii_slug(text: str, sep: str = "") -> str:
    """Return ``text`` folded to lowercase ASCII letters and digits, words joined by ``sep``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(c if c.isalnum() else " " for c in folded.replace("'", "")).split()
    return sep.join(words)


def numbered(values, renumber: Callable[[str, int], str]) -> np.ndarray:
    """Return ``values`` made distinct: the k-th repeat (k >= 2) of a value becomes ``renumber(value, k)``.

    ``renumber`` must never produce a value that occurs as a first occurrence.
    """
    seen: dict[str, int] = {}
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        k = seen[value] = seen.get(value, 0) + 1
        out[i] = value if k == 1 else renumber(value, k)
    return out
