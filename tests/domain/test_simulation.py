"""Growth simulation: determinism, band order, sanity cases, validation, scenarios, tornado, the compiled
sampler's distribution against NumPy's, chunks, and the same result on a real Dask cluster."""

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from distributed import Client

from bi_workbench.domain import sampling, simulation
from bi_workbench.domain.simulation import (
    SimulationInputs, compare_scenarios, sensitivity, simulate, validate_inputs,
)
from bi_workbench.errors import InvalidParameterError

BASE = {"months": 24, "starting_customers": 120, "arpa": 400.0, "acquisition_mean": 9.0, "churn_rate": 0.04,
        "expansion_rate": 0.003, "expansion_sd": 0.002, "target_mrr": 70_000.0, "paths": 4_000}


def test_the_same_seed_gives_identical_output_and_another_seed_does_not():
    a, b = simulate(BASE, seed=5), simulate(BASE, seed=5)
    assert a.mrr.equals(b.mrr) and a.customers.equals(b.customers)
    assert a.summary() == b.summary()
    assert not simulate(BASE, seed=6).mrr.equals(a.mrr)
    lognormal = {**BASE, "acquisition_distribution": "lognormal", "levers": ["paid_acquisition", "churn_reduction"]}
    assert simulate(lognormal, seed=5).summary() == simulate(lognormal, seed=5).summary()


def test_bands_are_ordered_for_every_month():
    result = simulate({**BASE, "acquisition_distribution": "lognormal", "acquisition_sigma": 1.0}, seed=1)
    for frame in (result.mrr, result.customers):
        assert list(frame.index) == list(range(BASE["months"] + 1))
        assert (frame["p10"] <= frame["p50"]).all() and (frame["p50"] <= frame["p90"]).all()
    assert result.mrr.loc[0].tolist() == [120 * 400.0] * 4


def test_no_churn_and_no_acquisition_keeps_customers_and_mrr_constant():
    result = simulate({"months": 12, "starting_customers": 50, "arpa": 100.0, "acquisition_mean": 0.0,
                       "churn_rate": 0.0, "paths": 500}, seed=3)
    assert (result.customers.to_numpy() == 50).all()
    assert (result.mrr.to_numpy() == 5_000.0).all()


def test_no_churn_never_loses_customers_and_full_churn_keeps_only_new_ones():
    growing = simulate({**BASE, "churn_rate": 0.0}, seed=2).customers
    assert (growing["p10"].diff().dropna() >= 0).all()
    gone = simulate({**BASE, "churn_rate": 1.0, "acquisition_mean": 0.0}, seed=2)
    assert (gone.customers.loc[1:].to_numpy() == 0).all() and (gone.mrr.loc[1:].to_numpy() == 0).all()


def test_levers_move_the_outcome_the_way_they_promise():
    base = simulate(BASE, seed=9).mrr["p50"].iloc[-1]
    better_retention = simulate({**BASE, "levers": ["churn_reduction"]}, seed=9).customers["p50"].iloc[-1]
    assert better_retention >= simulate(BASE, seed=9).customers["p50"].iloc[-1]
    boosted = {**BASE, "levers": ["paid_acquisition"], "lever_uplifts": {"paid_acquisition": [0.5, 0.5, 0.5]}}
    more_leads = simulate(boosted, seed=9).mrr["p50"].iloc[-1]
    assert more_leads > base


def test_target_probability_is_a_share_and_reached_by_is_at_least_reached_at_the_end():
    result = simulate(BASE, seed=4)
    assert 0 <= result.probability_target_at_end <= result.probability_of_target <= 1
    assert simulate({**BASE, "target_mrr": 1.0}, seed=4).probability_of_target == 1.0
    assert simulate({**BASE, "target_mrr": None}, seed=4).probability_of_target is None


@pytest.mark.parametrize("name, value, allowed", [
    ("churn_rate", -0.1, "between 0 and 1"), ("churn_rate", 1.5, "between 0 and 1"),
    ("months", 0, "from 1 to 600"), ("months", -3, "from 1 to 600"), ("months", 2.5, "whole number"),
    ("starting_customers", -1, ">= 0"), ("arpa", float("nan"), ">= 0"), ("acquisition_mean", -2, ">= 0"),
    ("paths", 0, "from 1 to"), ("target_mrr", 0, "> 0"), ("months", True, "whole number"),
    ("churn_concentration", 0, "> 0"), ("expansion_rate", -2, "between -1 and 1"), ("arpa", "500", ">= 0"),
])
def test_invalid_inputs_name_the_parameter_and_what_is_allowed(name, value, allowed):
    with pytest.raises(InvalidParameterError, match=rf"^{name} must be .*{allowed}.*; got {re.escape(repr(value))}$"):
        simulate({**BASE, name: value}, seed=1)


def test_other_invalid_inputs_are_named_too():
    with pytest.raises(InvalidParameterError, match="unknown simulation input\\(s\\) \\['churn'\\]; allowed:"):
        validate_inputs({"churn": 0.1})
    with pytest.raises(InvalidParameterError, match="levers: unknown \\['warp_drive'\\]; allowed: referral_program"):
        validate_inputs({"levers": ["warp_drive"]})
    with pytest.raises(InvalidParameterError, match="acquisition_distribution must be 'poisson' or 'lognormal'"):
        validate_inputs({"acquisition_distribution": "gaussian"})
    with pytest.raises(InvalidParameterError, match="lever_uplifts\\['churn_reduction'\\]"):
        validate_inputs({"lever_uplifts": {"churn_reduction": [0.3, 0.1, 0.2]}})
    with pytest.raises(InvalidParameterError, match="seed must be a whole number >= 0"):
        simulate(BASE, seed=-1)


def test_inputs_round_trip_through_json():
    inputs = SimulationInputs.from_dict({**BASE, "levers": ["churn_reduction"],
                                         "lever_uplifts": {"churn_reduction": [0.1, 0.2, 0.3]}})
    again = SimulationInputs.from_dict(json.loads(json.dumps(inputs.to_dict())))
    assert again == inputs


def test_scenarios_share_randomness_and_land_in_one_table():
    table = compare_scenarios({"base": BASE, "retention": {**BASE, "levers": ["churn_reduction"]},
                               "base again": BASE}, seed=8)
    assert list(table.index) == ["base", "retention", "base again"]
    assert table.loc["base"].equals(table.loc["base again"])
    assert {"final_mrr_p10", "final_mrr_p50", "final_mrr_p90", "probability_of_target"} <= set(table.columns)
    assert table.loc["retention", "final_customers_p50"] >= table.loc["base", "final_customers_p50"]


def test_sensitivity_moves_each_input_and_sorts_by_swing():
    tornado = sensitivity(BASE, seed=2, paths=2_000)
    assert set(tornado["parameter"]) == set(simulation.SENSITIVITY_MOVES)
    assert list(tornado["swing"]) == sorted(tornado["swing"], reverse=True)
    arpa = tornado.set_index("parameter").loc["arpa"]
    assert arpa["low_value"] == pytest.approx(320.0) and arpa["high_value"] == pytest.approx(480.0)
    assert arpa["p50_low"] < arpa["base_p50"] < arpa["p50_high"]
    churn = tornado.set_index("parameter").loc["churn_rate"]
    assert churn["p50_low"] >= churn["p50_high"]  # less churn, more MRR


def test_the_summary_is_json_serialisable():
    summary = simulate(BASE, seed=1).summary()
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert len(summary["mrr"]["p50"]) == BASE["months"] + 1 and summary["p50"] == summary["mrr"]["p50"][-1]


def test_a_big_run_is_vectorised():
    result = simulate({**BASE, "months": 36, "paths": 100_000}, seed=1)
    assert result.mrr.shape == (37, 4) and np.isfinite(result.mrr.to_numpy()).all()


# --- the compiled sampler against NumPy's exact samplers ------------------------------------

#: Paths per method in the distribution checks, and the tolerance they use: for a percentile q the
#: reference's empirical CDF at the new method's q-th percentile must lie within
#: 4.5 x sqrt(2 q (1 - q) / N) of q (4.5 standard errors of the difference of two independent
#: samples of N: a correct sampler fails it with probability below 1e-5 per comparison).
DISTRIBUTION_PATHS = 20_000
QUANTILES = (5, 10, 25, 50, 75, 90, 95)


def _reference(inputs: dict, seed: int) -> tuple[np.ndarray, np.ndarray]:
    valid = validate_inputs(inputs)
    parts = [simulation.reference_chunk(valid, seed, i, size) for i, size in simulation._chunks(valid.paths)]
    return np.concatenate([c for c, _ in parts], axis=1), np.concatenate([m for _, m in parts], axis=1)


def _compiled(inputs: dict, seed: int) -> tuple[np.ndarray, np.ndarray]:
    valid = validate_inputs(inputs)
    parts = [simulation.simulate_chunk(valid, seed, i, size) for i, size in simulation._chunks(valid.paths)]
    return np.concatenate([c for c, _ in parts], axis=1), np.concatenate([m for _, m in parts], axis=1)


def _assert_same_distribution(ours: np.ndarray, reference: np.ndarray, what: str) -> None:
    n = len(reference)
    ordered = np.sort(reference)
    for q in QUANTILES:
        value = np.percentile(ours, q)
        # the reference's share below and up to the value (they differ where counts tie)
        low, high = np.searchsorted(ordered, value, "left") / n, np.searchsorted(ordered, value, "right") / n
        tolerance = 4.5 * np.sqrt(2 * (q / 100) * (1 - q / 100) / n)
        assert low - tolerance <= q / 100 <= high + tolerance, (what, q, value, low, high, tolerance)


@pytest.mark.parametrize("case", [
    {},                                                                   # small counts: the walks
    {"acquisition_distribution": "lognormal", "acquisition_sigma": 0.8},  # a new mean every month
    {"starting_customers": 200_000, "acquisition_mean": 900.0},           # large counts: NumPy's samplers
    {"starting_customers": 20_000, "churn_rate": 0.01, "acquisition_mean": 350.0},  # walks near the limit
    {"churn_rate": 0.7, "churn_concentration": 50.0},                     # p > 1/2
])
def test_the_compiled_sampler_has_the_distribution_of_numpys_exact_samplers(case):
    inputs = {**BASE, "months": 36, "paths": DISTRIBUTION_PATHS, "levers": ["paid_acquisition"], **case}
    ours_customers, ours_mrr = _compiled(inputs, seed=11)
    ref_customers, ref_mrr = _reference(inputs, seed=12)
    for month in (1, 12, 36):
        _assert_same_distribution(ours_customers[month], ref_customers[month], f"customers month {month}")
        _assert_same_distribution(ours_mrr[month], ref_mrr[month], f"MRR month {month}")


def test_the_check_above_would_catch_a_slightly_wrong_distribution():
    inputs = {**BASE, "months": 36, "paths": DISTRIBUTION_PATHS}
    ours_customers, _ = _compiled({**inputs, "churn_rate": 0.042}, seed=11)  # 5% more churn than the reference
    ref_customers, _ = _reference(inputs, seed=12)
    with pytest.raises(AssertionError):
        _assert_same_distribution(ours_customers[36], ref_customers[36], "customers")


def test_bands_equal_numpy_percentiles_exactly():
    rng = np.random.default_rng(3)
    matrix = np.vstack([rng.normal(0, 1, 50_001), rng.exponential(5, 50_001), np.repeat([1.0, 2.0, 3.0], 16_667),
                        np.full(50_001, 7.0), rng.integers(0, 10, 50_001).astype(float)])
    bands = sampling.bands(matrix)
    np.testing.assert_array_equal(bands[:, :3], np.percentile(matrix, (10, 50, 90), axis=1).T)
    np.testing.assert_allclose(bands[:, 3], matrix.mean(axis=1), rtol=1e-13)  # summed in another order
    small = np.array([[4.0, 1.0, 3.0]])
    np.testing.assert_allclose(sampling.bands(small), [[1.4, 3.0, 3.8, 8 / 3]], rtol=1e-15)
    counts = rng.integers(0, 1000, (3, 30_000))
    np.testing.assert_array_equal(sampling.bands(counts)[:, :3], np.percentile(counts, (10, 50, 90), axis=1).T)
    # heavy tails, one far outlier, a range wider than float64 holds, and a NaN (every percentile NaN, as NumPy)
    odd = np.vstack([rng.standard_cauchy(20_001), np.r_[np.zeros(20_000), 1e300],
                     np.r_[-1e308, rng.normal(0, 1, 19_999), 1e308], np.r_[np.nan, rng.normal(0, 1, 20_000)]])
    np.testing.assert_array_equal(sampling.bands(odd)[:, :3], np.percentile(odd, (10, 50, 90), axis=1).T)
    # short rows: positions past the middle of two values round from the upper one, as NumPy does
    for n in range(2, 60):
        short = rng.lognormal(10, 1, (20, n))
        np.testing.assert_array_equal(sampling.bands(short)[:, :3],
                                      np.percentile(short, (10, 50, 90), axis=1).T)
    for bad in (np.empty((2, 0)), np.ones(3)):
        with pytest.raises(ValueError, match="at least one value per row"):
            sampling.bands(bad)
    with pytest.raises(ValueError, match="between 0 and 100"):
        sampling.bands(np.ones((1, 3)), (50, 101))


def test_the_tabulated_poisson_draw_is_inversion_of_its_cdf():
    cdf, guide = np.empty(sampling.POISSON_TABLE_SIZE), np.empty(sampling.GUIDE_SIZE, np.int64)
    uniforms = np.random.default_rng(5).random(20_000)
    for lam in (0.3, 4.0, 37.5, 399.0):
        filled = sampling.poisson_table(lam, cdf, guide)
        draws = np.array([sampling.poisson_from_table(u, cdf, filled, guide) for u in uniforms])
        # the smallest k with u < cdf[k]; -1 (NumPy draws instead) only past the table
        expected = np.searchsorted(cdf[:filled], uniforms, side="right")
        np.testing.assert_array_equal(draws, np.where(expected < filled, expected, -1))


def test_paths_run_in_fixed_chunks_each_from_its_own_seed_sequence_child():
    inputs = validate_inputs({**BASE, "months": 12, "paths": simulation.CHUNK_PATHS + 500})
    whole_customers, whole_mrr = _compiled(inputs.to_dict(), seed=21)
    second_customers, second_mrr = simulation.simulate_chunk(inputs, 21, 1, 500)
    np.testing.assert_array_equal(whole_customers[:, simulation.CHUNK_PATHS:], second_customers)
    np.testing.assert_array_equal(whole_mrr[:, simulation.CHUNK_PATHS:], second_mrr)
    # a chunk depends on (seed, chunk number) only, not on how many chunks there are
    alone, _ = simulation.simulate_chunk(inputs, 21, 0, simulation.CHUNK_PATHS)
    np.testing.assert_array_equal(whole_customers[:, :simulation.CHUNK_PATHS], alone)


# --- on a Dask cluster: a real scheduler and two workers on 127.0.0.1 --------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1; yields the scheduler address."""
    dask = str(Path(sys.executable).with_name("dask"))
    port, folder = _free_port(), tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{port}"
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--dashboard-address", ":0", "--no-show"], cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    processes += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                    "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(folder)],
                                   cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                  for _ in range(2)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_simulation_on_the_cluster_equals_the_single_machine_result(dask_cluster):
    inputs = {**BASE, "months": 36, "paths": 2 * simulation.CHUNK_PATHS + 1_234,
              "acquisition_distribution": "lognormal", "levers": ["churn_reduction", "paid_acquisition"]}
    local = simulate(inputs, seed=77)
    remote = simulate(inputs, seed=77, cluster=dask_cluster)
    assert remote.mrr.equals(local.mrr) and remote.customers.equals(local.customers)
    assert remote.summary() == local.summary()
    with Client(dask_cluster, timeout=60) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        again = simulate(inputs, seed=77, cluster=client)
        assert again.summary() == local.summary()
        assert client.status == "running"  # a Client passed in is left open
    assert simulate(inputs, seed=78, cluster=dask_cluster).summary() != local.summary()


def test_a_bad_cluster_is_named(monkeypatch):
    from bi_workbench import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)  # refused at once, but Dask tries again until the timeout
    with pytest.raises(InvalidParameterError, match="cluster=42 is not a Dask scheduler address"):
        simulate(BASE, seed=1, cluster=42)
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(InvalidParameterError, match=f"cannot reach the Dask scheduler at {address}"):
        simulate(BASE, seed=1, cluster=address)
