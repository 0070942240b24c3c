"""Throughput of the domain's hot paths, measured on this machine (no timing asserts in tests).

``python -m bi_workbench.domain.bench`` prints the figures as JSON.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd

from .scoring import load_rubric, score_assessments, score_responses
from .simulation import _chunks, reference_chunk, simulate, validate_inputs

#: Share of choice answers replaced by each kind of noise in the benchmark responses.
NOISE = (None, "", "   ", "n/a", "Series C")


def bench_responses(rows: int, seed: int = 0) -> pd.DataFrame:
    """Return ``rows`` synthetic assessments (columns assessment_id, responses) with odd case and noise.

    Example: ``bench_responses(3)["responses"][0]["growth_pace"]`` -> ``'Steady'`` (or another answer).
    """
    rng = np.random.default_rng(seed)
    rubric = load_rubric()
    columns = {}
    for question in rubric.questions:
        kind = rubric.kind(question)
        if kind == "choice":
            options = [*rubric.allowed(question), *(a.upper() for a in rubric.allowed(question)),
                       *(f" {a.title()} " for a in rubric.allowed(question)), *NOISE]
        elif kind == "text":
            options = ["We track MRR and churn monthly", "Outbound plus partners", "", None]
        else:
            options = [["pricing", "onboarding"], [], None]
        choice = np.empty(len(options), dtype=object)
        choice[:] = options
        columns[question] = choice[rng.integers(0, len(options), rows)]
    names = list(columns)
    responses = [dict(zip(names, values)) for values in zip(*columns.values())]
    return pd.DataFrame({"assessment_id": np.arange(rows), "responses": responses})


def _best_of(repeats: int, action) -> float:
    """Return the shortest wall time of ``repeats`` runs of ``action``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_domain(rows: int = 100_000, paths: int = 100_000, months: int = 36, repeats: int = 3,
                 baseline_rows: int = 2_000) -> dict:
    """Return scoring rows/s and simulation seconds, each beside its baseline in this process.

    Scoring's baseline is ``score_responses`` called one assessment at a time on
    ``baseline_rows``. The simulation's is `simulation.reference_chunk`: the same model
    and per-path parameters as a bare NumPy loop over months of ``Generator.poisson`` /
    ``Generator.binomial`` (NumPy's exact samplers), on the same ``paths`` x ``months``.
    ``simulation_first_call_seconds`` is the first call in this process (numba loading
    its compiled kernels from the cache, or compiling them). Best of ``repeats`` runs.
    Example: ``bench_domain()["simulation_speedup"]`` -> ``3.1``.
    """
    frame = bench_responses(rows)
    scoring = _best_of(repeats, lambda: score_assessments(frame))
    sample = frame["responses"].head(baseline_rows).tolist()
    scoring_loop = _best_of(1, lambda: [score_responses(r) for r in sample])
    inputs = {"months": months, "paths": paths, "starting_customers": 150, "arpa": 450.0, "acquisition_mean": 12.0,
              "churn_rate": 0.03, "expansion_rate": 0.004, "levers": ["churn_reduction", "paid_acquisition"],
              "target_mrr": 120_000.0}
    first_call = _best_of(1, lambda: simulate(inputs, seed=1))
    simulation = _best_of(repeats, lambda: simulate(inputs, seed=1))
    valid = validate_inputs(inputs)
    simulation_loop = _best_of(repeats, lambda: [reference_chunk(valid, 1, i, size) for i, size in _chunks(paths)])
    scoring_rate, loop_rate = rows / scoring, baseline_rows / scoring_loop
    return {
        "scoring_rows": rows, "scoring_seconds": round(scoring, 3), "scoring_rows_per_second": int(scoring_rate),
        "scoring_loop_rows_per_second": int(loop_rate), "scoring_speedup": round(scoring_rate / loop_rate, 1),
        "simulation_paths": paths, "simulation_months": months, "simulation_seconds": round(simulation, 3),
        "simulation_first_call_seconds": round(first_call, 3),
        "simulation_numpy_loop_seconds": round(simulation_loop, 3),
        "simulation_speedup": round(simulation_loop / simulation, 2),
    }


if __name__ == "__main__":
    print(json.dumps(bench_domain(), indent=2))
