"""Growth levers: RICE by hand, category fit, ROI ranges, the plan, progress roll-ups, storing a plan."""

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.domain.levers import (
    LEVER_CATALOGUE, PHASES, catalogue_frame, expected_mrr_path, implementation_plan, prioritize_levers,
    progress_rollup, rice_table, write_lever_plan,
)
from bi_workbench.errors import InvalidParameterError
from bi_workbench.schema.tables import growth_levers, growth_progress

#: A catalogue small enough to check by hand.
HAND = {
    "a": {"reach": 0.5, "impact": 2.0, "confidence": 0.8, "effort": 2.0, "metric": "acquisition",
          "uplift": (0.0, 0.1, 0.2), "readiness": ("team",), "need": ("growth",)},      # 0.4
    "b": {"reach": 1.0, "impact": 1.0, "confidence": 0.5, "effort": 0.5, "metric": "churn",
          "uplift": (0.05, 0.1, 0.15), "readiness": (), "need": ()},                    # 1.0
    "c": {"reach": 0.2, "impact": 3.0, "confidence": 1.0, "effort": 4.0, "metric": "expansion",
          "uplift": (0.001, 0.002, 0.004), "readiness": (), "need": ()},                # 0.15
    "d": {"reach": 0.4, "impact": 0.5, "confidence": 1.0, "effort": 0.5, "metric": "acquisition",
          "uplift": (0.0, 0.05, 0.1), "readiness": (), "need": ()},                     # 0.4, less effort than a
}


def test_rice_orders_a_hand_checked_example():
    table = rice_table(catalogue=HAND)
    assert table["rice"].to_dict() == pytest.approx({"b": 1.0, "d": 0.4, "a": 0.4, "c": 0.15})
    assert list(table.index) == ["b", "d", "a", "c"]  # a tie on RICE goes to the smaller effort
    assert list(table["rank"]) == [1, 2, 3, 4]


def test_category_scores_adjust_confidence_and_impact_as_documented():
    table = rice_table(["a"], {"team": 5.0, "growth": 0.0}, catalogue=HAND)
    confidence = min(0.8 * (1 + 0.4 * (5.0 - 2.5) / 2.5), 1.0)
    impact = 2.0 * (1 + 0.4 * (2.5 - 0.0) / 2.5)
    assert table.loc["a", "confidence"] == pytest.approx(confidence)
    assert table.loc["a", "impact"] == pytest.approx(impact)
    assert table.loc["a", "rice"] == pytest.approx(0.5 * impact * confidence / 2.0)
    weak_team = rice_table(["a"], {"team": 0.0, "growth": None}, catalogue=HAND)
    assert weak_team.loc["a", "confidence"] == pytest.approx(0.8 * 0.6)
    assert weak_team.loc["a", "impact"] == 2.0  # a missing score leaves impact alone


def test_the_default_catalogue_holds_the_platforms_levers():
    assert set(LEVER_CATALOGUE) == {"referral_program", "pricing_optimization", "content_marketing",
                                    "sales_enablement", "onboarding_improvement", "churn_reduction", "partnerships",
                                    "paid_acquisition"}
    assert len(catalogue_frame()) == 8


def test_prioritize_levers_returns_scores_roi_ranges_and_an_ordered_plan():
    plan = prioritize_levers(["churn_reduction", "paid_acquisition", "partnerships"],
                             {"growth": 1.0, "technology": 4.0, "strategy": 4.0})
    assert list(plan.priority_scores) == plan.levers
    assert list(plan.priority_scores.values()) == sorted(plan.priority_scores.values(), reverse=True)
    for lever, roi in plan.roi_estimates.items():
        assert set(roi) == {"low", "expected", "high"} and roi["low"] <= roi["expected"] <= roi["high"]
    steps = plan.implementation_plan
    assert [s["step"] for s in steps] == [1, 2, 3]
    assert sorted(s["lever"] for s in steps) == sorted(plan.levers)
    assert all(s["phase"] in PHASES for s in steps)
    assert [PHASES.index(s["phase"]) for s in steps] == sorted(PHASES.index(s["phase"]) for s in steps)
    assert all(a["end_month"] == b["start_month"] for a, b in zip(steps, steps[1:]))


def test_implementation_plan_puts_quick_wins_first():
    steps = implementation_plan(rice_table(catalogue=HAND), capacity=1.0)
    # median RICE 0.4: a (0.4, effort 2) is still a quick win; c is low RICE and much effort
    assert [(s["lever"], s["phase"]) for s in steps] == [
        ("b", "quick_win"), ("d", "quick_win"), ("a", "quick_win"), ("c", "deprioritised")]
    steps = implementation_plan(rice_table(catalogue=HAND), capacity=1.0, quick_effort=1.0)
    assert [(s["lever"], s["phase"]) for s in steps] == [
        ("b", "quick_win"), ("d", "quick_win"), ("a", "major_project"), ("c", "deprioritised")]
    assert steps[0]["start_month"] == 0.0 and steps[0]["end_month"] == 0.5


def test_roi_grows_with_the_uplift_and_a_bigger_customer_base():
    small = prioritize_levers(["churn_reduction"], baseline={"customers": 100}).roi_estimates["churn_reduction"]
    large = prioritize_levers(["churn_reduction"], baseline={"customers": 2000}).roi_estimates["churn_reduction"]
    assert large["expected"] > small["expected"]


def test_expected_mrr_path_is_the_documented_recursion():
    assert expected_mrr_path(2, 10, 100, 1, 0.1, 0.0).tolist() == pytest.approx([1000 * 0.9 + 100, 1000 * 0.81 + 190])


@pytest.mark.parametrize("call, message", [
    (lambda: rice_table(["warp_drive"]), "unknown or none \\['warp_drive'\\]"),
    (lambda: rice_table(catalogue={"x": {**HAND["a"], "reach": 1.5}}), "reach must be a number > 0 and <= 1"),
    (lambda: rice_table(catalogue={"x": {**HAND["a"], "metric": "vibes"}}), "metric of \\['x'\\]"),
    (lambda: prioritize_levers(baseline={"churn_rate": 2}), "churn_rate must be a number from 0 to 1"),
    (lambda: implementation_plan(rice_table(), capacity=0), "capacity must be > 0"),
])
def test_bad_inputs_name_the_parameter(call, message):
    with pytest.raises(InvalidParameterError, match=message):
        call()


def _progress_frame():
    now = datetime(2025, 6, 1, tzinfo=timezone.utc)
    rows = [
        ("L1", "u1", "o1", "completed", 100, now - timedelta(days=200)),
        ("L1", "u1", "o1", "in_progress", 40, now - timedelta(days=120)),   # overdue (older than 90 days)
        ("L1", "u1", "o1", "not_started", 0, now - timedelta(days=10)),
        ("L2", "u2", "o1", " In_Progress ", 60, now - timedelta(days=5)),
        ("L2", "u2", "o1", None, None, now - timedelta(days=100)),          # NULL status: not started, overdue
    ]
    frame = pd.DataFrame(rows, columns=["lever_id", "user_id", "organization_id", "status", "progress_percentage",
                                        "created_at"])
    return frame, now


def test_progress_rollup_per_lever_and_per_user_or_org():
    frame, now = _progress_frame()
    per_lever = progress_rollup(frame, as_of=now)
    assert per_lever.loc["L1"].to_dict() == pytest.approx({
        "milestones": 3, "mean_progress": 140 / 3, "completed": 1, "in_progress": 1, "not_started": 1,
        "overdue": 1, "completion_rate": 1 / 3})
    assert per_lever.loc["L2", "in_progress"] == 1 and per_lever.loc["L2", "not_started"] == 1
    assert per_lever.loc["L2", "overdue"] == 1 and per_lever.loc["L2", "mean_progress"] == 60
    per_org = progress_rollup(frame, by="organization_id", as_of=now)
    assert per_org.loc["o1", "milestones"] == 5 and per_org.loc["o1", "overdue"] == 2
    both = progress_rollup(frame, by=["organization_id", "user_id"], as_of=now)
    assert both.loc[("o1", "u2"), "milestones"] == 2
    with_due = progress_rollup(frame.assign(due_at=now + timedelta(days=1)), as_of=now)
    assert with_due["overdue"].sum() == 0
    with pytest.raises(InvalidParameterError, match="columns \\['team'\\] are missing"):
        progress_rollup(frame, by="team")


def test_a_plan_is_stored_and_its_progress_rolled_up_from_the_database(schema_database):
    plan = prioritize_levers(["referral_program", "churn_reduction"])
    with schema_database.begin() as conn:
        lever_id = write_lever_plan(conn, None, None, plan)
        conn.execute(growth_progress.insert(), [
            {"lever_id": lever_id, "milestone": "Define success metrics", "status": "completed",
             "progress_percentage": 100},
            {"lever_id": lever_id, "milestone": "Launch a pilot", "status": "in_progress", "progress_percentage": 50},
        ])
    with schema_database.connect() as conn:
        row = conn.execute(sa.select(growth_levers).where(growth_levers.c.id == lever_id)).one()
        progress = pd.DataFrame(conn.execute(sa.select(growth_progress)).mappings().all())
    assert row.levers == plan.levers and row.status == "suggested"
    assert row.priority_scores == plan.priority_scores and row.roi_estimates == plan.roi_estimates
    assert [s["lever"] for s in row.implementation_plan["steps"]] == [s["lever"] for s in plan.implementation_plan]
    rollup = progress_rollup(progress)
    assert rollup.loc[lever_id, "mean_progress"] == 75 and rollup.loc[lever_id, "completed"] == 1
    assert rollup.loc[lever_id, "overdue"] == 0
