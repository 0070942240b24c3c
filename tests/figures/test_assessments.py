"""Figures of the assessments report: their data (traces, x and y), titles, and "no data" when empty."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bi_workbench.domain import assessments_report as ar
from bi_workbench.domain.scoring import compare_with_legacy, score_assessments
from bi_workbench.figures import assessments as fig
from tests.figures.drawn import assert_no_data, assert_titled

FULL = {"growth_pace": "fast", "funding_status": "seed", "tech_maturity": "basic", "team_alignment": "aligned",
        "process_discipline": "ad_hoc", "strategy_decision_method": "data_driven", "final_confirmation": "yes"}


def comparison():
    """Two assessments scored by the rubric and by legacy: one agrees on the bracket, one does not."""
    new = score_assessments(pd.DataFrame({"id": ["a", "b"], "responses": [FULL, {"growth_pace": "declining"}]}))
    legacy = pd.DataFrame({"assessment_id": ["a", "b"], "overall_score": [3.2, 4.5], "bracket": ["scaling", "leading"]})
    return compare_with_legacy(new, legacy)


def test_volumes_per_month_grouped_bars():
    volumes = pd.DataFrame({"period": pd.to_datetime(["2025-01-01", "2025-02-01"]), "complete": [True, True],
                            "assessments": [3, 1], "completed": [3, 1], "scored": [2, 0]})
    figure = fig.volumes_per_month(volumes)
    assert_titled(figure)
    assert figure.layout.barmode == "group" and [t.name for t in figure.data] == ["started", "scored"]
    assert list(figure.data[0].y) == [3, 1] and list(figure.data[1].y) == [2, 0]
    shaded = fig.volumes_per_month(volumes.assign(complete=[True, False]))
    assert pd.Timestamp(shaded.layout.shapes[0].x0) == pd.Timestamp("2025-02-01")  # February is not over


def test_score_distribution_one_trace_per_bracket_bars_as_wide_as_bins():
    distribution = pd.DataFrame({"bin_start": [0.0, 2.5], "bin_end": [2.5, 5.0], "bracket": ["emerging", "developing"],
                                 "assessments": [1, 4]})
    figure = fig.score_distribution(distribution)
    assert_titled(figure)
    assert [t.name for t in figure.data] == ["emerging", "developing"]
    assert list(figure.data[0].x) == [1.25] and list(figure.data[0].width) == [2.5] and list(figure.data[1].y) == [4]
    assert figure.data[1].marker.color == fig.BRACKET_COLOURS["developing"]
    assert list(figure.layout.xaxis.range) == [0, 5]


def test_brackets_bars_coloured_by_bracket():
    counts = pd.DataFrame({"bracket": ["emerging", "leading"], "assessments": [2, 1], "share": [0.6667, 0.3333],
                           "mean_score": [1.0, 4.5], "min_score": [1.0, 4.5], "max_score": [1.0, 4.5],
                           "mean_confidence": [0.5, 0.5]})
    figure = fig.brackets(counts)
    assert list(figure.data[0].x) == ["emerging", "leading"] and list(figure.data[0].y) == [2, 1]
    assert list(figure.data[0].marker.color) == [fig.BRACKET_COLOURS["emerging"], fig.BRACKET_COLOURS["leading"]]


def test_category_heatmap_leaves_out_the_all_rows():
    categories = pd.DataFrame({"bracket": ["all", "all", "developing", "leading", "leading"],
                               "category": ["growth", "team", "growth", "growth", "team"], "scores": [2, 1, 1, 1, 1],
                               "mean": [3.0, 5.0, 2.0, 4.0, 5.0], "median": [3.0, 5.0, 2.0, 4.0, 5.0],
                               "min": [2.0, 5.0, 2.0, 4.0, 5.0], "max": [4.0, 5.0, 2.0, 4.0, 5.0]})
    figure = fig.category_heatmap(categories)
    assert_titled(figure)
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["developing", "leading"] and list(heatmap.x) == ["growth", "team"]
    assert [list(row) for row in heatmap.z] == [[2.0, None], [4.0, 5.0]]
    assert (heatmap.zmin, heatmap.zmax) == (0, 5)


def test_category_contributions_stack_the_scored_questions_and_sum_to_the_score():
    explanation = ar.explanation_table({"assessment_id": 1, "responses": FULL})
    figure = fig.category_contributions(explanation)
    assert_titled(figure)
    assert figure.layout.barmode == "stack"
    assert sorted(t.name for t in figure.data) == sorted(["growth_pace", "funding_status", "tech_maturity",
                                                           "team_alignment", "process_discipline",
                                                           "strategy_decision_method"])
    by_question = {t.name: (t.x[0], t.y[0]) for t in figure.data}
    assert by_question["team_alignment"] == ("team", 0.8) and by_question["growth_pace"] == ("growth", 0.6667)
    total = sum(t.y[0] for t in figure.data)
    assert f"(overall {total:.2f})" in figure.layout.title.text
    assert list(figure.layout.xaxis.categoryarray) == ["growth", "technology", "team", "operations", "strategy"]


def test_confusion_heatmap_and_score_scatter():
    result = comparison()
    confusion = ar.confusion_table(result)
    figure = fig.confusion_heatmap(confusion)
    assert_titled(figure)
    assert list(figure.data[0].y) == list(confusion.index) and list(figure.data[0].x) == list(confusion.columns)
    assert sum(sum(row) for row in figure.data[0].z) == 2
    points = ar.comparison_points(result)
    scatter = fig.legacy_vs_rubric(points)
    assert [t.name for t in scatter.data] == ["same bracket", "other bracket", "same score"]
    same, other, diagonal = scatter.data
    assert list(same.x) == [3.2] and list(other.x) == [4.5]  # FULL scores 3.03 (scaling), 'declining' 0.5 (emerging)
    assert list(same.y) == list(points.loc[points["agree"] == True, "rubric_score"])  # noqa: E712
    assert list(diagonal.x) == [0, 5] and list(diagonal.y) == [0, 5]


def test_every_figure_says_no_data_when_empty():
    empty = compare_with_legacy(score_assessments(pd.DataFrame({"id": [], "responses": []})),
                                pd.DataFrame({"assessment_id": [], "overall_score": [], "bracket": []}))
    assert_no_data(fig.volumes_per_month(pd.DataFrame(columns=list(ar.VOLUME_COLUMNS))))
    assert_no_data(fig.score_distribution(pd.DataFrame(columns=list(ar.DISTRIBUTION_COLUMNS))))
    assert_no_data(fig.brackets(pd.DataFrame(columns=list(ar.BRACKET_COLUMNS))))
    assert_no_data(fig.category_heatmap(pd.DataFrame(columns=list(ar.CATEGORY_COLUMNS))))
    assert_no_data(fig.category_contributions(ar.explanation_table(None)))
    assert_no_data(fig.confusion_heatmap(ar.confusion_table(empty)))  # all zeros
    assert_no_data(fig.legacy_vs_rubric(ar.comparison_points(empty)))


def test_the_figures_draw_the_demo_data(demo_engine):
    with demo_engine.connect() as conn:
        bounds = ar.selection(conn, {})
        volumes = ar.volumes_per_month(conn, bounds)
        distribution = ar.score_distribution(conn, bounds)
        categories = ar.category_scores(conn, bounds)
        latest = ar.latest_completed(conn, bounds)
        result = ar.legacy_comparison(conn, bounds)
    assert sum(fig.volumes_per_month(volumes).data[0].y) == volumes["assessments"].sum()
    assert sum(sum(t.y) for t in fig.score_distribution(distribution).data) == distribution["assessments"].sum()
    heatmap = fig.category_heatmap(categories).data[0]
    assert len(heatmap.y) == 4 and len(heatmap.x) == categories["category"].nunique()
    assert fig.category_contributions(ar.explanation_table(latest)).data
    assert sum(sum(r) for r in fig.confusion_heatmap(ar.confusion_table(result)).data[0].z) == result.summary["matched"]
    scatter = fig.legacy_vs_rubric(ar.comparison_points(result))
    assert len(scatter.data[0].x) + len(scatter.data[1].x) == result.summary["both_scored"]


def test_many_assessments_are_drawn_as_counts_per_score_cell():
    n = fig.SCATTER_POINTS_MAX + 1
    rng = np.random.default_rng(7)
    legacy, rubric = rng.uniform(0, 5, n).round(2), rng.uniform(0, 5, n).round(2)
    legacy[:3], rubric[:3] = 5.0, 0.0  # the closed upper edge counts in the last cell
    points = pd.DataFrame({"legacy_score": legacy, "rubric_score": rubric, "legacy_bracket": "x",
                           "rubric_bracket": "y", "difference": rubric - legacy, "agree": False})
    cells, diagonal = fig.legacy_vs_rubric(points).data
    assert cells.type == "heatmap" and diagonal.name == "same score"
    z = np.nan_to_num(np.asarray(cells.z, dtype=float))
    assert z.sum() == n and z.shape == (50, 50)
    assert z[0, -1] >= 3  # rows are rubric cells, columns legacy cells
    inside = (points["legacy_score"] < 0.1) & (points["rubric_score"] < 0.1)
    assert z[0, 0] == inside.sum()


def test_a_score_on_a_cell_edge_is_counted_in_the_cell_it_starts():
    n = fig.SCATTER_POINTS_MAX + 1
    points = pd.DataFrame({"legacy_score": [2.3] * n, "rubric_score": [0.7] * n, "legacy_bracket": "x",
                           "rubric_bracket": "y", "difference": -1.6, "agree": False})
    z = np.nan_to_num(np.asarray(fig.legacy_vs_rubric(points).data[0].z, dtype=float))
    assert z[7, 23] == n
