"""Assessment scoring: rubric as data, odd answers, explanations, bulk = per row, writing, legacy comparison."""

import copy
import json
import math
import uuid
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.domain import scoring
from bi_workbench.domain.scoring import (
    assign_brackets, compare_with_legacy, explain, load_rubric, score_assessments, score_responses, write_scores,
)
from bi_workbench.errors import InvalidParameterError, InvalidResponsesError, InvalidRubricError
from bi_workbench.schema.tables import assessment_scores, assessments

RUBRIC = json.loads((resources.files("bi_workbench.domain") / "rubrics" / "onboarding_v1.json").read_text())
POINTS = {q: spec["points"] for q, spec in RUBRIC["questions"].items() if "points" in spec}
QWEIGHT = {q: spec.get("weight", 1.0) for q, spec in RUBRIC["questions"].items() if "points" in spec}
CWEIGHT = {c: spec["weight"] for c, spec in RUBRIC["categories"].items()}

FULL = {
    "growth_pace": "fast", "funding_status": "seed", "tech_maturity": "basic", "team_alignment": "aligned",
    "process_discipline": "ad_hoc", "strategy_decision_method": "data_driven", "final_confirmation": "yes",
    **{q: "Some answer" for q, spec in RUBRIC["questions"].items() if spec["kind"] == "text"},
    "friction_points": ["pricing", "onboarding"],
}


def reference_score(responses: dict) -> tuple[dict, float]:
    """Category scores and overall, computed straight from the rubric JSON, one answer at a time."""
    sums, weights = {}, {}
    for question, points in POINTS.items():
        answer = responses.get(question)
        if not isinstance(answer, str):
            continue
        key = "_".join(answer.strip().lower().replace("-", " ").split())
        if key in points:
            category = RUBRIC["questions"][question]["category"]
            sums[category] = sums.get(category, 0.0) + QWEIGHT[question] * points[key]
            weights[category] = weights.get(category, 0.0) + QWEIGHT[question]
    categories = {c: sums[c] / weights[c] for c in sums}
    total = sum(CWEIGHT[c] for c in categories)
    overall = sum(CWEIGHT[c] * s for c, s in categories.items()) / total if total else math.nan
    return categories, overall


def test_the_rubric_lists_exactly_the_legacy_contracts_choice_answers():
    contract = pytest.importorskip("bi_workbench.legacy.contract")
    rubric = load_rubric()
    for column, allowed in contract.CHOICE_ANSWERS.items():
        assert set(rubric.allowed(column)) == set(allowed), column


def test_known_answers_give_the_category_scores_of_the_rubric_by_hand():
    result = score_responses(FULL)
    growth = (QWEIGHT["growth_pace"] * POINTS["growth_pace"]["fast"]
              + QWEIGHT["funding_status"] * POINTS["funding_status"]["seed"]) / (
        QWEIGHT["growth_pace"] + QWEIGHT["funding_status"])
    expected = {"growth": growth, "technology": POINTS["tech_maturity"]["basic"],
                "team": POINTS["team_alignment"]["aligned"], "operations": POINTS["process_discipline"]["ad_hoc"],
                "strategy": POINTS["strategy_decision_method"]["data_driven"]}
    assert result["category_scores"] == pytest.approx({k: round(v, 2) for k, v in expected.items()})
    overall = sum(CWEIGHT[c] * v for c, v in expected.items()) / sum(CWEIGHT.values())
    assert result["overall_score"] == round(overall, 2)
    assert result["bracket"] == assign_brackets([round(overall, 2)])[0]
    assert result["confidence_score"] == 1.0
    assert set(result["swot_analysis"]) == {"strengths", "weaknesses", "opportunities", "threats"}


def test_recommendations_come_from_the_rules_data():
    weak_tech = score_responses({**FULL, "tech_maturity": "manual"})
    rule = next(r for r in RUBRIC["rules"] if r["id"] == "technology_low")
    assert all(text in weak_tech["recommendations"] for text in rule["recommendations"])
    assert rule["weaknesses"][0] in weak_tech["swot_analysis"]["weaknesses"]
    strong_tech = score_responses({**FULL, "tech_maturity": "ai_driven"})
    assert not set(rule["recommendations"]) & set(strong_tech["recommendations"])
    # change the data, not the code: a new rule shows up
    custom = copy.deepcopy(RUBRIC)
    custom["rules"].append({"id": "x", "when": [{"category": "technology", "below": 2.5}], "next_steps": ["Call us"]})
    assert "Call us" in score_responses({**FULL, "tech_maturity": "manual"}, custom)["next_steps"]
    assert weak_tech["next_steps"][-1] == "Re-take the assessment in 90 days"


def test_brackets_follow_the_seeds_thresholds():
    assert assign_brackets([0.0, 1.99, 2.0, 3.99, 4.0, 5.0, math.nan]).tolist() == [
        "emerging", "emerging", "developing", "scaling", "leading", "leading", None]


def test_odd_case_and_padding_score_like_the_clean_answer():
    odd = {**FULL, "growth_pace": "  FAST ", "tech_maturity": "Basic", "team_alignment": "ALIGNED",
           "strategy_decision_method": "Data-Driven", "final_confirmation": " Yes"}
    assert score_responses(odd)["category_scores"] == score_responses(FULL)["category_scores"]
    assert score_responses(odd)["confidence_score"] == score_responses(FULL)["confidence_score"]


@pytest.mark.parametrize("bad", [None, "", "   ", "not sure", "Series C", 3, True, ["fast"], {"a": 1}, math.nan])
def test_blank_unknown_or_wrongly_typed_answers_count_as_missing_and_lower_confidence(bad):
    full = score_responses(FULL)
    result = score_responses({**FULL, "growth_pace": bad, "tech_maturity": bad})
    assert result["confidence_score"] < full["confidence_score"]
    assert result["category_scores"]["technology"] is None
    assert result["category_scores"]["growth"] == POINTS["funding_status"]["seed"]
    statuses = explain({**FULL, "growth_pace": bad}).set_index("question")["status"]
    assert statuses["growth_pace"] in ("missing", "blank", "unknown")


def test_absent_questions_and_empty_responses_do_not_crash():
    empty = score_responses({})
    assert empty["overall_score"] is None and empty["bracket"] is None and empty["confidence_score"] == 0.0
    assert all(v is None for v in empty["category_scores"].values())
    partial = score_responses({"growth_pace": "steady"})
    assert partial["overall_score"] == 3.0 and 0 < partial["confidence_score"] < 0.2


def test_a_no_confirmation_lowers_confidence():
    assert score_responses({**FULL, "final_confirmation": "no"})["confidence_score"] < 1.0
    unconfirmed = score_responses({**FULL, "final_confirmation": "no"})
    assert unconfirmed["overall_score"] == score_responses(FULL)["overall_score"]


@pytest.mark.parametrize("responses", [FULL, {"growth_pace": "flat", "tech_maturity": "AI_DRIVEN"}, {}])
def test_the_explanation_sums_to_the_scores(responses):
    table = explain(responses)
    result = score_responses(responses)
    if result["overall_score"] is not None:
        assert table["overall_contribution"].sum() == pytest.approx(result["overall_score"], abs=0.005)
    for category, score in result["category_scores"].items():
        if score is not None:
            part = table.loc[table["category"] == category, "category_contribution"].sum()
            assert part == pytest.approx(score, abs=0.005)
    assert table["confidence_contribution"].sum() == pytest.approx(result["confidence_score"], abs=0.005)
    assert list(table["question"]) == list(RUBRIC["questions"])


def _noisy_responses(n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    noise = [None, "", "  ", "n/a", 7, ["x"]]
    out = []
    for _ in range(n):
        row = {}
        for question, spec in RUBRIC["questions"].items():
            if rng.random() < 0.1:
                continue  # absent
            if spec["kind"] == "choice":
                options = list(spec.get("points", {})) or spec["answers"]
                value = options[rng.integers(len(options))]
                style = rng.integers(6)
                row[question] = (value, value.upper(), f" {value.title()} ", *noise)[rng.integers(3 + len(noise))] \
                    if style == 0 else value
            elif spec["kind"] == "text":
                row[question] = ("Some text", "", None)[rng.integers(3)]
            else:
                row[question] = (["a"], [], None)[rng.integers(3)]
        out.append(row)
    return out


def test_bulk_scoring_equals_per_row_scoring_and_the_reference():
    responses = _noisy_responses(300, seed=3)
    bulk = score_assessments(pd.DataFrame({"id": range(300), "responses": responses}))
    assert list(bulk["assessment_id"]) == list(range(300))
    for i, row in enumerate(responses):
        single = score_responses(row, assessment_id=i)
        got = bulk.iloc[i].to_dict()
        got["overall_score"] = None if math.isnan(got["overall_score"]) else got["overall_score"]
        assert got == single
        categories, overall = reference_score(row)
        got_categories = {c: v for c, v in single["category_scores"].items() if v is not None}
        assert got_categories == pytest.approx(categories, abs=0.005 + 1e-9)  # rounded to 2 decimals
        if categories:
            assert single["overall_score"] == pytest.approx(overall, abs=0.005 + 1e-9)


def test_rows_do_not_share_mutable_lists():
    bulk = score_assessments(pd.DataFrame({"id": [1, 2], "responses": [FULL, FULL]}))
    bulk.loc[0, "next_steps"].append("mine")
    assert "mine" not in bulk.loc[1, "next_steps"]


@pytest.mark.parametrize("bad, described", [(["growth_pace", "fast"], "list"), ("fast", "string"), (42, "number"),
                                            (None, "NULL")])
def test_responses_that_are_not_an_object_raise_naming_the_assessment(bad, described):
    message = rf"assessment a-7: responses must be a JSON object.*{described}"
    with pytest.raises(InvalidResponsesError, match=message) as info:
        score_responses(bad, assessment_id="a-7")
    assert info.value.assessment_id == "a-7"
    assert isinstance(info.value, ValueError)


def test_bulk_mode_raises_or_skips_non_objects():
    frame = pd.DataFrame({"assessment_id": ["ok", "bad", "worse"], "responses": [FULL, [1, 2], "text"]})
    with pytest.raises(InvalidResponsesError, match="assessment bad.*1 more such rows.*errors='skip'"):
        score_assessments(frame)
    kept = score_assessments(frame, errors="skip")
    assert list(kept["assessment_id"]) == ["ok"]
    assert [s["assessment_id"] for s in kept.attrs["skipped"]] == ["bad", "worse"]
    with pytest.raises(InvalidParameterError, match="errors must be"):
        score_assessments(frame, errors="ignore")
    with pytest.raises(InvalidParameterError, match="'responses' column"):
        score_assessments(pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize("break_it, message", [
    (lambda r: r["questions"]["growth_pace"]["points"].update(fast=7.0), "points in 0.0..5.0"),
    (lambda r: r["questions"]["growth_pace"].update(category="nowhere"), "scored question"),
    (lambda r: r["questions"]["growth_pace"]["points"].update({"Very Fast": 4.0}), "must be normalised"),
    (lambda r: r["categories"]["team"].update(weight=0), "weight must be a positive"),
    (lambda r: r["brackets"].reverse(), "ascend"),
    (lambda r: r["rules"].append({"id": "r", "when": [{"category": "nowhere", "below": 1}]}), "condition"),
    (lambda r: r["rules"].append({"id": "r", "when": [], "advice": ["x"]}), "fields allowed"),
    (lambda r: r.pop("version"), "'version'"),
])
def test_malformed_rubrics_are_rejected_with_the_entry_named(break_it, message):
    rubric = copy.deepcopy(RUBRIC)
    break_it(rubric)
    with pytest.raises(InvalidRubricError, match=message):
        load_rubric(rubric)


def test_rubrics_load_by_name_or_path(tmp_path):
    assert load_rubric("onboarding_v1").version == RUBRIC["version"]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({**RUBRIC, "version": "9.9"}))
    assert load_rubric(path).version == "9.9"
    with pytest.raises(InvalidRubricError, match="no packaged rubric named 'nope'"):
        load_rubric("nope")


def test_compare_with_legacy_reports_distance_and_bracket_agreement():
    ids = [uuid.uuid4() for _ in range(4)]
    new = pd.DataFrame({"assessment_id": ids, "overall_score": [1.5, 2.5, 3.5, 4.5],
                        "bracket": ["emerging", "developing", "scaling", "leading"]})
    legacy = pd.DataFrame({"assessment_id": [str(i) for i in ids[:3]] + [str(uuid.uuid4())],
                           "score": [1.0, 3.5, 3.2, 2.0], "bracket": [" Emerging", None, "scaling", "developing"]})
    comparison = compare_with_legacy(new, legacy)
    summary = comparison.summary
    assert summary["matched"] == 3 and summary["new_only"] == 1 and summary["legacy_only"] == 1
    assert summary["mean_abs_diff"] == pytest.approx((0.5 + 1.0 + 0.3) / 3, abs=1e-4)
    assert summary["bracket_agreement"] == pytest.approx(2 / 3, abs=1e-4)  # None legacy bracket -> from 3.5: scaling
    assert comparison.confusion.loc["scaling", "developing"] == 1
    assert comparison.confusion.loc["emerging", "emerging"] == 1
    assert int(comparison.confusion.to_numpy().sum()) == 3
    assert comparison.per_bracket.loc["scaling", "rows"] == 2


def test_compare_with_legacy_keeps_the_latest_legacy_row_per_assessment():
    new = pd.DataFrame({"assessment_id": ["a"], "overall_score": [3.0], "bracket": ["scaling"]})
    legacy = pd.DataFrame({"assessment_id": ["a", "a", "a"], "overall_score": [1.0, 3.0, 0.0], "bracket": [None] * 3,
                           "created_at": pd.to_datetime(["2024-02-01", "2024-01-01", None])})
    assert compare_with_legacy(new, legacy).summary["mean_abs_diff"] == 2.0  # undated is the oldest


def _insert_assessments(conn, responses: list) -> list:
    rows = [{"assessment_type": "onboarding", "responses": r} for r in responses]
    return list(conn.execute(assessments.insert().returning(assessments.c.id), rows).scalars())


def test_write_scores_inserts_within_the_check_scales(schema_database):
    with schema_database.begin() as conn:
        ids = _insert_assessments(conn, [FULL, {}, {"growth_pace": "Hypergrowth"}])
        loaded = pd.DataFrame(conn.execute(sa.select(assessments.c.id, assessments.c.responses)).mappings().all())
        scores = score_assessments(loaded)
        assert write_scores(conn, scores) == 3
    with schema_database.connect() as conn:
        stored = {r.assessment_id: r for r in conn.execute(sa.select(assessment_scores))}
    assert set(stored) == set(ids)
    full = stored[ids[0]]
    expected = score_responses(FULL)
    assert float(full.overall_score) == expected["overall_score"] and full.bracket == expected["bracket"]
    assert float(full.confidence_score) == expected["confidence_score"]
    assert full.category_scores == expected["category_scores"]
    assert full.recommendations == expected["recommendations"] and full.swot_analysis == expected["swot_analysis"]
    assert stored[ids[1]].overall_score is None and stored[ids[1]].bracket is None
    assert stored[ids[1]].category_scores["growth"] is None


def test_write_scores_rejects_values_outside_the_scales_before_sending(schema_database):
    scores = score_assessments(pd.DataFrame({"id": [uuid.uuid4()], "responses": [FULL]}))
    with schema_database.connect() as conn:
        with pytest.raises(InvalidParameterError, match="confidence_score must be between 0 and 1"):
            write_scores(conn, scores.assign(confidence_score=1.2))
        with pytest.raises(InvalidParameterError, match="overall_score must be between 0 and 5"):
            write_scores(conn, scores.assign(overall_score=5.5))


def test_scoring_many_rows_matches_the_per_row_result_on_a_sample():
    from bi_workbench.domain.bench import bench_responses

    frame = bench_responses(5_000, seed=11)
    bulk = score_assessments(frame)
    assert len(bulk) == 5_000
    assert bulk["overall_score"].dropna().between(0, 5).all() and bulk["confidence_score"].between(0, 1).all()
    for i in range(0, 5_000, 500):
        single = score_responses(frame["responses"][i], assessment_id=i)
        assert bulk["category_scores"][i] == single["category_scores"]
        assert bulk["next_steps"][i] == single["next_steps"]


def test_scoring_module_has_docstrings_everywhere():
    public = [getattr(scoring, n) for n in dir(scoring) if not n.startswith("_") and callable(getattr(scoring, n))
              and getattr(getattr(scoring, n), "__module__", "") == scoring.__name__]
    assert public and all((f.__doc__ or "").strip() for f in public)
