"""Compiled kernels of the growth simulation: exact Poisson and binomial draws, and percentile bands.

Every draw is exact (no approximation), by inversion of one uniform:

- Poisson with a mean fixed for the whole path: the path's CDF is tabulated
  once, with a guide table (Chen and Asau's indexed search: ``guide[i]`` is the
  first value whose CDF passes ``i / GUIDE_SIZE``), so a draw is about one
  lookup and one comparison;
- Poisson with a new mean every month (lognormal acquisition): the walk from the
  mode (mode, mode+1, mode-1, mode+2, ..., summing the probabilities until they
  pass the uniform: inversion over another enumeration order of the support, so
  exactly the target distribution);
- binomial: inversion from 0 with the pmf recurrence while the mean is at most
  ``ZERO_WALK_MAX_MEAN`` and p <= 1/2 (the common case: churn is a few percent),
  else the walk from the mode.

Large counts, where a walk would be long (variance above
``INVERSION_MAX_VARIANCE``, or more than ``LOG_FACTORIAL_SIZE`` trials), and the
far tails that floating-point rounding leaves unreached use NumPy's own exact
samplers (PTRS for Poisson, BTPE for binomial) through numba's ``Generator``
support. The inner draw functions take no generator (passing one costs a
reference count per call): they return -1 and `run_paths` draws from NumPy.

``bands`` computes the P10/P50/P90 (NumPy's default linear interpolation) and
mean of each row exactly, by a histogram of the row and a sort of the few bins
that hold the order statistics asked for.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Above this variance a draw uses NumPy's exact sampler instead of a walk.
INVERSION_MAX_VARIANCE = 400.0
#: A binomial with a mean up to this (and p <= 1/2) is inverted from 0, which is shorter than the walk from the mode.
ZERO_WALK_MAX_MEAN = 16.0
#: log(k!) is tabulated for k below this; binomials with more trials use NumPy's sampler.
LOG_FACTORIAL_SIZE = 1 << 16
#: The walks give up (and the draw falls back to NumPy's sampler) after this many steps:
#: only floating-point rounding in the far tails can get there.
_MAX_STEPS = 2_000
#: Entries of the per-path Poisson table (enough for a mean up to INVERSION_MAX_VARIANCE) and of its guide.
POISSON_TABLE_SIZE = 1024
GUIDE_SIZE = 64
#: Bins of the histogram that `bands` selects order statistics from.
BAND_BINS = 4096

LOG_FACTORIAL = np.array([math.lgamma(k + 1.0) for k in range(LOG_FACTORIAL_SIZE)])
#: 1 / k for k < LOG_FACTORIAL_SIZE + 1 (0 for k = 0): the walks multiply instead of dividing.
RECIPROCAL = np.concatenate([[0.0], 1.0 / np.arange(1, LOG_FACTORIAL_SIZE + 1)])


@numba.njit(cache=True, nogil=True)
def poisson_mode_probability(lam, log_factorial):
    """P(X = mode) of Poisson(lam), the walk's starting point (lam <= INVERSION_MAX_VARIANCE)."""
    mode = int(lam)
    return math.exp(mode * math.log(lam) - lam - log_factorial[mode])


@numba.njit(cache=True, nogil=True)
def poisson(u, lam, pm, reciprocal):
    """One Poisson(lam) draw from the uniform ``u`` by the walk from the mode (``pm`` = P(mode)),
    or -1 where NumPy's sampler must draw instead (variance above the limit, or the far tail)."""
    if lam <= 0.0:
        return 0
    if lam > INVERSION_MAX_VARIANCE:
        return -1
    mode = int(lam)
    total = pm
    if u < total:
        return mode
    inverse = 1.0 / lam
    up, p_up, down, p_down = mode, pm, mode, pm
    for _ in range(_MAX_STEPS):
        up += 1
        p_up *= lam * reciprocal[up]
        total += p_up
        if u < total:
            return up
        if down > 0:
            p_down *= down * inverse
            down -= 1
            total += p_down
            if u < total:
                return down
    return -1


@numba.njit(cache=True, nogil=True)
def binomial(u, n, p, log_p, log_q, log_factorial, reciprocal):
    """One Binomial(n, p) draw from the uniform ``u`` (``log_p``, ``log_q``: log p, log(1 - p)), or -1
    where NumPy's sampler must draw instead (variance above the limit, n past the table, the far tail)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    q = 1.0 - p
    if n >= log_factorial.shape[0] or n * p * q > INVERSION_MAX_VARIANCE:
        return -1
    odds = p / q
    if p <= 0.5 and n * p <= ZERO_WALK_MAX_MEAN:
        return _binomial_from_zero(u, n, log_q, odds, reciprocal)
    return _binomial_from_mode(u, n, p, log_p, log_q, odds, log_factorial, reciprocal)


@numba.njit(cache=True, nogil=True)
def _binomial_from_zero(u, n, log_q, odds, reciprocal):
    """Inversion from 0: P(0) = q^n, then P(k + 1) = P(k) (n - k) / (k + 1) p / q."""
    pk = math.exp(n * log_q)
    total = pk
    k = 0
    while u >= total:
        if k >= n:
            return -1
        pk *= (n - k) * reciprocal[k + 1] * odds
        k += 1
        total += pk
    return k


@numba.njit(cache=True, nogil=True)
def _binomial_from_mode(u, n, p, log_p, log_q, odds, log_factorial, reciprocal):
    """The walk from the mode, alternating up and down until the summed probabilities pass ``u``."""
    mode = min(int((n + 1) * p), n)
    pm = math.exp(log_factorial[n] - log_factorial[mode] - log_factorial[n - mode]
                  + mode * log_p + (n - mode) * log_q)
    total = pm
    if u < total:
        return mode
    inverse_odds = 1.0 / odds
    up, p_up, down, p_down = mode, pm, mode, pm
    for _ in range(_MAX_STEPS):
        if up < n:
            p_up *= (n - up) * reciprocal[up + 1] * odds
            up += 1
            total += p_up
            if u < total:
                return up
        if down > 0:
            p_down *= down * reciprocal[n - down + 1] * inverse_odds
            down -= 1
            total += p_down
            if u < total:
                return down
        if up >= n and down <= 0:
            break
    return -1


@numba.njit(cache=True, nogil=True)
def poisson_table(lam, cdf, guide):
    """Fill ``cdf[k]`` = P(X <= k) of Poisson(lam) for k = 0, 1, ... until it reaches 1 or the buffer
    ends, and ``guide[i]`` = the first k with cdf[k] > i / len(guide). Returns how many cdf entries
    were filled. Used when one path's mean is the same every month."""
    p = math.exp(-lam)
    total = p
    cdf[0] = total
    size = cdf.shape[0]
    filled = size
    for k in range(1, size):
        p *= lam / k
        total += p
        cdf[k] = total
        if total >= 1.0 or (k > lam and p < 1e-17):
            filled = k + 1
            break
    k = 0
    for i in range(guide.shape[0]):
        while k < filled - 1 and cdf[k] <= i / guide.shape[0]:
            k += 1
        guide[i] = k
    return filled


@numba.njit(cache=True, nogil=True)
def poisson_from_table(u, cdf, filled, guide):
    """One Poisson draw from the uniform ``u`` by inversion on the tabulated ``cdf`` (the smallest k with
    u < cdf[k]), searched from its guide entry; -1 past the table (rounding in the far tail)."""
    k = guide[int(u * guide.shape[0])]
    while u >= cdf[k]:
        k += 1
        if k == filled:
            return -1
    return k


@numba.njit(cache=True, nogil=True)
def run_paths(acquisition_rng, losses_rng, u_new, u_lost, shocks, acquisition, churn, growth, sigma,
              starting_customers, arpa, log_factorial, reciprocal, customers_out, mrr_out):
    """Simulate each path month by month; write customers and MRR per month (row 0 = the start).

    ``acquisition``, ``churn``, ``growth``: per-path mean new customers, monthly churn
    probability and MRR growth factor. ``sigma`` > 0 makes each month's acquisition mean
    lognormal (mean preserved): ``shocks`` holds its (paths, months) normal log-shocks.
    ``u_new``, ``u_lost``: (paths, months) uniforms of the acquisition and loss draws; the
    generators are used only where NumPy's samplers draw instead of inversion. Outputs are
    (months + 1, paths) arrays (views allowed), filled in place.
    """
    paths, months = u_new.shape
    cdf = np.empty(POISSON_TABLE_SIZE)
    guide = np.empty(GUIDE_SIZE, np.int64)
    for j in range(paths):
        customers = starting_customers
        mrr = starting_customers * arpa
        customers_out[0, j] = customers
        mrr_out[0, j] = mrr
        lam, p, g = acquisition[j], churn[j], growth[j]
        tabulated = sigma <= 0.0 and 0.0 < lam <= INVERSION_MAX_VARIANCE
        filled = poisson_table(lam, cdf, guide) if tabulated else 0
        log_p = math.log(p) if p > 0.0 else 0.0
        log_q = math.log1p(-p) if p < 1.0 else 0.0
        for t in range(months):
            mean = lam
            if tabulated:
                new = poisson_from_table(u_new[j, t], cdf, filled, guide)
            elif sigma > 0.0 and lam > 0.0:
                mean = lam * math.exp(shocks[j, t])
                pm = poisson_mode_probability(mean, log_factorial) if mean <= INVERSION_MAX_VARIANCE else 0.0
                new = poisson(u_new[j, t], mean, pm, reciprocal)
            else:
                new = poisson(u_new[j, t], lam, 0.0, reciprocal)
            if new < 0:
                new = acquisition_rng.poisson(mean)
            lost = binomial(u_lost[j, t], customers, p, log_p, log_q, log_factorial, reciprocal)
            if lost < 0:
                lost = losses_rng.binomial(customers, p)
            kept = customers - lost
            ratio = kept / customers if customers > 0 else 1.0
            mrr = mrr * ratio * g + new * arpa
            customers = kept + new
            customers_out[t + 1, j] = customers
            mrr_out[t + 1, j] = mrr


@numba.njit(cache=True, nogil=True)
def _rank(quantile, n):
    """The rank below the quantile's position (linear interpolation, as numpy.percentile), and the fraction past it."""
    position = quantile / 100.0 * (n - 1)
    rank = int(math.floor(position))
    return rank, position - rank


@numba.njit(cache=True, nogil=True)
def _lerp(a, b, t):
    """a + t (b - a) exactly as numpy.percentile rounds it (from b's side when t >= 1/2)."""
    difference = b - a
    return b - difference * (1.0 - t) if t >= 0.5 else a + difference * t


@numba.njit(cache=True, nogil=True)
def _sorted_bands(row, quantiles, out):
    """The quantiles of ``row`` by a full sort: where the histogram cannot be used (a constant row,
    or a range too wide for float64)."""
    ordered = np.sort(row).astype(np.float64)
    for i in range(quantiles.shape[0]):
        rank, fraction = _rank(quantiles[i], row.shape[0])
        out[i] = _lerp(ordered[rank], ordered[rank + 1], fraction) if fraction > 0.0 else ordered[rank]


@numba.njit(cache=True, nogil=True)
def _row_bands(row, quantiles, counts, index, wanted, buffer, out):
    """The quantiles and the mean of one row, exactly.

    One pass finds the range and the sum; one counts the row into ``counts`` equal-width bins
    (a bin number is monotone in the value, so each bin holds a contiguous run of the sorted
    row); the bins holding each quantile's order statistics are ``wanted``, one pass gathers
    their values, and a sort of those few picks the order statistics.
    """
    n = row.shape[0]
    q = quantiles.shape[0]
    low, high, total = row[0], row[0], 0.0
    for v in row:
        low, high, total = min(low, v), max(high, v), total + v
    out[q] = total / n
    bins = counts.shape[0]
    scale = bins / float(high - low) if high > low else 0.0
    if math.isnan(total):  # as numpy.percentile: a NaN anywhere makes every percentile NaN
        out[:q] = np.nan
        return
    if not (math.isfinite(total) and math.isfinite(scale) and scale > 0.0):
        _sorted_bands(row, quantiles, out)
        return
    counts[:] = 0
    for k in range(n):
        b = min(int((row[k] - low) * scale), bins - 1)
        index[k] = b
        counts[b] += 1
    wanted[:] = False
    first_bin = np.empty(q, np.int64)
    below = np.empty(q, np.int64)
    for i in range(q):
        rank, fraction = _rank(quantiles[i], n)
        last = rank + 1 if fraction > 0.0 else rank
        b, before = 0, 0
        while before + counts[b] <= rank:
            before += counts[b]
            b += 1
        first_bin[i], below[i] = b, before
        wanted[b] = True
        seen = before + counts[b]
        while seen <= last:
            b += 1
            seen += counts[b]
            wanted[b] = True
    size = 0
    for k in range(n):
        if wanted[index[k]]:
            buffer[size] = row[k]
            size += 1
    chosen = np.sort(buffer[:size])
    for i in range(q):
        rank, fraction = _rank(quantiles[i], n)
        at = rank - below[i]
        for b in range(first_bin[i]):  # values of earlier wanted bins come first in `chosen`
            if wanted[b]:
                at += counts[b]
        out[i] = _lerp(chosen[at], chosen[at + 1], fraction) if fraction > 0.0 else float(chosen[at])


@numba.njit(cache=True, nogil=True)
def _bands(matrix, quantiles, out):
    counts = np.empty(BAND_BINS, np.int64)
    wanted = np.empty(BAND_BINS, np.bool_)
    index = np.empty(matrix.shape[1], np.int32)
    buffer = np.empty(matrix.shape[1], matrix.dtype)
    for r in range(matrix.shape[0]):
        _row_bands(matrix[r], quantiles, counts, index, wanted, buffer, out[r])


def bands(matrix: np.ndarray, quantiles=(10, 50, 90)) -> np.ndarray:
    """Return, per row of ``matrix`` (int64 or float64), its percentiles (as ``numpy.percentile``'s
    linear method, exactly) then its mean (summed in row order, so it may differ from ``numpy.mean``
    in the last digit). Shape (rows, len(quantiles) + 1). Raises ValueError for a quantile outside
    0-100 or rows without values. Example::

        >>> bands(np.array([[1.0, 2.0, 3.0, 4.0]]), (50,))
        array([[2.5, 2.5]])
    """
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise ValueError(f"bands needs a 2-d matrix with at least one value per row; got shape {matrix.shape}")
    if not all(0 <= q <= 100 for q in quantiles):
        raise ValueError(f"quantiles must lie between 0 and 100; got {tuple(quantiles)}")
    if matrix.dtype not in (np.int64, np.float64):
        matrix = matrix.astype(np.float64)
    out = np.empty((matrix.shape[0], len(quantiles) + 1))
    _bands(np.ascontiguousarray(matrix), np.asarray(quantiles, dtype=np.float64), out)
    return out
