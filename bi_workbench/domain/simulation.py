"""Growth simulation: a seeded Monte Carlo of customers and MRR, compiled with numba, chunked for Dask.

Each path draws, once: its true monthly churn rate from a Beta around
``churn_rate`` (alpha = m k, beta = (1 - m) k with k = ``churn_concentration``),
its expansion rate from a Normal(``expansion_rate``, ``expansion_sd``) and, for
every selected lever, its uplift from a triangular(low, expected, high) range
(the catalogue of ``domain.levers`` or ``lever_uplifts``). Then, month by month::

    new      ~ Poisson(acquisition_mean x acquisition uplifts)         ("poisson")
               Poisson(LogNormal with that mean and sigma)             ("lognormal": bursty months)
    churned  ~ Binomial(customers, churn x (1 - churn uplifts))
    MRR      = MRR x (kept / customers) x (1 + expansion + expansion uplifts) + new x ARPA
    customers = customers - churned + new

Lever effects combine multiplicatively (acquisition, churn) or additively
(expansion, in rate points) and apply from month 1. The Poisson and binomial
draws are exact (`domain.sampling`: inversion of one uniform for small counts,
NumPy's PTRS/BTPE samplers for large ones), compiled with numba; the bench
compares it with `reference_chunk`, the same model as a bare NumPy loop.

Paths run in chunks of CHUNK_PATHS; chunk i draws from child i of
``numpy.random.SeedSequence(seed)``, split again per purpose, so the same seed
gives the same output on one machine or spread over a Dask cluster
(``cluster=``), and scenarios run with one seed share their randomness (common
random numbers): differences between them come from the inputs, not from noise.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
import pandas as pd

from ..errors import InvalidParameterError
from .levers import LEVER_CATALOGUE

SIMULATION_TYPE = "growth_monte_carlo"
ENGINE_VERSION = "3.1.0"
PERCENTILES = (10, 50, 90)
MAX_PATHS = 2_000_000
#: Paths per chunk: the unit of work and of randomness (chunk i draws from SeedSequence(seed) child i).
CHUNK_PATHS = 25_000
#: Random streams, in SeedSequence.spawn order; levers follow, one per catalogue lever.
STREAMS = ("churn", "expansion", "acquisition", "losses")

#: name -> (integer?, lowest, highest, lowest allowed itself?, what is allowed)
_LIMITS = {
    "months": (True, 1, 600, True, "a whole number of months from 1 to 600"),
    "starting_customers": (True, 0, 10**9, True, "a whole number of customers >= 0"),
    "arpa": (False, 0.0, 1e9, True, "an amount >= 0 (average revenue per account per month)"),
    "acquisition_mean": (False, 0.0, 1e8, True, "new customers per month, a number >= 0"),
    "acquisition_sigma": (False, 0.0, 5.0, True, "a number from 0 to 5 (log-space spread of lognormal acquisition)"),
    "churn_rate": (False, 0.0, 1.0, True, "a monthly rate between 0 and 1"),
    "churn_concentration": (False, 0.0, 1e9, False, "a number > 0 (Beta concentration: larger is tighter)"),
    "expansion_rate": (False, -1.0, 1.0, True, "a monthly rate between -1 and 1"),
    "expansion_sd": (False, 0.0, 1.0, True, "a number from 0 to 1"),
    "paths": (True, 1, MAX_PATHS, True, f"a whole number of paths from 1 to {MAX_PATHS:,}"),
    "target_mrr": (False, 0.0, math.inf, False, "an amount > 0, or None for no target"),
}


@dataclass(frozen=True)
class SimulationInputs:
    """The inputs of one growth simulation (all monthly). Build with ``SimulationInputs.from_dict`` to validate."""

    months: int = 12
    starting_customers: int = 100
    arpa: float = 500.0
    acquisition_mean: float = 10.0
    acquisition_distribution: str = "poisson"
    acquisition_sigma: float = 0.5
    churn_rate: float = 0.03
    churn_concentration: float = 200.0
    expansion_rate: float = 0.0
    expansion_sd: float = 0.0
    levers: tuple[str, ...] = ()
    lever_uplifts: dict = field(default_factory=dict)
    target_mrr: float | None = None
    paths: int = 10_000

    @classmethod
    def from_dict(cls, values: Mapping) -> "SimulationInputs":
        """Return validated inputs from a dict (unknown keys are an error).

        Example: ``SimulationInputs.from_dict({"months": 24, "churn_rate": 0.02}).months`` -> ``24``.
        """
        if isinstance(values, SimulationInputs):
            return validate_inputs(values)
        if not isinstance(values, Mapping):
            raise InvalidParameterError("simulation inputs must be a dict or SimulationInputs, "
                                        f"got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidParameterError(f"unknown simulation input(s) {unknown}; allowed: {', '.join(sorted(known))}")
        values = dict(values)
        if "levers" in values and values["levers"] is not None and not isinstance(values["levers"], str):
            values["levers"] = tuple(values["levers"])
        return validate_inputs(cls(**values))

    def to_dict(self) -> dict:
        """Return the inputs as a JSON-serialisable dict (``from_dict`` of it gives them back)."""
        out = asdict(self)
        out["levers"] = list(self.levers)
        out["lever_uplifts"] = {k: list(v) for k, v in self.lever_uplifts.items()}
        return out


def _sampling():
    # numba's import costs half a second: every command and kernel imports this module, few of them simulate.
    from . import sampling

    return sampling


def _check_number(name: str, value):
    """Return ``value`` as int or float if allowed for ``name``; raise InvalidParameterError otherwise."""
    integer, low, high, low_ok, allowed = _LIMITS[name]
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    ok = ok and math.isfinite(value) and (value >= low if low_ok else value > low) and value <= high
    ok = ok and (not integer or float(value).is_integer())
    if not ok:
        raise InvalidParameterError(f"{name} must be {allowed}; got {value!r}")
    return int(value) if integer else float(value)


def validate_inputs(inputs: SimulationInputs | Mapping) -> SimulationInputs:
    """Return ``inputs`` checked and normalised; raise InvalidParameterError naming the parameter and what is allowed.

    Example: ``validate_inputs({"churn_rate": 1.5})`` raises
    ``InvalidParameterError("churn_rate must be a monthly rate between 0 and 1; got 1.5")``.
    """
    if not isinstance(inputs, SimulationInputs):
        return SimulationInputs.from_dict(inputs)
    numbers = {name: _check_number(name, getattr(inputs, name)) for name in _LIMITS
               if not (name == "target_mrr" and inputs.target_mrr is None)}
    if inputs.acquisition_distribution not in ("poisson", "lognormal"):
        raise InvalidParameterError("acquisition_distribution must be 'poisson' or 'lognormal'; "
                                    f"got {inputs.acquisition_distribution!r}")
    return replace(inputs, **numbers, levers=_check_levers(inputs.levers),
                   lever_uplifts=_check_uplifts(inputs.lever_uplifts))


def _check_levers(levers) -> tuple[str, ...]:
    """Return the lever names as a tuple; raise naming unknown ones."""
    if isinstance(levers, str) or not all(isinstance(name, str) for name in levers):
        raise InvalidParameterError(f"levers must be a list of lever names; got {levers!r}")
    unknown = [name for name in levers if name not in LEVER_CATALOGUE]
    if unknown:
        raise InvalidParameterError(f"levers: unknown {unknown}; allowed: {', '.join(LEVER_CATALOGUE)}")
    return tuple(dict.fromkeys(levers))


def _check_uplifts(uplifts: Mapping) -> dict:
    """Return lever_uplifts as {lever: (low, expected, high)}; raise if a range is malformed."""
    if not isinstance(uplifts, Mapping):
        raise InvalidParameterError(f"lever_uplifts must be a dict lever -> [low, expected, high]; got {uplifts!r}")
    out = {}
    for name, triple in uplifts.items():
        values = list(triple) if isinstance(triple, (list, tuple)) else []
        if (name not in LEVER_CATALOGUE or len(values) != 3 or not all(isinstance(v, (int, float)) for v in values)
                or not values[0] <= values[1] <= values[2] or not -1 < values[0] <= values[2] <= 1):
            raise InvalidParameterError(f"lever_uplifts[{name!r}] must name a catalogue lever and give "
                                        f"[low, expected, high] ascending within -1..1; got {triple!r}")
        out[name] = tuple(float(v) for v in values)
    return out


# --- the Monte Carlo -------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
    """Percentile bands per month (month 0 is the start) and target probabilities of one simulation."""

    inputs: SimulationInputs
    seed: int
    mrr: pd.DataFrame
    customers: pd.DataFrame
    probability_of_target: float | None
    probability_target_at_end: float | None
    seconds: float = 0.0

    def summary(self) -> dict:
        """Return a JSON-serialisable summary: bands per month, final percentiles, target probabilities.

        Example: ``simulate({"months": 3}, seed=1).summary()["mrr"]["p50"]`` -> ``[50000.0, ...]`` (4 values).
        """
        final = {f"mrr_{c}": round(float(self.mrr[c].iloc[-1]), 2) for c in self.mrr.columns}
        final |= {f"customers_{c}": round(float(self.customers[c].iloc[-1]), 2) for c in self.customers.columns}
        return {
            "months": self.mrr.index.tolist(),
            "mrr": {c: np.round(self.mrr[c].to_numpy(), 2).tolist() for c in self.mrr.columns},
            "customers": {c: np.round(self.customers[c].to_numpy(), 2).tolist() for c in self.customers.columns},
            "final": final, "p10": final["mrr_p10"], "p50": final["mrr_p50"], "p90": final["mrr_p90"],
            "target_mrr": self.inputs.target_mrr, "probability_of_target": self.probability_of_target,
            "probability_target_at_end": self.probability_target_at_end,
            "paths": self.inputs.paths, "seed": self.seed, "engine_version": ENGINE_VERSION,
        }


@dataclass
class _Paths:
    """Per-path parameters drawn once: churn rate, expansion, acquisition mean."""

    churn: np.ndarray
    expansion: np.ndarray
    acquisition: np.ndarray


def _streams(seed: int, chunk: int) -> dict[str, np.random.Generator]:
    """Return one Generator per purpose and per catalogue lever for chunk ``chunk`` of ``seed``'s paths.

    Chunk i's streams come from child i of ``SeedSequence(seed).spawn(...)``: they depend only
    on (seed, i), so a chunk gives the same paths wherever and in whatever order it runs.
    """
    names = (*STREAMS, *LEVER_CATALOGUE)
    child = np.random.SeedSequence(seed).spawn(chunk + 1)[chunk]
    return {name: np.random.default_rng(grandchild) for name, grandchild in zip(names, child.spawn(len(names)))}


def _lever_uplift(rng: np.random.Generator, triple: tuple[float, float, float], n: int) -> np.ndarray:
    """Return n uplifts from the triangular (low, expected, high) range (constant if it is a point)."""
    low, mode, high = triple
    return np.full(n, mode) if low == high else rng.triangular(low, mode, high, n)


def _draw_paths(inputs: SimulationInputs, streams: dict, n: int) -> _Paths:
    """Return the per-path churn, expansion and acquisition mean of ``n`` paths, levers applied."""
    m, k = inputs.churn_rate, inputs.churn_concentration
    churn = np.full(n, m) if m in (0.0, 1.0) else streams["churn"].beta(m * k, (1 - m) * k, n)
    expansion = np.full(n, inputs.expansion_rate)
    if inputs.expansion_sd > 0:
        expansion = streams["expansion"].normal(inputs.expansion_rate, inputs.expansion_sd, n)
    acquisition = np.full(n, inputs.acquisition_mean)
    for name in inputs.levers:
        spec = LEVER_CATALOGUE[name]
        uplift = _lever_uplift(streams[name], inputs.lever_uplifts.get(name, tuple(spec["uplift"])), n)
        if spec["metric"] == "acquisition":
            acquisition = acquisition * np.maximum(1 + uplift, 0)
        elif spec["metric"] == "churn":
            churn = churn * np.maximum(1 - uplift, 0)
        else:
            expansion = expansion + uplift
    return _Paths(churn=np.clip(churn, 0, 1), expansion=expansion, acquisition=acquisition)


def _chunks(paths: int) -> list[tuple[int, int]]:
    """Return (chunk number, paths in it) for ``paths`` split into CHUNK_PATHS-sized chunks."""
    return [(i, min(CHUNK_PATHS, paths - i * CHUNK_PATHS)) for i in range(-(-paths // CHUNK_PATHS))]


def simulate_chunk(inputs: SimulationInputs, seed: int, chunk: int, size: int,
                   out: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (customers, MRR) of chunk ``chunk`` (``size`` paths), each (months + 1, size): row 0 is the start.

    The unit of work of `simulate`, locally or on a Dask worker: it depends only on
    (inputs, seed, chunk, size). ``inputs`` must be validated. ``out``: two arrays of that
    shape (int64, float64; views of a larger matrix allowed) to fill instead of new ones.
    """
    streams = _streams(seed, chunk)
    drawn = _draw_paths(inputs, streams, size)
    sigma = inputs.acquisition_sigma if inputs.acquisition_distribution == "lognormal" else 0.0
    acquisition, losses = streams["acquisition"], streams["losses"]
    shape = (size, inputs.months)
    u_new, u_lost = acquisition.random(shape), losses.random(shape)
    shocks = acquisition.normal(-sigma * sigma / 2, sigma, shape) if sigma > 0 else np.empty((0, 0))
    if out is None:
        out = (np.empty((inputs.months + 1, size), dtype=np.int64), np.empty((inputs.months + 1, size)))
    customers, mrr = out
    sampling = _sampling()
    sampling.run_paths(acquisition, losses, u_new, u_lost, shocks, drawn.acquisition, drawn.churn,
                       np.maximum(1 + drawn.expansion, 0), float(sigma), int(inputs.starting_customers),
                       float(inputs.arpa), sampling.LOG_FACTORIAL, sampling.RECIPROCAL, customers, mrr)
    return customers, mrr


def reference_chunk(inputs: SimulationInputs, seed: int, chunk: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The same model as `simulate_chunk`, as a bare NumPy loop over months of ``Generator.poisson`` and
    ``Generator.binomial`` (NumPy's exact samplers): the baseline of the benchmark and the reference of the
    distribution test. Same per-path parameters; other draws, so equal in distribution, not path by path."""
    streams = _streams(seed, chunk)
    drawn = _draw_paths(inputs, streams, size)
    customers = np.empty((inputs.months + 1, size), dtype=np.int64)
    mrr = np.empty((inputs.months + 1, size), dtype=np.float64)
    customers[0], mrr[0] = inputs.starting_customers, inputs.starting_customers * float(inputs.arpa)
    growth = np.maximum(1 + drawn.expansion, 0)
    acquisition, losses = streams["acquisition"], streams["losses"]
    for t in range(1, inputs.months + 1):
        mean = drawn.acquisition
        if inputs.acquisition_distribution == "lognormal" and inputs.acquisition_sigma > 0:
            sigma = inputs.acquisition_sigma
            mean = np.where(mean > 0, mean * acquisition.lognormal(-sigma * sigma / 2, sigma, size), 0.0)
        new = acquisition.poisson(mean)
        kept = customers[t - 1] - losses.binomial(customers[t - 1], drawn.churn)
        ratio = np.divide(kept, customers[t - 1], out=np.ones(size), where=customers[t - 1] > 0)
        mrr[t] = mrr[t - 1] * ratio * growth + new * float(inputs.arpa)
        customers[t] = kept + new
    return customers, mrr


def simulate(inputs: SimulationInputs | Mapping, seed: int, *, cluster=None) -> SimulationResult:
    """Return the SimulationResult of ``inputs`` (validated) run with ``seed``: same seed, same output.

    The paths are simulated in chunks of CHUNK_PATHS, chunk i from child i of
    ``numpy.random.SeedSequence(seed)`` (see `simulate_chunk`). ``cluster``: None runs the
    chunks here; a ``dask.distributed.Client`` or a scheduler address (``"tcp://host:8786"``)
    runs them on that cluster's workers. The result is identical either way.

    Raises InvalidParameterError naming a bad input, seed or cluster. Example::

        >>> r = simulate({"months": 36, "starting_customers": 100, "arpa": 500, "churn_rate": 0.03,
        ...               "acquisition_mean": 8, "target_mrr": 80_000, "paths": 100_000}, seed=7)
        >>> r.mrr.loc[36].tolist()          # P10, P50, P90, mean of month 36 MRR
        >>> r.probability_of_target         # share of paths reaching 80k MRR by month 36
    """
    started = time.perf_counter()
    inputs = validate_inputs(inputs)
    seed = _check_seed(seed)
    customers, mrr = _run_chunks(inputs, seed, cluster)
    return _result(inputs, seed, customers, mrr, started)


def _run_chunks(inputs: SimulationInputs, seed: int, cluster) -> tuple[np.ndarray, np.ndarray]:
    """Return the (months + 1, paths) customer and MRR matrices, each chunk filling its columns."""
    chunks = _chunks(inputs.paths)
    if cluster is not None:
        from . import simulation_cluster

        parts = simulation_cluster.run_chunks(cluster, simulate_chunk, inputs, seed, chunks)
        return np.concatenate([c for c, _ in parts], axis=1), np.concatenate([m for _, m in parts], axis=1)
    customers = np.empty((inputs.months + 1, inputs.paths), dtype=np.int64)
    mrr = np.empty((inputs.months + 1, inputs.paths))

    def fill(chunk: tuple[int, int]) -> None:
        columns = slice(chunk[0] * CHUNK_PATHS, chunk[0] * CHUNK_PATHS + chunk[1])
        simulate_chunk(inputs, seed, *chunk, out=(customers[:, columns], mrr[:, columns]))

    if len(chunks) == 1:
        fill(chunks[0])
    else:
        with ThreadPoolExecutor(max_workers=min(len(chunks), os.cpu_count() or 1)) as pool:  # kernels release the GIL
            list(pool.map(fill, chunks))
    return customers, mrr


def _result(inputs: SimulationInputs, seed: int, customers: np.ndarray, mrr: np.ndarray,
            started: float) -> SimulationResult:
    """Return the SimulationResult of the (months + 1, paths) customer and MRR matrices."""
    target = inputs.target_mrr
    reached = None if target is None else (mrr[1:] >= target).any(axis=0)
    with ThreadPoolExecutor(max_workers=2) as pool:  # the bands kernel releases the GIL
        mrr_bands, customer_bands = pool.map(lambda matrix: _sampling().bands(matrix, PERCENTILES), (mrr, customers))
    return SimulationResult(
        inputs=inputs, seed=seed, mrr=_band_frame(mrr_bands), customers=_band_frame(customer_bands),
        probability_of_target=None if target is None else float(reached.mean()),
        probability_target_at_end=None if target is None else float((mrr[-1] >= target).mean()),
        seconds=time.perf_counter() - started,
    )


def _check_seed(seed) -> int:
    """Return ``seed`` if it is a whole number >= 0; raise InvalidParameterError otherwise."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidParameterError(f"seed must be a whole number >= 0; got {seed!r}")
    return int(seed)


def _band_frame(rows: np.ndarray) -> pd.DataFrame:
    """Return the band rows as a DataFrame indexed by month (0 = start) with p10, p50, p90, mean."""
    frame = pd.DataFrame(rows, columns=[f"p{p}" for p in PERCENTILES] + ["mean"])
    frame.index.name = "month"
    return frame


# --- scenarios and sensitivity ---------------------------------------------------


def compare_scenarios(scenarios: Mapping[str, SimulationInputs | Mapping], seed: int) -> pd.DataFrame:
    """Return one row per scenario: final MRR and customer percentiles and target probability.

    All scenarios share ``seed`` (common random numbers), so differences come from the inputs.
    Example: ``compare_scenarios({"base": base, "with levers": {**base, "levers": ["churn_reduction"]}}, seed=1)``
    -> DataFrame indexed by scenario with ``final_mrr_p50`` etc.
    """
    if not scenarios:
        raise InvalidParameterError("scenarios must name at least one set of inputs")
    rows = {}
    for name, inputs in scenarios.items():
        result = simulate(inputs, seed)
        final = result.summary()["final"]
        rows[name] = {"months": result.inputs.months, **{f"final_{k}": v for k, v in final.items()},
                      "probability_of_target": result.probability_of_target}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "scenario"
    return frame


#: Default moves of the tornado: relative factors (x0.8 / x1.2) or absolute steps.
SENSITIVITY_MOVES = {"starting_customers": ("relative", 0.2), "arpa": ("relative", 0.2),
                     "acquisition_mean": ("relative", 0.2), "churn_rate": ("relative", 0.2),
                     "expansion_rate": ("absolute", 0.005)}


def _moved(inputs: SimulationInputs, name: str, how: str, size: float) -> tuple:
    """Return the (low, high) values of one input for the tornado, kept within the allowed range."""
    value = getattr(inputs, name)
    integer, low, high, _, _ = _LIMITS[name]
    pair = (value * (1 - size), value * (1 + size)) if how == "relative" else (value - size, value + size)
    pair = tuple(min(max(v, low), high) for v in pair)
    return tuple(int(round(v)) for v in pair) if integer else pair


def sensitivity(inputs: SimulationInputs | Mapping, seed: int, moves: Mapping[str, tuple] | None = None,
                *, paths: int | None = None) -> pd.DataFrame:
    """Return the tornado table: each input moved low/high, the P50 final MRR at each, sorted by swing.

    ``moves`` maps an input to ("relative", 0.2) or ("absolute", 0.005) (default SENSITIVITY_MOVES).
    Example: ``sensitivity(base, seed=1).iloc[0]`` -> the input that moves P50 final MRR most, with
    low_value, high_value, p50_low, p50_high, base_p50 and swing.
    """
    inputs = validate_inputs(inputs)
    if paths is not None:
        inputs = validate_inputs(replace(inputs, paths=paths))
    base = float(simulate(inputs, seed).mrr["p50"].iloc[-1])
    rows = []
    for name, (how, size) in (moves or SENSITIVITY_MOVES).items():
        if name not in _LIMITS or how not in ("relative", "absolute"):
            raise InvalidParameterError(f"sensitivity moves: {name!r} -> {how!r} is not a numeric input with "
                                        "'relative' or 'absolute'")
        low, high = _moved(inputs, name, how, size)
        p50 = [float(simulate(replace(inputs, **{name: v}), seed).mrr["p50"].iloc[-1]) for v in (low, high)]
        rows.append({"parameter": name, "low_value": low, "high_value": high, "p50_low": p50[0],
                     "p50_high": p50[1], "base_p50": base, "swing": abs(p50[1] - p50[0])})
    return pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
