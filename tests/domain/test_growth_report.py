"""The growth report's domain functions: hand-made data with numbers worked out by hand, the demo data, empty results.

The hand-made data (times UTC; the data's latest day is 2025-11-01; with ``as_of`` 2025-12-31, the `YEAR`
selection, the report ends at 2026-01-01, so the baseline window is 2025)::

    users          u1 SaaS, u2 Retail, u3 SaaS (members of org A); u4 SaaS, u5 Retail (no organization);
                   org B exists and has no members and no data.
    subscriptions  u1 pro monthly, active, from 2025-01-15          (199)
                   u2 starter annual, active, from 2025-06-01      (39)
                   u3 enterprise monthly, canceled 2025-09-01, from 2025-03-01
                   u4 free, active, from 2025-08-01                (0)
                   u5 pro monthly, trial, from 2025-11-01
    lever plans    L1 u1 A [referral_program, paid_acquisition] completed 2025-02-01
                   L2 u2 A [churn_reduction] accepted 2025-03-01;  L3 u1 A [pricing_optimization] rejected 2025-04-01
                   L4 u4 - [content_marketing] suggested 2025-05-01; L5 u3 A [sales_enablement] in_progress 2025-06-01
    milestones     L1 "Define success metrics for referral program" completed 100 (2025-02-10)
                   L1 "Launch a pilot of paid acquisition" in_progress 50 (2025-02-10)
                   L1 "Kick-off meeting" not_started (2025-02-10)           -> unattributed (two levers, none named)
                   L2 "Weekly review" in_progress 30 (2025-12-01)           -> churn_reduction (the plan's only lever)
                   no plan, u4, "Orphan milestone" not_started (2025-05-01) -> unattributed
    simulations    u1 A completed p50 100 / 0.2 (2025-03-05), u1 A completed p50 300 / 0.4 (2025-03-20),
                   u2 A failed (2025-04-02), u4 running, no output (2025-04-10)
    scores         u1 {"growth": 1.5, "team": 4.0} (2025-03-01), u2 {"growth": 2.0, "technology": 4.5, "bad": "x"}
                   (2025-10-01), u4 {"growth": 5.0} (2025-11-01)
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.domain import compare_scenarios, growth_report, sensitivity, simulate
from bi_workbench import metrics
from bi_workbench.domain.growth_report import (
    PLAN_PRICES, band_table, baseline_frame, describe_scores, describe_target, has_revenue, latest_category_scores,
    lever_priorities, lever_status_funnel, progress_by_lever, report_filters, roi_table, scenario_table,
    scenarios, selection, simulation_inputs, stored_simulations, stored_simulations_by_month, subscription_baseline,
    target_summary, tornado_table,
)
from bi_workbench.errors import InvalidParameterError
from bi_workbench.events.audit import auditing_off
from bi_workbench.schema import tables as t

U1, U2, U3, U4, U5 = (uuid.UUID(int=i) for i in range(1, 6))
ORG_A, ORG_B = uuid.UUID(int=101), uuid.UUID(int=102)
L1, L2, L3, L4, L5 = (uuid.UUID(int=i) for i in range(301, 306))
END = dt.date(2026, 1, 1)
YEAR = {"as_of": "2025-12-31"}
EMPTY_PERIOD = {"since": dt.date(2000, 1, 1), "until": dt.date(2000, 2, 1)}


def at(text: str) -> dt.datetime:
    """A UTC instant from 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def months(days: float) -> float:
    return days / growth_report.DAYS_PER_MONTH


def insert_hand_data(conn) -> None:
    auditing_off(conn)
    conn.execute(t.users.insert(), [
        {"id": u, "email": f"u{i}@example.com", "first_name": "U", "last_name": str(i), "industry": industry,
         "created_at": at("2025-01-01")}
        for i, (u, industry) in enumerate([(U1, "SaaS"), (U2, "Retail"), (U3, "SaaS"), (U4, "SaaS"), (U5, "Retail")], 1)
    ])
    conn.execute(t.organizations.insert(), [{"id": org, "name": name, "slug": name.lower(), "created_at": at("2025-01-01")}
                                            for org, name in ((ORG_A, "A"), (ORG_B, "B"))])
    conn.execute(t.organization_members.insert(), [
        {"organization_id": ORG_A, "user_id": u, "role": "member", "joined_at": at("2025-01-01")} for u in (U1, U2, U3)])
    conn.execute(t.subscriptions.insert(), [
        {"user_id": u, "plan": plan, "billing_cycle": cycle, "status": status, "created_at": at(created),
         "updated_at": at(updated or created)}
        for u, plan, cycle, status, created, updated in [
            (U1, "pro", "monthly", "active", "2025-01-15", None),
            (U2, "starter", "annual", "active", "2025-06-01", None),
            (U3, "enterprise", "monthly", "canceled", "2025-03-01", "2025-09-01"),
            (U4, "free", None, "active", "2025-08-01", None),
            (U5, "pro", "monthly", "trial", "2025-11-01", None),
        ]
    ])
    conn.execute(t.growth_levers.insert(), [
        {"id": lever, "user_id": u, "organization_id": org, "levers": levers, "status": status, "created_at": at(created)}
        for lever, u, org, levers, status, created in [
            (L1, U1, ORG_A, ["referral_program", "paid_acquisition"], "completed", "2025-02-01"),
            (L2, U2, ORG_A, ["churn_reduction"], "accepted", "2025-03-01"),
            (L3, U1, ORG_A, ["pricing_optimization"], "rejected", "2025-04-01"),
            (L4, U4, None, ["content_marketing"], "suggested", "2025-05-01"),
            (L5, U3, ORG_A, ["sales_enablement"], "in_progress", "2025-06-01"),
        ]
    ])
    conn.execute(t.growth_progress.insert(), [
        {"user_id": u, "organization_id": org, "lever_id": lever, "milestone": text, "status": status,
         "progress_percentage": pct, "created_at": at(created)}
        for u, org, lever, text, status, pct, created in [
            (U1, ORG_A, L1, "Define success metrics for referral program", "completed", 100, "2025-02-10"),
            (U1, ORG_A, L1, "Launch a pilot of paid acquisition", "in_progress", 50, "2025-02-10"),
            (U1, ORG_A, L1, "Kick-off meeting", "not_started", 0, "2025-02-10"),
            (U2, ORG_A, L2, "Weekly review", "in_progress", 30, "2025-12-01"),
            (U4, None, None, "Orphan milestone", "not_started", 0, "2025-05-01"),
        ]
    ])
    conn.execute(t.simulations.insert(), [
        {"user_id": u, "organization_id": org, "simulation_type": "growth_monte_carlo", "input_data": {},
         "output_data": output, "status": status, "created_at": at(created)}
        for u, org, status, output, created in [
            (U1, ORG_A, "completed", {"p50": 100.0, "probability_of_target": 0.2}, "2025-03-05"),
            (U1, ORG_A, "completed", {"p50": 300.0, "probability_of_target": 0.4}, "2025-03-20"),
            (U2, ORG_A, "failed", {"error": "did not converge"}, "2025-04-02"),
            (U4, None, "running", None, "2025-04-10"),
        ]
    ])
    for i, (u, scores, scored) in enumerate([
        (U1, {"growth": 1.5, "team": 4.0}, "2025-03-01"),
        (U2, {"growth": 2.0, "technology": 4.5, "bad": "x"}, "2025-10-01"),
        (U4, {"growth": 5.0}, "2025-11-01"),
    ]):
        assessment = uuid.UUID(int=401 + i)
        conn.execute(t.assessments.insert().values(id=assessment, user_id=u, assessment_type="onboarding",
                                                   status="completed", created_at=at(scored)))
        conn.execute(t.assessment_scores.insert().values(assessment_id=assessment, overall_score=3.0,
                                                         category_scores=scores, created_at=at(scored)))


def sel(conn, **params) -> metrics.Bounds:
    """The report's selection of ``params`` (organization_id, industry, since, until, as_of)."""
    return selection(conn, params)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in r)
            for r in frame.itertuples(index=False)]


# --- the selection ---------------------------------------------------------------------------------


def test_report_filters_make_until_exclusive_and_never_after_as_of():
    params = {"organization_id": ORG_A, "industry": "SaaS", "since": dt.date(2025, 1, 1),
              "until": dt.date(2025, 12, 31), "as_of": None}
    assert report_filters(params) == {"organization_id": ORG_A, "industry": "SaaS", "since": dt.date(2025, 1, 1),
                                      "until": dt.date(2026, 1, 1)}
    assert report_filters({**params, "as_of": dt.date(2025, 6, 30)})["until"] == dt.date(2025, 7, 1)
    assert report_filters({**params, "until": None, "as_of": dt.date(2025, 6, 30)})["until"] == dt.date(2025, 7, 1)
    assert report_filters({"until": "2025-01-31"})["until"] == dt.date(2025, 2, 1)
    assert report_filters({}) == {"organization_id": None, "industry": None, "since": None, "until": None}


def test_the_selection_ends_at_until_as_of_or_the_end_of_the_latest_day_of_data(hand, schema_database):
    assert sel(hand).label == "data up to 2025-11-01 (end of day, UTC)"  # never the clock
    assert sel(hand).end == at("2025-11-02")
    assert sel(hand, as_of="2025-06-01").end == at("2025-06-02")
    assert sel(hand, until="2025-06-01", as_of="2025-03-01").end == at("2025-03-02")
    with schema_database.connect() as empty:
        bounds = sel(empty)
        assert bounds.label == "no data" and subscription_baseline(empty, bounds)["window_end"] == dt.date(2000, 1, 1)


def test_bad_selections_are_refused_naming_the_parameter(hand):
    with pytest.raises(InvalidParameterError, match="organization_id"):
        sel(hand, organization_id="not-a-uuid")
    with pytest.raises(InvalidParameterError, match="is before since"):
        sel(hand, since="2025-02-01", until="2025-01-01")
    with pytest.raises(InvalidParameterError, match="industry"):
        sel(hand, industry="  ")
    with pytest.raises(InvalidParameterError, match="known industries: Retail, SaaS"):
        sel(hand, industry="Spaceships")
    with pytest.raises(InvalidParameterError, match="Connection"):
        sel(object())


# --- lever plans and priorities -----------------------------------------------------------------------


def test_the_funnel_counts_the_stages_each_plan_passed(hand):
    assert rows(lever_status_funnel(hand, sel(hand))) == [
        ("suggested", 5, 1.0, 1.0), ("accepted", 3, 0.6, 0.6), ("in_progress", 2, 0.4, 0.6667),
        ("completed", 1, 0.2, 0.5), ("rejected", 1, 0.2, None),
    ]


def test_the_funnel_honours_industry_organization_and_period(hand):
    saas = lever_status_funnel(hand, sel(hand, industry="saas"))  # L1, L3, L4, L5
    assert saas["plans"].tolist() == [4, 2, 2, 1, 1]
    org = lever_status_funnel(hand, sel(hand, organization_id=ORG_A))  # L1, L2, L3, L5
    assert org["plans"].tolist() == [4, 3, 2, 1, 1]
    spring = lever_status_funnel(hand, sel(hand, since="2025-03-01", until="2025-04-30"))  # L2, L3
    assert spring["plans"].tolist() == [2, 1, 0, 0, 1]


def test_a_lever_belongs_to_its_own_organization_else_to_its_users(hand_engine):
    """Issue 10, example 7: a plan of organization B by u1 (a member of A) is B's, not A's, and counts once."""
    with hand_engine.connect() as conn:
        auditing_off(conn)
        conn.execute(t.growth_levers.insert(), {"user_id": U1, "organization_id": ORG_B, "levers": ["partnerships"],
                                                "status": "suggested", "created_at": at("2025-06-15")})
        plans = {org: lever_status_funnel(conn, sel(conn, organization_id=org))["plans"].iloc[0] for org in (ORG_A, ORG_B)}
        assert plans == {ORG_A: 4, ORG_B: 1}
        assert lever_status_funnel(conn, sel(conn))["plans"].iloc[0] == 6
        conn.rollback()


def test_an_empty_selection_gives_zero_plans_and_undefined_shares(hand):
    for funnel in (lever_status_funnel(hand, sel(hand, organization_id=ORG_B)),
                   lever_status_funnel(hand, sel(hand, **EMPTY_PERIOD))):
        assert funnel["stage"].tolist() == ["suggested", "accepted", "in_progress", "completed", "rejected"]
        assert funnel["plans"].tolist() == [0, 0, 0, 0, 0]
        assert funnel["share_of_suggested"].isna().all()


def test_latest_category_scores_are_the_organizations_latest_scored_assessment(hand):
    scores = latest_category_scores(hand, sel(hand, organization_id=ORG_A))
    assert rows(scores) == [("growth", 2.0), ("technology", 4.5)]  # "bad" is not a number; u4 is not a member
    assert scores.attrs["scored_at"] == pd.Timestamp("2025-10-01", tz="UTC")
    earlier = latest_category_scores(hand, sel(hand, organization_id=ORG_A, until="2025-05-31"))
    assert rows(earlier) == [("growth", 1.5), ("team", 4.0)]
    assert describe_scores(scores).startswith("The organization's latest scored assessment is of 2025-10-01")


def test_no_organization_or_no_assessment_gives_no_scores_and_says_which(hand):
    none = latest_category_scores(hand, sel(hand))
    assert none.empty and list(none.columns) == ["category", "score"]
    assert describe_scores(none).startswith("No organization selected")
    missing = latest_category_scores(hand, sel(hand, organization_id=ORG_B))
    assert missing.empty and missing.attrs["organization_id"] == ORG_B
    assert describe_scores(missing).startswith("The organization has no scored assessment")


def test_priorities_without_scores_are_the_catalogues_defaults():
    table = lever_priorities()
    assert list(table.columns) == growth_report.PRIORITY_COLUMNS
    assert table["rank"].tolist() == list(range(1, 9))
    assert table["rice"].tolist() == table["catalogue_rice"].tolist()
    assert table["rice"].is_monotonic_decreasing
    assert table.loc[table["lever"] == "paid_acquisition", "rice"].item() == 0.35  # 0.7 x 1 x 0.5 / 1


def test_priorities_fitted_to_scores_move_the_levers_that_repair_weak_categories():
    weak_growth = lever_priorities(pd.DataFrame({"category": ["growth", "technology"], "score": [0.5, 4.5]}))
    fitted = weak_growth.set_index("lever")
    # churn_reduction repairs growth (need) and relies on technology (readiness): both raise it
    assert fitted.loc["churn_reduction", "rice"] > fitted.loc["churn_reduction", "catalogue_rice"]
    assert fitted.loc["partnerships", "rice"] == fitted.loc["partnerships", "catalogue_rice"]  # no need, no scored readiness
    assert lever_priorities({"growth": 0.5, "technology": 4.5})["rice"].tolist() == weak_growth["rice"].tolist()


# --- the baseline ----------------------------------------------------------------------------------------


def test_the_baseline_is_worked_out_from_the_subscriptions(hand):
    base = subscription_baseline(hand, sel(hand, **YEAR))
    assert base["customers"] == 2  # u1, u2 paying; u3 canceled in September, u4 free, u5 on trial
    assert base["arpa"] == round((199 + 39) / 2, 2)
    assert base["mrr"] == 238.0
    assert base["window_start"] == dt.date(2025, 1, 1) and base["window_end"] == END
    # the paid subscriptions (not u4's free one): u1, u2, u3, u5 started in 2025
    assert base["new_subscriptions"] == 4 and base["new_customers"] == round(4 / months(365), 4)
    assert base["cancellations"] == 1
    assert base["churn_rate"] == round(1 / months(351 + 214 + 184 + 61), 4)
    assert base["expansion_rate"] == 0.0 and base["unpriced"] == 0


def test_the_baselines_customers_mrr_and_arpa_are_the_catalogues(hand):
    """Issue 10, example 6: customers are paying_customers (a paid plan, active or past_due), not free ones."""
    base = subscription_baseline(hand, sel(hand, **YEAR))
    catalogue = metrics.query(["paying_customers", "mrr", "arpa"], as_of="2025-12-31", engine=hand).iloc[0]
    assert (base["customers"], base["mrr"], base["arpa"]) == (catalogue["paying_customers"], catalogue["mrr"],
                                                              catalogue["arpa"])


def test_the_baseline_honours_organization_industry_and_the_end_of_the_period(hand):
    org = subscription_baseline(hand, sel(hand, organization_id=ORG_A, **YEAR))  # u1, u2, u3
    assert (org["customers"], org["arpa"], org["mrr"], org["cancellations"]) == (2, 119.0, 238.0, 1)
    assert org["churn_rate"] == round(1 / months(351 + 214 + 184), 4)
    saas = subscription_baseline(hand, sel(hand, industry="SaaS", **YEAR))  # u1 pays; u3 canceled, u4 free
    assert (saas["customers"], saas["arpa"]) == (1, 199.0)
    august = subscription_baseline(hand, sel(hand, as_of="2025-08-14"))  # u5 not started yet
    assert august["window_end"] == dt.date(2025, 8, 15) and august["customers"] == 2
    assert august["cancellations"] == 0 and august["new_subscriptions"] == 3


def test_an_empty_selection_has_no_revenue(hand):
    for bounds in (sel(hand, organization_id=ORG_B), sel(hand, **EMPTY_PERIOD)):
        base = subscription_baseline(hand, bounds)
        assert (base["customers"], base["mrr"], base["new_customers"], base["churn_rate"]) == (0, 0.0, 0.0, 0.0)
        assert not has_revenue(base)
    table = baseline_frame(subscription_baseline(hand, sel(hand, **EMPTY_PERIOD)))
    assert table.loc[0].tolist() == ["paying customers", "0"]
    assert table["value"].tolist()[-2:] == ["2000-01-01", "2000-02-02"]


# --- ROI and progress --------------------------------------------------------------------------------------


def test_roi_ranges_are_ordered_and_sorted_by_expected_roi(hand):
    roi = roi_table(subscription_baseline(hand, sel(hand, **YEAR)), 12)
    assert list(roi.columns) == growth_report.ROI_COLUMNS and len(roi) == 8
    assert (roi["roi_low"] <= roi["roi_expected"]).all() and (roi["roi_expected"] <= roi["roi_high"]).all()
    assert roi["roi_expected"].is_monotonic_decreasing


def test_roi_grows_with_the_business_it_is_applied_to():
    small = {"customers": 100, "arpa": 100.0, "mrr": 10_000.0, "new_customers": 10.0, "churn_rate": 0.03,
             "expansion_rate": 0.0}
    big = {**small, "customers": 10_000, "mrr": 1_000_000.0, "new_customers": 1_000.0}
    assert (roi_table(big, 12).set_index("lever")["roi_expected"]
            > roi_table(small, 12).set_index("lever")["roi_expected"]).all()


def test_roi_without_revenue_is_empty():
    nothing = {"customers": 0, "arpa": 0.0, "mrr": 0.0, "new_customers": 0.0, "churn_rate": 0.0, "expansion_rate": 0.0}
    roi = roi_table(nothing)
    assert roi.empty and list(roi.columns) == growth_report.ROI_COLUMNS


def test_progress_rolls_milestones_up_to_the_lever_they_name(hand):
    progress = progress_by_lever(hand, sel(hand, **YEAR))
    assert list(progress.columns) == growth_report.PROGRESS_COLUMNS
    assert rows(progress) == [
        ("churn_reduction", 1, 30.0, 0, 1, 0, 0, 0.0),
        ("paid_acquisition", 1, 50.0, 0, 1, 0, 1, 0.0),
        ("referral_program", 1, 100.0, 1, 0, 0, 0, 1.0),
        ("unattributed", 2, 0.0, 0, 0, 2, 2, 0.0),
    ]


def test_progress_overdue_is_as_of_the_end_of_the_selection_not_the_clock(hand):
    # by default up to the data's latest day (2025-11-01): the December review is not there yet
    assert progress_by_lever(hand, sel(hand))["overdue"].tolist() == [1, 0, 2]
    assert progress_by_lever(hand, sel(hand, as_of="2025-03-01"))["overdue"].tolist() == [0, 0, 0]
    # with a period, as of its end: the February milestones are not overdue on 2025-03-01
    february = progress_by_lever(hand, sel(hand, until="2025-02-28"))
    assert (february["milestones"].sum(), february["overdue"].sum()) == (3, 0)


def test_progress_honours_the_selection_and_is_empty_without_data(hand):
    assert progress_by_lever(hand, sel(hand, organization_id=ORG_A, **YEAR))["milestones"].sum() == 4
    assert progress_by_lever(hand, sel(hand, industry="Retail", **YEAR))["lever"].tolist() == ["churn_reduction"]
    for bounds in (sel(hand, organization_id=ORG_B), sel(hand, **EMPTY_PERIOD)):
        empty = progress_by_lever(hand, bounds)
        assert empty.empty and list(empty.columns) == growth_report.PROGRESS_COLUMNS


# --- simulation --------------------------------------------------------------------------------------------

BASE = {"customers": 200, "arpa": 100.0, "mrr": 20_000.0, "new_customers": 15.0, "churn_rate": 0.03,
        "expansion_rate": 0.0}


def test_simulation_inputs_come_from_the_baseline_with_a_target_above_todays_mrr():
    inputs = simulation_inputs(BASE, 24, 500)
    assert inputs == {"months": 24, "starting_customers": 200, "arpa": 100.0, "acquisition_mean": 15.0,
                      "churn_rate": 0.03, "expansion_rate": 0.0, "levers": [], "target_mrr": 25_000.0, "paths": 500}
    assert simulation_inputs({**BASE, "mrr": 0.0, "customers": 0}, 12, 100)["target_mrr"] is None


def test_the_band_table_samples_months_evenly_and_keeps_the_last():
    result = simulate(simulation_inputs(BASE, 60, 300), seed=1)
    bands = band_table(result)
    assert bands["month"].tolist() == list(range(0, 61, 5))
    assert (bands["p10"] <= bands["p50"]).all() and (bands["p50"] <= bands["p90"]).all()
    assert bands.iloc[0][["p10", "p50", "p90"]].tolist() == [20_000.0] * 3
    assert band_table(simulate(simulation_inputs(BASE, 7, 300), seed=1))["month"].tolist() == list(range(8))
    assert band_table(result, rows=4)["month"].tolist() == [0, 20, 40, 60]


def test_the_same_seed_gives_the_same_tables():
    inputs = simulation_inputs(BASE, 12, 500)
    first, second = simulate(inputs, seed=42), simulate(inputs, seed=42)
    pd.testing.assert_frame_equal(band_table(first), band_table(second))
    pd.testing.assert_frame_equal(target_summary(first), target_summary(second))
    assert not band_table(first).equals(band_table(simulate(inputs, seed=43)))


def test_the_target_summary_and_sentence_agree_with_the_result():
    result = simulate(simulation_inputs(BASE, 12, 1000), seed=3)
    summary = target_summary(result)
    assert list(summary.columns) == growth_report.TARGET_COLUMNS
    row = summary.iloc[0]
    assert row["target_mrr"] == 25_000.0 and row["starting_mrr"] == 20_000.0 and row["horizon_months"] == 12
    assert row["probability_by_horizon"] == round(result.probability_of_target, 4)
    assert row["probability_at_end"] <= row["probability_by_horizon"]
    assert describe_target(result).startswith(f"{result.probability_of_target:.1%} of 1,000 simulated paths")


def test_a_simulation_without_revenue_gives_empty_tables():
    nothing = simulation_inputs({**BASE, "customers": 0, "mrr": 0.0, "new_customers": 0.0}, 12, 100)
    result = simulate(nothing, seed=1)
    assert band_table(result).empty and target_summary(result).empty
    assert describe_target(result) == "No target: the selection has no MRR to grow from."
    named = scenarios(nothing, lever_priorities())
    assert scenario_table(compare_scenarios(named, seed=1), named).empty
    assert tornado_table(sensitivity(nothing, seed=1, paths=100)).empty


def test_scenarios_add_the_best_levers_alone_then_together():
    priorities = lever_priorities()
    named = scenarios(simulation_inputs(BASE, 12, 200), priorities, top=2)
    best = priorities["lever"].head(2).tolist()
    assert list(named) == ["baseline", f"+ {best[0]}", f"+ {best[1]}", "+ top 2 levers"]
    assert [s["levers"] for s in named.values()] == [[], [best[0]], [best[1]], best]
    assert list(scenarios(simulation_inputs(BASE, 12, 200), priorities, top=1)) == ["baseline", f"+ {best[0]}"]


def test_the_scenario_table_compares_with_the_baseline():
    named = scenarios(simulation_inputs(BASE, 12, 500), lever_priorities())
    table = scenario_table(compare_scenarios(named, seed=5), named)
    assert list(table.columns) == growth_report.SCENARIO_COLUMNS
    assert table["scenario"].tolist() == list(named)
    assert table["p50_vs_baseline"].iloc[0] == 0.0
    assert table["levers"].iloc[-1] == ", ".join(named[list(named)[-1]]["levers"])
    # common random numbers: every lever helps the median, all three together the most
    assert (table["final_mrr_p50"].iloc[1:] >= table["final_mrr_p50"].iloc[0]).all()
    assert table["final_mrr_p50"].iloc[-1] == table["final_mrr_p50"].max()


def test_the_tornado_table_is_sorted_by_swing():
    tornado = tornado_table(sensitivity(simulation_inputs(BASE, 12, 300), seed=2))
    assert list(tornado.columns) == growth_report.TORNADO_COLUMNS
    assert set(tornado["parameter"]) == {"starting_customers", "arpa", "acquisition_mean", "churn_rate", "expansion_rate"}
    assert tornado["swing"].is_monotonic_decreasing
    churn = tornado.set_index("parameter").loc["churn_rate"]
    assert churn["p50_low"] > churn["p50_high"]  # less churn, more MRR


# --- stored simulations ---------------------------------------------------------------------------------------


def test_stored_simulations_per_status(hand):
    stored = stored_simulations(hand, sel(hand))
    assert list(stored.columns) == growth_report.STORED_COLUMNS
    assert rows(stored) == [
        ("completed", 2, 2, 200.0, 0.3, dt.date(2025, 3, 5), dt.date(2025, 3, 20)),
        ("failed", 1, 0, None, None, dt.date(2025, 4, 2), dt.date(2025, 4, 2)),
        ("running", 1, 0, None, None, dt.date(2025, 4, 10), dt.date(2025, 4, 10)),
    ]
    assert stored_simulations(hand, sel(hand, organization_id=ORG_A))["simulations"].tolist() == [2, 1]


def test_stored_simulations_per_month(hand):
    assert rows(stored_simulations_by_month(hand, sel(hand))) == [
        (dt.date(2025, 3, 1), True, "completed", 2), (dt.date(2025, 4, 1), True, "failed", 1),
        (dt.date(2025, 4, 1), True, "running", 1)]
    assert stored_simulations_by_month(hand, sel(hand, since="2025-04-01"))["simulations"].sum() == 2
    assert rows(stored_simulations_by_month(hand, sel(hand, as_of="2025-03-10"))) == [
        (dt.date(2025, 3, 1), False, "completed", 1)]  # March is not over on the 10th


def test_stored_simulations_of_an_empty_selection(hand):
    for frame, columns in ((stored_simulations(hand, sel(hand, organization_id=ORG_B)), growth_report.STORED_COLUMNS),
                           (stored_simulations_by_month(hand, sel(hand, **EMPTY_PERIOD)),
                            growth_report.STORED_MONTH_COLUMNS)):
        assert frame.empty and list(frame.columns) == columns


# --- the demo data ------------------------------------------------------------------------------------------------


def test_on_the_demo_data_the_funnel_counts_every_plan(demo):
    counts = dict(demo.execute(sa.text("SELECT status, count(*) FROM growth_levers GROUP BY 1")).all())
    funnel = lever_status_funnel(demo, sel(demo)).set_index("stage")["plans"]
    assert funnel["suggested"] == sum(counts.values())
    assert funnel["completed"] == counts.get("completed", 0)
    assert funnel["rejected"] == counts.get("rejected", 0)
    assert funnel["accepted"] == sum(counts.get(s, 0) for s in ("accepted", "in_progress", "completed"))


def test_on_the_demo_data_the_baseline_prices_every_paying_subscription(demo):
    paying = demo.execute(sa.text("SELECT plan, coalesce(billing_cycle, 'monthly') FROM subscriptions "
                                  "WHERE status IN ('active', 'past_due') AND plan <> 'free'")).all()
    base = subscription_baseline(demo, sel(demo))
    assert base["customers"] == len(paying) > 0 and base["unpriced"] == 0
    assert base["mrr"] == pytest.approx(sum(PLAN_PRICES[plan][cycle] for plan, cycle in paying), abs=0.005)
    assert base["window_end"] == dt.date(2026, 7, 1)  # the day after the demo's reference date, whatever today is
    assert 0 < base["churn_rate"] < 0.2 and base["new_customers"] > 0


def test_on_the_demo_data_every_milestone_names_a_lever_of_its_plan(demo):
    progress = progress_by_lever(demo, sel(demo))
    assert progress["milestones"].sum() == demo.execute(sa.text("SELECT count(*) FROM growth_progress")).scalar()
    assert "unattributed" not in set(progress["lever"])
    assert progress["lever"].tolist() == sorted(progress["lever"])


def test_on_the_demo_data_an_organization_gets_fitted_priorities_and_a_simulation(demo):
    org = demo.execute(sa.text(
        "SELECT m.organization_id FROM organization_members m JOIN subscriptions s ON s.user_id = m.user_id "
        "WHERE s.status = 'active' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar()
    bounds = sel(demo, organization_id=org)
    scores = latest_category_scores(demo, bounds)
    assert not scores.empty
    base = subscription_baseline(demo, bounds)
    result = simulate(simulation_inputs(base, 12, 500), seed=42)
    assert not band_table(result).empty
    assert np.isclose(target_summary(result)["starting_mrr"].item(), base["mrr"], atol=0.01 * base["customers"])
