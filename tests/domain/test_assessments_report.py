"""Assessments report functions: hand-made data with numbers worked out by hand, the demo data, empty results.

The hand-made data (times UTC)::

    users        u1 SaaS, member of org A; u2 Retail, member of org A; u3 SaaS, no organization
    assessments  a1 u1, no organization, started 2025-01-10, completed 2025-01-11, full answers (FULL)
                 a2 u2, organization B,  started 2025-03-05, completed 2025-03-06, other answers (OTHER)
                 a3 u3, no organization, started 2025-03-20, in progress, no answers
                 a4 u1, no organization, started 2025-03-25, completed 2025-03-26, responses a JSON array
    scores       a1: 1.50 emerging (2025-01-11), then 2.50 developing (2025-01-12, the latest),
                     category scores {growth 2.0, team 3.0, odd "n/a"}
                 a2: 4.20 leading (2025-03-06), {growth 4.0, team 5.0}
                 all three migrated from the legacy table (legacy_id_map)
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timezone

import pandas as pd
import pytest

from bi_workbench import reports
from bi_workbench.domain import assessments_report as ar
from bi_workbench.domain.scoring import score_responses
from bi_workbench.errors import InvalidParameterError
from bi_workbench.schema import tables as t
from bi_workbench.schema.bookkeeping import legacy_id_map

U1, U2, U3 = (uuid.UUID(int=i) for i in (1, 2, 3))
ORG_A, ORG_B = uuid.UUID(int=101), uuid.UUID(int=102)
A1, A2, A3, A4 = (uuid.UUID(int=i) for i in (11, 12, 13, 14))
S1, S2, S3 = (uuid.UUID(int=i) for i in (21, 22, 23))
FULL = {"growth_pace": "fast", "funding_status": "seed", "tech_maturity": "basic", "team_alignment": "aligned",
        "process_discipline": "ad_hoc", "strategy_decision_method": "data_driven", "final_confirmation": "yes",
        "growth_metrics": "MRR weekly", "gtm_strategy": " ", "friction_points": ["pricing"]}
OTHER = {"growth_pace": "Hyper-growth", "tech_maturity": "AI driven", "team_alignment": "highly aligned"}
NOTHING = {"since": "2000-01-01", "until": "2000-01-31"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def insert_hand_data(conn) -> None:
    conn.execute(t.users.insert(), [
        {"id": u, "email": f"{u.int}@example.com", "first_name": "U", "last_name": "L", "industry": industry}
        for u, industry in [(U1, "SaaS"), (U2, "Retail"), (U3, "SaaS")]
    ])
    conn.execute(t.organizations.insert(), [{"id": ORG_A, "name": "A", "slug": "a"},
                                            {"id": ORG_B, "name": "B", "slug": "b"}])
    conn.execute(t.organization_members.insert(), [{"organization_id": ORG_A, "user_id": U1, "role": "owner"},
                                                   {"organization_id": ORG_A, "user_id": U2, "role": "member"}])
    conn.execute(t.assessments.insert(), [
        {"id": a, "user_id": u, "organization_id": org, "assessment_type": "onboarding", "responses": responses,
         "status": status, "created_at": at(created), "completed_at": completed and at(completed)}
        for a, u, org, responses, status, created, completed in [
            (A1, U1, None, FULL, "completed", "2025-01-10 09:00", "2025-01-11 09:00"),
            (A2, U2, ORG_B, OTHER, "completed", "2025-03-05 09:00", "2025-03-06 09:00"),
            (A3, U3, None, {}, "in_progress", "2025-03-20 09:00", None),
            (A4, U1, None, ["not", "an", "object"], "completed", "2025-03-25 09:00", "2025-03-26 09:00")]
    ])
    conn.execute(t.assessment_scores.insert(), [
        {"id": s, "assessment_id": a, "overall_score": score, "bracket": bracket, "confidence_score": confidence,
         "category_scores": categories, "created_at": at(created)}
        for s, a, score, bracket, confidence, categories, created in [
            (S1, A1, 1.5, "emerging", 0.6, {"growth": 1.0, "team": 2.0}, "2025-01-11 10:00"),
            (S2, A1, 2.5, "Developing ", 0.8, {"growth": 2.0, "team": 3.0, "odd": "n/a"}, "2025-01-12 10:00"),
            (S3, A2, 4.2, "leading", 0.9, {"growth": 4.0, "team": 5.0}, "2025-03-06 10:00")]
    ])
    conn.execute(legacy_id_map.insert(), [
        {"legacy_table": "assessment_scoring_results", "legacy_id": str(i), "new_table": "assessment_scores",
         "new_id": s, "outcome": "migrated"} for i, s in enumerate((S1, S2, S3), start=1)
    ])


def as_dict(frame: pd.DataFrame) -> dict:
    return dict(zip(frame["measure"], frame["value"]))


def sel(conn, **params):
    """The report's selection of ``params`` (organization_id, industry, since, until, as_of)."""
    return ar.selection(conn, params)


def test_the_selection_names_the_known_industries_on_a_typo(hand):
    with pytest.raises(InvalidParameterError, match="Spaceships.*known industries: Retail, SaaS"):
        sel(hand, industry="Spaceships")


def test_overview_uses_the_latest_score_of_each_assessment(hand):
    assert as_dict(ar.overview(hand, sel(hand))) == {
        "assessments": 4, "completed": 3, "scored": 2, "mean score": 3.35, "median score": 3.35,
        "mean confidence": 0.85, "first assessment": "2025-01-10", "latest assessment": "2025-03-25",
    }


def test_the_selection_filters(hand):
    def count(bracket=None, **params):
        return as_dict(ar.overview(hand, sel(hand, **params), bracket))["assessments"]

    # org A: a1 and a4 (no organization, user u1 is a member); not a2, which names organization B
    assert count(organization_id=ORG_A) == 2
    assert count(organization_id=ORG_B) == 1
    assert count(industry="saas") == 3
    assert count(since="2025-03-01", until="2025-03-20") == 2  # inclusive: a3 started on 03-20 counts
    assert count(as_of="2025-03-20") == 3  # a1, a2, a3; not a4 of 03-25
    assert count(bracket="developing") == 1  # the latest score of a1, stored as 'Developing '
    assert count(bracket="emerging") == 0  # a1's older score does not count


def test_volumes_per_month(hand):
    frame = ar.volumes_per_month(hand, sel(hand))
    assert list(frame["period"]) == [pd.Timestamp(f"2025-0{m}-01") for m in (1, 2, 3)]
    assert frame[["assessments", "completed", "scored"]].to_numpy().tolist() == [[1, 1, 1], [0, 0, 0], [3, 2, 1]]
    assert ar.recent_months(frame, 1).to_dict("list") == {"month": ["2025-03"], "complete": [True],
                                                         "assessments": [3], "completed": [2], "scored": [1]}
    open_month = ar.volumes_per_month(hand, sel(hand, as_of="2025-03-20"))
    assert list(open_month["complete"]) == [True, True, False]  # March is not over on the 20th
    assert list(open_month["assessments"]) == [1, 0, 2]


def test_score_summary(hand):
    row = ar.score_summary(hand, sel(hand)).iloc[0].to_dict()
    assert row["scored"] == 2 and row["mean"] == 3.35 and row["median"] == 3.35
    assert row["min"] == 2.5 and row["max"] == 4.2 and row["p10"] == 2.67 and row["p90"] == 4.03
    assert row["std"] == round(math.sqrt(2 * 0.85 ** 2), 3)
    empty = ar.score_summary(hand, sel(hand, **NOTHING)).iloc[0]
    assert empty["scored"] == 0 and math.isnan(empty["mean"])


def test_score_distribution_bins_cover_the_scale(hand):
    frame = ar.score_distribution(hand, sel(hand))
    assert len(frame) == 20 and frame["bin_start"].iloc[0] == 0.0 and frame["bin_end"].iloc[-1] == 5.0
    hits = frame[frame["assessments"] > 0]
    assert list(hits.itertuples(index=False, name=None)) == [(2.5, 2.75, "developing", 1), (4.0, 4.25, "leading", 1)]
    assert list(ar.score_distribution(hand, sel(hand), bin_width=2.5)["assessments"]) == [0, 2]  # 2.5 opens the second bin
    with pytest.raises(InvalidParameterError, match="bin_width"):
        ar.score_distribution(hand, sel(hand), bin_width=0)


def test_brackets_in_rubric_order(hand):
    frame = ar.brackets(hand, sel(hand))
    assert list(frame.itertuples(index=False, name=None)) == [
        ("developing", 1, 0.5, 2.5, 2.5, 2.5, 0.8), ("leading", 1, 0.5, 4.2, 4.2, 4.2, 0.9)]


def test_category_scores_over_all_and_per_bracket(hand):
    frame = ar.category_scores(hand, sel(hand))
    rows = {(r.bracket, r.category): (r.scores, r.mean) for r in frame.itertuples(index=False)}
    assert rows[("all", "growth")] == (2, 3.0) and rows[("all", "team")] == (2, 4.0)
    assert rows[("developing", "growth")] == (1, 2.0) and rows[("leading", "team")] == (1, 5.0)
    assert rows[("all", "odd")][0] == 0  # a text value is left out of the statistics
    assert list(dict.fromkeys(frame["bracket"])) == ["all", "developing", "leading"]
    assert list(dict.fromkeys(frame["category"])) == ["growth", "team", "odd"]  # rubric categories first
    table = ar.category_table(frame)
    assert list(table.columns) == ["category", "scores", "mean", "median", "mean_developing", "mean_leading"]
    assert table.iloc[0].tolist() == ["growth", 2, 3.0, 3.0, 2.0, 4.0]


def test_latest_completed_and_its_explanation(hand):
    latest = ar.latest_completed(hand, sel(hand))
    assert latest["assessment_id"] == A4 and latest["overall_score"] is None
    assert ar.explanation_table(latest).empty  # its responses are not a JSON object
    assert as_dict(ar.explained_summary(latest))["rubric score"] is None

    a1 = ar.latest_completed(hand, sel(hand), "developing")
    assert a1["assessment_id"] == A1 and a1["completed_at"] == pd.Timestamp("2025-01-11 09:00", tz="UTC")
    assert a1["overall_score"] == 2.5 and a1["bracket"] == "developing" and a1["responses"] == FULL
    expected = score_responses(FULL)
    summary = as_dict(ar.explained_summary(a1))
    assert summary["stored score"] == 2.5 and summary["rubric score"] == expected["overall_score"]
    assert summary["rubric bracket"] == expected["bracket"] and summary["completed"] == "2025-01-11"

    table = ar.explanation_table(a1)
    assert list(table.columns) == list(ar.EXPLANATION_COLUMNS)
    assert table["question"].iloc[-1] == ar.EVIDENCE_ROW
    assert table["answer"].iloc[-1] == "2 answered, 1 blank, 11 missing"
    # points x share of the category x category weight (all five categories answered, weights sum to 1):
    # aligned 4.0 x 1 x 0.20, data_driven 5.0 x 1 x 0.15, fast 4.0 x 2/3 x 0.25, basic 2.0 x 1 x 0.20,
    # seed 2.5 x 1/3 x 0.25, ad_hoc 1.0 x 1 x 0.20, and the confirmation, which earns nothing
    assert table[["question", "overall_contribution"]].iloc[:-1].to_numpy().tolist() == [
        ["team_alignment", 0.8], ["strategy_decision_method", 0.75], ["growth_pace", 0.6667],
        ["tech_maturity", 0.4], ["funding_status", 0.2083], ["process_discipline", 0.2], ["final_confirmation", 0.0]]
    assert abs(table["overall_contribution"].sum() - expected["overall_score"]) < 0.005
    assert abs(table["confidence_contribution"].sum() - expected["confidence_score"]) < 0.005
    contributions = table["overall_contribution"].iloc[:-1]
    assert contributions.is_monotonic_decreasing
    assert set(table.loc[table["category"] != "", "question"]) == {
        "growth_pace", "funding_status", "tech_maturity", "team_alignment", "process_discipline",
        "strategy_decision_method"}


def test_nothing_to_explain(hand):
    assert ar.latest_completed(hand, sel(hand, **NOTHING)) is None
    assert ar.explanation_table(None).empty and list(ar.explanation_table(None).columns) == list(ar.EXPLANATION_COLUMNS)
    assert ar.explained_summary(None).empty


def test_legacy_comparison_matches_the_latest_legacy_score(hand):
    comparison = ar.legacy_comparison(hand, sel(hand))
    new_a1, new_a2 = score_responses(FULL)["overall_score"], score_responses(OTHER)["overall_score"]
    summary = as_dict(ar.comparison_summary(comparison))
    assert summary["assessments with both scores"] == 2
    assert summary["scored by the rubric only"] == 1  # a3; a4's responses are not an object and are left out
    assert summary["with a legacy score only"] == 0
    assert summary["mean absolute difference"] == round((abs(new_a1 - 2.5) + abs(new_a2 - 4.2)) / 2, 4)
    points = ar.comparison_points(comparison)
    assert points[["legacy_score", "rubric_score"]].to_numpy().tolist() == [[2.5, new_a1], [4.2, new_a2]]
    assert list(points["legacy_bracket"]) == ["developing", "leading"]
    confusion = ar.confusion_table(comparison)
    assert confusion.index.name == "legacy_bracket" and confusion.columns.name == "rubric_bracket"
    assert int(confusion.to_numpy().sum()) == 2 and "(none)" not in confusion.index
    by_bracket = ar.comparison_by_bracket(comparison)
    assert list(by_bracket["legacy_bracket"]) == ["developing", "leading"] and list(by_bracket["assessments"]) == [1, 1]
    only_leading = ar.legacy_comparison(hand, sel(hand), "leading")
    assert only_leading.summary["matched"] == 1


@pytest.mark.parametrize("bracket", [None, "leading"])
def test_the_sections_computed_ahead_equal_them_alone(hand_engine, hand, bracket):
    bounds = sel(hand)
    with reports.prefetch(hand_engine, ar.sections(bounds, bracket)) as ahead:
        assert ahead["categories"].equals(ar.category_scores(hand, bounds, bracket))
        alone = ar.legacy_comparison(hand, bounds, bracket)
        assert ahead["comparison"].summary == alone.summary and not alone.rows.empty
        assert ahead["comparison"].rows.equals(alone.rows)


def test_a_legacy_score_without_a_time_is_older_than_any_dated_one(hand):
    undated = uuid.UUID(int=999)
    hand.execute(t.assessment_scores.insert().values(id=undated, assessment_id=A2, overall_score=1.0,
                                                     bracket="emerging", created_at=None))
    hand.execute(legacy_id_map.insert().values(legacy_table="assessment_scoring_results", legacy_id="99",
                                               new_table="assessment_scores", new_id=undated, outcome="migrated"))
    points = ar.comparison_points(ar.legacy_comparison(hand, sel(hand)))
    assert points["legacy_score"].tolist() == [2.5, 4.2]
    hand.rollback()


def test_every_function_handles_an_empty_selection(hand):
    for params, bracket in ((NOTHING, None), ({"industry": "retail", "until": "2025-02-28"}, None), ({}, "emerging")):
        bounds = sel(hand, **params)
        assert ar.volumes_per_month(hand, bounds, bracket).empty
        assert ar.score_distribution(hand, bounds, bracket).empty
        assert ar.brackets(hand, bounds, bracket).empty
        categories = ar.category_scores(hand, bounds, bracket)
        assert categories.empty and ar.category_table(categories).empty
        comparison = ar.legacy_comparison(hand, bounds, bracket)
        assert as_dict(ar.comparison_summary(comparison))["assessments with both scores"] == 0
        assert ar.comparison_by_bracket(comparison).empty and ar.comparison_points(comparison).empty
        assert int(ar.confusion_table(comparison).to_numpy().sum()) == 0
        assert as_dict(ar.overview(hand, bounds, bracket))["mean score"] is None


def test_bad_filters_are_refused(hand):
    with pytest.raises(InvalidParameterError, match="bracket"):
        ar.overview(hand, sel(hand), " ")
    with pytest.raises(InvalidParameterError, match="organization_id"):
        sel(hand, organization_id=12)
    with pytest.raises(InvalidParameterError, match="is no organization"):
        sel(hand, organization_id=uuid.UUID(int=999))


def test_the_demo_data_adds_up(demo):
    bounds = sel(demo)
    overview = as_dict(ar.overview(demo, bounds))
    assert overview["assessments"] == ar.volumes_per_month(demo, bounds)["assessments"].sum() > 0
    assert overview["scored"] == ar.brackets(demo, bounds)["assessments"].sum() \
        == ar.score_distribution(demo, bounds)["assessments"].sum()
    comparison = ar.legacy_comparison(demo, bounds)
    summary = comparison.summary
    assert summary["matched"] == overview["scored"]  # every score of the demo was migrated
    assert summary["matched"] + summary["new_only"] == overview["assessments"]
    assert int(ar.confusion_table(comparison).to_numpy().sum()) == summary["matched"]
    latest = ar.latest_completed(demo, bounds)
    table = ar.explanation_table(latest)
    assert abs(table["overall_contribution"].sum() - score_responses(latest["responses"])["overall_score"]) < 0.005
    leading = as_dict(ar.overview(demo, bounds, "leading"))
    assert leading["scored"] == ar.brackets(demo, bounds).set_index("bracket").loc["leading", "assessments"]
    assert ar.brackets(demo, bounds, "leading")["assessments"].tolist() == [leading["scored"]]
