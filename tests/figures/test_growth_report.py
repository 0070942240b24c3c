"""Figures of the growth report: the data each figure draws (traces, x/y values), titles, and 'no data' when empty."""

from __future__ import annotations

import pandas as pd
import pytest

from bi_workbench.domain import growth_report
from bi_workbench.domain.simulation import simulate
from bi_workbench.figures.common import NO_DATA
from bi_workbench.figures import growth_report as figures

BASE = {"customers": 200, "arpa": 100.0, "mrr": 20_000.0, "new_customers": 15.0, "churn_rate": 0.03,
        "expansion_rate": 0.0}


def is_no_data(fig) -> bool:
    return len(fig.data) == 0 and [a.text for a in fig.layout.annotations] == [NO_DATA]


def assert_labelled(fig) -> None:
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def funnel_frame(plans):
    return pd.DataFrame({"stage": ["suggested", "accepted", "in_progress", "completed", "rejected"], "plans": plans,
                         "share_of_suggested": 0.0, "conversion_from_previous": 0.0})


def test_the_funnel_draws_the_four_stages_without_the_rejected():
    fig = figures.lever_status_funnel(funnel_frame([10, 6, 3, 1, 2]))
    assert_labelled(fig)
    (trace,) = fig.data
    assert trace.type == "funnel"
    assert list(trace.y) == ["suggested", "accepted", "in_progress", "completed"] and list(trace.x) == [10, 6, 3, 1]


def test_a_funnel_without_plans_says_no_data():
    fig = figures.lever_status_funnel(funnel_frame([0, 0, 0, 0, 0]))
    assert is_no_data(fig)
    assert_labelled(fig)


def test_rice_bars_best_first_and_the_catalogue_beside_fitted_scores():
    catalogue = figures.rice_priorities(growth_report.lever_priorities())
    (bars,) = catalogue.data
    assert list(bars.y) == growth_report.lever_priorities()["lever"].tolist()
    assert list(bars.x) == growth_report.lever_priorities()["rice"].tolist()
    assert catalogue.layout.yaxis.autorange == "reversed"
    fitted = figures.rice_priorities(growth_report.lever_priorities({"growth": 0.5, "technology": 4.5}))
    assert [t.name for t in fitted.data] == ["fitted to the organization", "catalogue default"]
    assert fitted.data[0].x != fitted.data[1].x


def test_roi_bars_carry_their_low_high_range():
    frame = pd.DataFrame({"lever": ["a", "b"], "metric": ["churn", "acquisition"], "roi_low": [-0.5, 0.1],
                          "roi_expected": [0.5, 0.2], "roi_high": [2.0, 0.4]})
    fig = figures.roi_ranges(frame)
    (bars,) = fig.data
    assert list(bars.x) == ["a", "b"] and list(bars.y) == [0.5, 0.2]
    assert list(bars.error_y.array) == pytest.approx([1.5, 0.2])
    assert list(bars.error_y.arrayminus) == pytest.approx([1.0, 0.1])
    assert_labelled(fig)


def test_progress_bars_stack_the_statuses_per_lever():
    frame = pd.DataFrame({"lever": ["churn_reduction", "referral_program"], "milestones": [3, 2],
                          "mean_progress": [50.0, 0.0], "completed": [1, 0], "in_progress": [1, 0],
                          "not_started": [1, 2], "overdue": [0, 2], "completion_rate": [0.33, 0.0]})
    fig = figures.progress_by_lever(frame)
    assert [t.name for t in fig.data] == ["completed", "in progress", "not started"]
    assert [list(t.x) for t in fig.data] == [[1, 0], [1, 0], [1, 2]]
    assert all(list(t.y) == ["churn_reduction", "referral_program"] for t in fig.data)
    assert fig.layout.barmode == "stack"


def test_the_mrr_band_draws_p10_p90_shaded_the_median_and_the_target():
    inputs = growth_report.simulation_inputs(BASE, 12, 300)
    bands = growth_report.band_table(simulate(inputs, seed=1))
    fig = figures.mrr_bands(bands, inputs["target_mrr"])
    assert [t.name for t in fig.data] == ["P10", "P90", "P50"]
    assert list(fig.data[0].x) == bands["month"].tolist()
    assert list(fig.data[0].y) == bands["p10"].tolist() and list(fig.data[2].y) == bands["p50"].tolist()
    assert fig.data[1].fill == "tonexty"
    assert [s.y0 for s in fig.layout.shapes] == [25_000.0]
    assert len(figures.mrr_bands(bands).layout.shapes) == 0
    assert_labelled(fig)


def test_scenarios_bars_with_p10_p90_error_bars():
    frame = pd.DataFrame({"scenario": ["baseline", "+ x"], "levers": ["", "x"], "final_mrr_p10": [90.0, 100.0],
                          "final_mrr_p50": [100.0, 120.0], "final_mrr_p90": [130.0, 150.0],
                          "final_customers_p50": [10.0, 12.0], "probability_of_target": [0.1, 0.2],
                          "p50_vs_baseline": [0.0, 0.2]})
    (bars,) = figures.scenario_comparison(frame).data
    assert list(bars.x) == ["baseline", "+ x"] and list(bars.y) == [100.0, 120.0]
    assert list(bars.error_y.array) == [30.0, 30.0] and list(bars.error_y.arrayminus) == [10.0, 20.0]


def test_the_tornado_draws_changes_against_the_base_largest_swing_on_top():
    frame = pd.DataFrame({"parameter": ["arpa", "churn_rate"], "low_value": [80.0, 0.02], "high_value": [120.0, 0.04],
                          "p50_low": [80.0, 105.0], "p50_high": [120.0, 95.0], "base_p50": [100.0, 100.0],
                          "swing": [40.0, 10.0]})
    fig = figures.tornado(frame)
    low, high = fig.data
    assert list(low.y) == ["arpa", "churn_rate"] and list(low.x) == [-20.0, 5.0] and list(high.x) == [20.0, -5.0]
    assert fig.layout.yaxis.autorange == "reversed"


def test_stored_simulations_stack_by_status():
    frame = pd.DataFrame({"month": [pd.Timestamp("2025-03-01").date()] * 2 + [pd.Timestamp("2025-04-01").date()],
                          "complete": [True, True, True], "status": ["completed", "failed", "completed"],
                          "simulations": [2, 1, 3]})
    fig = figures.stored_simulations_by_month(frame)
    assert [t.name for t in fig.data] == ["completed", "failed"]
    assert list(fig.data[0].y) == [2, 3] and list(fig.data[1].y) == [1]
    assert fig.layout.barmode == "stack" and not fig.layout.shapes
    shaded = figures.stored_simulations_by_month(frame.assign(complete=[True, True, False]))
    assert pd.Timestamp(shaded.layout.shapes[0].x0) == pd.Timestamp("2025-04-01")  # April is not over


@pytest.mark.parametrize("build, columns", [
    (figures.rice_priorities, growth_report.PRIORITY_COLUMNS),
    (figures.roi_ranges, growth_report.ROI_COLUMNS),
    (figures.progress_by_lever, growth_report.PROGRESS_COLUMNS),
    (figures.mrr_bands, growth_report.BAND_COLUMNS),
    (figures.scenario_comparison, growth_report.SCENARIO_COLUMNS),
    (figures.tornado, growth_report.TORNADO_COLUMNS),
    (figures.stored_simulations_by_month, growth_report.STORED_MONTH_COLUMNS),
], ids=lambda v: getattr(v, "__name__", ""))
def test_every_figure_of_an_empty_frame_says_no_data(build, columns):
    fig = build(pd.DataFrame(columns=columns))
    assert is_no_data(fig)
    assert_labelled(fig)


def test_an_empty_selection_in_a_real_database_draws_no_data_figures(schema_database):
    with schema_database.connect() as conn:
        bounds = growth_report.selection(conn, {})
        assert is_no_data(figures.lever_status_funnel(growth_report.lever_status_funnel(conn, bounds)))
        assert is_no_data(figures.progress_by_lever(growth_report.progress_by_lever(conn, bounds)))
        baseline = growth_report.subscription_baseline(conn, bounds)
        assert is_no_data(figures.roi_ranges(growth_report.roi_table(baseline)))
        result = simulate(growth_report.simulation_inputs(baseline, 12, 100), seed=1)
        assert is_no_data(figures.mrr_bands(growth_report.band_table(result), result.inputs.target_mrr))
        monthly = growth_report.stored_simulations_by_month(conn, bounds)
        assert is_no_data(figures.stored_simulations_by_month(monthly))
