"""Compiled kernels of the growth simulation: exact Poisson and binomial draws, and percentile bands.

Every draw is exact (no approximation): small counts are drawn by *inversion
from the mode* (one uniform; the support is walked outward from the mode,
mode, mode+1, mode-1, mode+2, ..., summing the probabilities until they pass the
uniform, which is the inversion method over another enumeration order of the
support and so has exactly the target distribution); large counts, where that
walk would be long (variance above ``INVERSION_MAX_VARIANCE``, or more than
``LOG_FACTORIAL_SIZE`` trials), use NumPy's own exact samplers (PTRS for Poisson,
BTPE for binomial) through numba's ``Generator`` support. The walk takes about
1.6 standard deviations of steps, where the inversion NumPy uses from 0 takes
the mean, and it runs compiled, one path at a time with its state in registers,
instead of one NumPy call per month over all paths.

``bands`` computes the P10/P50/P90 (NumPy's default linear interpolation) and
mean of each row exactly, by selection around a sorted sample instead of a full
partition.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Above this variance a draw uses NumPy's exact sampler instead of the walk from the mode.
INVERSION_MAX_VARIANCE = 400.0
#: log(k!) is tabulated for k below this; binomials with more trials use NumPy's sampler.
LOG_FACTORIAL_SIZE = 1 << 16
#: The walk gives up (and the draw falls back to NumPy's sampler) after this many steps:
#: only floating-point rounding in the far tails can get there.
_MAX_STEPS = 2_000

LOG_FACTORIAL = np.array([math.lgamma(k + 1.0) for k in range(LOG_FACTORIAL_SIZE)])
#: 1 / k for k < LOG_FACTORIAL_SIZE + 1 (0 for k = 0): the walks multiply instead of dividing.
RECIPROCAL = np.concatenate([[0.0], 1.0 / np.arange(1, LOG_FACTORIAL_SIZE + 1)])


@numba.njit(cache=True, nogil=True)
def poisson_mode_probability(lam, log_factorial):
    """P(X = mode) of Poisson(lam), the walk's starting point (lam <= INVERSION_MAX_VARIANCE)."""
    mode = int(lam)
    return math.exp(mode * math.log(lam) - lam - log_factorial[mode])


@numba.njit(cache=True, nogil=True)
def poisson(rng, u, lam, pm, reciprocal):
    """One Poisson(lam) draw from the uniform ``u``: the walk from the mode (``pm`` = P(mode)) when
    the variance is small, else NumPy's PTRS sampler on ``rng``."""
    if lam <= 0.0:
        return 0
    if lam > INVERSION_MAX_VARIANCE:
        return rng.poisson(lam)
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
    return rng.poisson(lam)


@numba.njit(cache=True, nogil=True)
def binomial(rng, u, n, p, log_p, log_q, log_factorial, reciprocal):
    """One Binomial(n, p) draw from the uniform ``u``: the walk from the mode when the variance is small
    and n is tabulated, else NumPy's BTPE sampler on ``rng``. ``log_p``, ``log_q``: log p, log(1 - p)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    q = 1.0 - p
    if n >= log_factorial.shape[0] or n * p * q > INVERSION_MAX_VARIANCE:
        return rng.binomial(n, p)
    mode = min(int((n + 1) * p), n)
    pm = math.exp(log_factorial[n] - log_factorial[mode] - log_factorial[n - mode]
                  + mode * log_p + (n - mode) * log_q)
    total = pm
    if u < total:
        return mode
    odds, inverse_odds = p / q, q / p
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
    return rng.binomial(n, p)


@numba.njit(cache=True, nogil=True)
def poisson_cdf(lam, cdf):
    """Fill ``cdf[k]`` = P(X <= k) of Poisson(lam) for k = 0, 1, ... until it reaches 1 or the buffer ends.

    Returns how many entries were filled. Used when one path's mean is the same every month.
    """
    p = math.exp(-lam)
    total = p
    cdf[0] = total
    size = cdf.shape[0]
    for k in range(1, size):
        p *= lam / k
        total += p
        cdf[k] = total
        if total >= 1.0 or (k > lam and p < 1e-17):
            return k + 1
    return size


@numba.njit(cache=True, nogil=True)
def poisson_from_cdf(rng, u, lam, cdf, filled):
    """One Poisson(lam) draw from the uniform ``u`` by inversion on the tabulated ``cdf``, starting at
    the mode; past the table (rounding in the far tail) NumPy's sampler on ``rng`` draws instead."""
    k = min(int(lam), filled - 1)
    if u < cdf[k]:
        while k > 0 and u < cdf[k - 1]:
            k -= 1
        return k
    while k < filled - 1:
        k += 1
        if u < cdf[k]:
            return k
    return rng.poisson(lam)


#: Entries of the per-path Poisson table: enough for a mean up to INVERSION_MAX_VARIANCE.
POISSON_TABLE_SIZE = 1024


@numba.njit(cache=True, nogil=True)
def run_paths(acquisition_rng, losses_rng, u_new, u_lost, shocks, acquisition, churn, growth, sigma,
              starting_customers, arpa, log_factorial, reciprocal, customers_out, mrr_out):
    """Simulate each path month by month; write customers and MRR per month (row 0 = the start).

    ``acquisition``, ``churn``, ``growth``: per-path mean new customers, monthly churn
    probability and MRR growth factor. ``sigma`` > 0 makes each month's acquisition mean
    lognormal (mean preserved): ``shocks`` holds its (paths, months) normal log-shocks.
    ``u_new``, ``u_lost``: (paths, months) uniforms of the acquisition and loss draws; the
    generators are used only where NumPy's samplers draw instead of the walk. Outputs are
    (months + 1, paths) arrays, filled in place.
    """
    paths, months = u_new.shape
    cdf = np.empty(POISSON_TABLE_SIZE)
    for j in range(paths):
        customers = starting_customers
        mrr = starting_customers * arpa
        customers_out[0, j] = customers
        mrr_out[0, j] = mrr
        lam, p, g = acquisition[j], churn[j], growth[j]
        tabulated = sigma <= 0.0 and 0.0 < lam <= INVERSION_MAX_VARIANCE
        filled = poisson_cdf(lam, cdf) if tabulated else 0
        log_p = math.log(p) if p > 0.0 else 0.0
        log_q = math.log1p(-p) if p < 1.0 else 0.0
        for t in range(months):
            if tabulated:
                new = poisson_from_cdf(acquisition_rng, u_new[j, t], lam, cdf, filled)
            elif sigma > 0.0 and lam > 0.0:
                mean = lam * math.exp(shocks[j, t])
                pm = poisson_mode_probability(mean, log_factorial) if mean <= INVERSION_MAX_VARIANCE else 0.0
                new = poisson(acquisition_rng, u_new[j, t], mean, pm, reciprocal)
            else:
                new = poisson(acquisition_rng, u_new[j, t], lam, 0.0, reciprocal)
            lost = binomial(losses_rng, u_lost[j, t], customers, p, log_p, log_q, log_factorial, reciprocal)
            kept = customers - lost
            ratio = kept / customers if customers > 0 else 1.0
            mrr = mrr * ratio * g + new * arpa
            customers = kept + new
            customers_out[t + 1, j] = customers
            mrr_out[t + 1, j] = mrr


@numba.njit(cache=True, nogil=True)
def _row_bands(row, quantiles, band, out):
    """The quantiles (linear interpolation, as numpy.percentile) and the mean of one row, exactly.

    Each quantile's two order statistics are bracketed by a sorted sample of the row (4 sample
    standard deviations either side), one pass counts the values below the bracket and collects
    those inside, and a partition of that small band picks them; if the bracket missed, a full
    sort decides.
    """
    n = row.shape[0]
    out[quantiles.shape[0]] = row.mean()
    sample = np.sort(row[::max(n // 2048, 1)]).astype(np.float64)
    m = sample.shape[0]
    spread = 4.0 * math.sqrt(m * 0.25) + 2.0
    for i in range(quantiles.shape[0]):
        position = quantiles[i] / 100.0 * (n - 1)
        rank = int(math.floor(position))
        fraction = position - rank
        centre = quantiles[i] / 100.0 * (m - 1)
        low = sample[int(centre - spread)] if centre - spread >= 0 else -np.inf
        high = sample[int(centre + spread) + 1] if centre + spread + 1 <= m - 1 else np.inf
        below = 0
        size = 0
        for v in row:
            if v < low:
                below += 1
            elif v <= high:
                band[size] = v
                size += 1
        last = rank + 1 if fraction > 0.0 else rank
        if below <= rank and last < below + size:
            chosen = np.sort(band[:size]) if size < 64 else np.partition(band[:size], (rank - below, last - below))
            first = chosen[rank - below]
            out[i] = first + fraction * (chosen[last - below] - first) if fraction > 0.0 else first
        else:  # the sample missed (very rare): a full sort is exact too
            ordered = np.sort(row).astype(np.float64)
            out[i] = ordered[rank] + fraction * (ordered[last] - ordered[rank]) if fraction > 0.0 else ordered[rank]


@numba.njit(cache=True, nogil=True)
def _bands(matrix, quantiles, out):
    band = np.empty(matrix.shape[1], np.float64)
    for r in range(matrix.shape[0]):
        _row_bands(matrix[r], quantiles, band, out[r])


def bands(matrix: np.ndarray, quantiles=(10, 50, 90)) -> np.ndarray:
    """Return, per row of ``matrix`` (int64 or float64), its percentiles (as ``numpy.percentile``'s
    linear method) then its mean. Shape (rows, len(quantiles) + 1). Example::

        >>> bands(np.array([[1.0, 2.0, 3.0, 4.0]]), (50,))
        array([[2.5, 2.5]])
    """
    if matrix.dtype not in (np.int64, np.float64):
        matrix = matrix.astype(np.float64)
    out = np.empty((matrix.shape[0], len(quantiles) + 1))
    _bands(np.ascontiguousarray(matrix), np.asarray(quantiles, dtype=np.float64), out)
    return out
