"""Growth simulation: determinism, band order, sanity cases, validation, scenarios, tornado, stored lifecycle."""

import json
import re

import numpy as np
import pytest

from bi_workbench.domain import simulation
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
