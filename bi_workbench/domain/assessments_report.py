"""Assessments and scores (report ``02_assessments``): volumes, score distribution, brackets, categories, explanations.

Every function that reads the database takes an SQLAlchemy Connection (it never
opens one) and runs its query beside it with bound parameters; the others take
what those return. Results are small DataFrames, sorted and rounded the same way
every time; no data gives an empty frame with the same columns.

The selection, shared by every function (all filters optional, None = all):

- ``organization_id``: the assessments of that organization, and those without
  an organization whose user is a member of it (migrated assessments carry no
  organization);
- ``industry``: assessments of users of that industry (case-insensitive);
- ``since`` / ``until``: a half-open range ``[since, until)`` of the assessment's
  ``created_at`` (`bi_workbench.domain.users_orgs.report_filters` makes it from a
  report's inclusive dates and ``as_of``);
- ``bracket``: assessments whose score is in that bracket.

"The score" of an assessment is its latest row of ``assessment_scores`` (by
``created_at``, then id); an assessment without one is unscored. "Legacy scores"
are the rows the legacy migration wrote (listed in ``legacy_id_map``); the
rubric's scores are computed here with `bi_workbench.domain.scoring`.

The queries are the named files of ``bi_workbench/domain/sql/assessments_report/``;
each selects the assessments (with their latest score) in a ``chosen`` CTE first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from ..schema.sqlfiles import read_sql
from .analytics import _frame, _text
from .scoring import (
    LegacyComparison, assign_brackets, compare_with_legacy, explain, load_rubric, score_assessments, score_responses,
)
from .users_orgs import (  # noqa: F401 - recent_months: for the notebook
    fetch_rows, fill_months, filter_params, in_order, iso_day, measures_frame, recent_months, report_filters,
)

#: Width of the score histogram's bins, on the 0-5 scale.
BIN_WIDTH = 0.25
#: Label of the statistics over every bracket in `category_scores`.
ALL = "all"
#: Row labels of `comparison_summary`, in order, with the key of LegacyComparison.summary each shows.
COMPARISON_MEASURES = (
    ("assessments with both scores", "matched"),
    ("scored by the rubric only", "new_only"),
    ("with a legacy score only", "legacy_only"),
    ("mean absolute difference", "mean_abs_diff"),
    ("median absolute difference", "median_abs_diff"),
    ("90th percentile of the absolute difference", "p90_abs_diff"),
    ("largest absolute difference", "max_abs_diff"),
    ("mean difference (rubric - legacy)", "mean_diff"),
    ("share within 0.5 points", "within_0_5"),
    ("correlation", "correlation"),
    ("bracket agreement", "bracket_agreement"),
)


def selection(params) -> dict:
    """Return the filters of a ``02_assessments`` run: `report_filters` plus ``bracket`` (keywords of all functions)."""
    return {**report_filters(params), "bracket": params.get("bracket")}


def _selection_params(organization_id=None, industry=None, since=None, until=None, bracket=None) -> dict:
    """Return the bound parameters of the selection, validated (InvalidParameterError naming the bad one)."""
    return {**filter_params(organization_id, industry, since, until), "bracket": _text(bracket, "bracket")}


#: The queries of ``sql/assessments_report/`` that continue the selection of ``selection.sql``.
SELECTION_QUERIES = frozenset({
    'brackets', 'category_scores', 'latest_completed', 'legacy_scores', 'overview', 'responses',
    'score_summary', 'scores', 'volumes_per_month',
})


def _rows(conn: Connection, name: str, params: dict) -> list[tuple]:
    """Return the rows of the named query of ``bi_workbench/domain/sql/assessments_report/``, run with ``params``."""
    text = read_sql("bi_workbench.domain", f"assessments_report/{name}.sql")
    if name in SELECTION_QUERIES:  # they continue the shared WITH of selection.sql
        text = read_sql("bi_workbench.domain", "assessments_report/selection.sql") + text
    return fetch_rows(conn, text, params)


def _round(value, digits: int):
    """Return ``value`` rounded to ``digits`` as a float, or None for None/NaN."""
    return None if value is None or pd.isna(value) else round(float(value), digits)


# --- overview and volumes -----------------------------------------------------------------------

OVERVIEW_MEASURES = ("assessments", "completed", "scored", "mean score", "median score", "mean confidence",
                     "first assessment", "latest assessment")


def overview(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
             bracket=None) -> pd.DataFrame:
    """Return the headline figures of the selection: columns measure, value (one row per OVERVIEW_MEASURES).

    Counts are integers, the mean/median score and mean confidence are rounded to
    2 and 4 decimals (None without scores), the first and latest assessment are
    ISO dates ('' without assessments).
    Example: two assessments scored 2.0 and 3.0 -> ("scored", 2), ("mean score", 2.5), ...
    """
    row = _rows(conn, "overview", _selection_params(organization_id, industry, since, until, bracket))[0]
    days = [iso_day(v) for v in row[6:]]
    values = [int(row[0]), int(row[1]), int(row[2]), _round(row[3], 2), _round(row[4], 2), _round(row[5], 4), *days]
    return measures_frame(OVERVIEW_MEASURES, values)


VOLUME_COLUMNS = {"period": "ts", "assessments": "int", "completed": "int", "scored": "int"}


def volumes_per_month(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                      bracket=None) -> pd.DataFrame:
    """Return assessments started per calendar month (UTC): period, assessments, completed, scored.

    Months without assessments between the first and the last are included with 0.
    Example: 2 assessments in January (one scored) and 1 in March ->
    rows (2025-01-01, 2, 2, 1), (2025-02-01, 0, 0, 0), (2025-03-01, 1, 1, 0).
    """
    counted = _frame(_rows(conn, "volumes_per_month",
                           _selection_params(organization_id, industry, since, until, bracket)), VOLUME_COLUMNS)
    if counted.empty:
        return counted
    filled = fill_months(counted)
    return _frame(list(filled.itertuples(index=False, name=None)), VOLUME_COLUMNS)


# --- scores ---------------------------------------------------------------------------------------

SUMMARY_COLUMNS = {"scored": "int", "mean": "float", "std": "float", "min": "float", "p10": "float", "p25": "float",
                   "median": "float", "p75": "float", "p90": "float", "max": "float"}


def score_summary(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                  bracket=None) -> pd.DataFrame:
    """Return one row of statistics of the overall scores: scored, mean, std, min, p10, p25, median, p75, p90, max.

    Rounded to 2 decimals (std to 3); NaN where undefined (no scores, or one for std).
    Example: scores 1.0, 2.0, 3.0 -> (3, 2.0, 1.0, 1.0, 1.2, 1.5, 2.0, 2.5, 2.8, 3.0).
    """
    n, mean, std, low, quantiles, high = _rows(
        conn, "score_summary", _selection_params(organization_id, industry, since, until, bracket))[0]
    quantiles = quantiles or [None] * 5
    values = [int(n), _round(mean, 2), _round(std, 3), _round(low, 2), *(_round(q, 2) for q in quantiles),
              _round(high, 2)]
    return _frame([tuple(np.nan if v is None else v for v in values)], SUMMARY_COLUMNS)


DISTRIBUTION_COLUMNS = {"bin_start": "float", "bin_end": "float", "bracket": "str", "assessments": "int"}


def score_distribution(conn: Connection, *, bin_width: float = BIN_WIDTH, organization_id=None, industry=None,
                       since=None, until=None, bracket=None) -> pd.DataFrame:
    """Return a histogram of the overall scores: bin_start, bin_end, bracket (of the bin's start), assessments.

    Bins of ``bin_width`` cover the rubric's 0-5 scale, lower bound included (the
    top score falls in the last bin); every bin is listed when there is any score,
    none when there is none. Example: scores 1.1 and 1.2 with bin_width 0.25 ->
    the bin (1.0, 1.25, "emerging", 2) and 19 bins of 0.
    """
    width = float(bin_width)
    rubric = load_rubric()
    low, high = rubric.scale
    if not 0 < width <= high - low:
        raise InvalidParameterError(f"bin_width must be above 0 and at most {high - low:g}; got {bin_width!r}")
    scores = np.array([row[0] for row in _rows(conn, "scores", _selection_params(
        organization_id, industry, since, until, bracket))], dtype=float)
    if not len(scores):
        return _frame([], DISTRIBUTION_COLUMNS)
    bins = int(np.ceil(round((high - low) / width, 9)))
    starts = np.round(low + width * np.arange(bins), 6)
    ends = np.round(np.minimum(starts + width, high), 6)
    index = np.clip(np.floor(np.round((scores - low) / width, 9)).astype(int), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    brackets = rubric_brackets(starts)
    return _frame(list(zip(starts.tolist(), ends.tolist(), brackets, counts.tolist())), DISTRIBUTION_COLUMNS)


def rubric_brackets(scores) -> list:
    """Return the rubric bracket name of each score (None for NaN), as a list."""
    return list(assign_brackets(np.asarray(scores, dtype=float)))


BRACKET_COLUMNS = {"bracket": "str", "assessments": "int", "share": "float", "mean_score": "float",
                   "min_score": "float", "max_score": "float", "mean_confidence": "float"}


def brackets(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
             bracket=None) -> pd.DataFrame:
    """Return the scored assessments per bracket, in the rubric's order (emerging to leading, then others).

    Columns: bracket, assessments, share (of the scored, 4 decimals), mean/min/max_score
    (2 decimals), mean_confidence (4 decimals). Example: scores 1.5 (emerging), 2.5
    and 2.7 (developing) -> ("emerging", 1, 0.3333, 1.5, ...), ("developing", 2, 0.6667, 2.6, ...).
    """
    rows = _rows(conn, "brackets", _selection_params(organization_id, industry, since, until, bracket))
    total = sum(r[1] for r in rows)
    order = in_order([r[0] for r in rows], load_rubric().bracket_names)
    rows = sorted(rows, key=lambda r: order.index(r[0]))
    return _frame([(b, n, round(n / total, 4), _round(mean, 2), _round(lo, 2), _round(hi, 2), _round(conf, 4))
                   for b, n, mean, lo, hi, conf in rows], BRACKET_COLUMNS)


# --- category scores ---------------------------------------------------------------------------------

CATEGORY_COLUMNS = {"bracket": "str", "category": "str", "scores": "int", "mean": "float", "median": "float",
                    "min": "float", "max": "float"}


def category_scores(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                    bracket=None) -> pd.DataFrame:
    """Return statistics of the stored category scores per category, over all brackets and per bracket (long).

    Columns: bracket ('all' for every bracket together, then each bracket in the
    rubric's order), category (the rubric's categories first, then others
    alphabetically), scores (how many numeric values), mean, median, min, max (2 decimals).
    Non-numeric values are left out. Example: team scored 2.0 (developing) and 4.0
    (leading) -> ("all", "team", 2, 3.0, ...), ("developing", "team", 1, 2.0, ...), ("leading", "team", 1, 4.0, ...).
    """
    params = {**_selection_params(organization_id, industry, since, until, bracket), "all": ALL}
    frame = _frame(_rows(conn, "category_scores", params), CATEGORY_COLUMNS)
    for column in ("mean", "median", "min", "max"):
        frame[column] = frame[column].round(2)
    rubric = load_rubric()
    bracket_order = [ALL, *in_order(frame["bracket"][frame["bracket"] != ALL], rubric.bracket_names)]
    category_order = in_order(frame["category"], rubric.categories)
    keys = {"_b": frame["bracket"].map(bracket_order.index), "_c": frame["category"].map(category_order.index)}
    return frame.assign(**keys).sort_values(["_b", "_c"], kind="stable").drop(columns=list(keys)).reset_index(drop=True)


def category_table(categories: pd.DataFrame) -> pd.DataFrame:
    """Return `category_scores`' frame as a table: per category, its statistics over all, then its mean per bracket.

    Columns: category, scores, mean, median, then one ``mean_<bracket>`` per bracket.
    Example: the frame of the `category_scores` example -> ("team", 2, 3.0, 3.0, 2.0, 4.0).
    """
    if categories.empty:
        return pd.DataFrame({"category": pd.Series(dtype="string"), "scores": pd.Series(dtype="int64"),
                             "mean": pd.Series(dtype="float64"), "median": pd.Series(dtype="float64")})
    overall = categories[categories["bracket"] == ALL].set_index("category")[["scores", "mean", "median"]]
    per_bracket = categories[categories["bracket"] != ALL]
    means = per_bracket.pivot(index="category", columns="bracket", values="mean")
    means = means[[b for b in dict.fromkeys(per_bracket["bracket"])]].add_prefix("mean_")
    table = overall.join(means).reset_index()
    table.columns.name = None
    return table


# --- one assessment explained ----------------------------------------------------------------------



def latest_completed(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                     bracket=None) -> dict | None:
    """Return the selection's latest completed assessment, or None if it has none.

    A dict: assessment_id, completed_at (Timestamp, UTC), overall_score, bracket and
    confidence_score (its stored score; None if unscored) and responses (the JSON object).
    Latest means the latest ``completed_at``, then ``created_at``, then the largest id.
    """
    rows = _rows(conn, "latest_completed", _selection_params(organization_id, industry, since, until, bracket))
    if not rows:
        return None
    assessment_id, completed_at, score, bracket_name, confidence, responses = rows[0]
    return {"assessment_id": assessment_id,
            "completed_at": None if completed_at is None else pd.Timestamp(completed_at).tz_convert("UTC"),
            "overall_score": score, "bracket": bracket_name, "confidence_score": confidence, "responses": responses}


EXPLANATION_COLUMNS = {"question": "str", "category": "str", "answer": "str", "status": "str", "points": "float",
                       "share_of_category": "float", "category_contribution": "float",
                       "overall_contribution": "float", "confidence_contribution": "float"}
#: The row of `explanation_table` that stands for every free-text and list question.
EVIDENCE_ROW = "(free-text and list answers)"


def explanation_table(assessment: dict | None) -> pd.DataFrame:
    """Return `explain` of the assessment's responses as a table to read: what moved its rubric score, most first.

    One row per choice question: question, category ('' for the unscored final
    confirmation), answer (normalised; '' if not a valid choice), status, points,
    share_of_category, category_contribution, overall_contribution,
    confidence_contribution (4 decimals); sorted by overall_contribution (largest
    first), then confidence_contribution, then question. The free-text and list
    questions, which only raise confidence, are one last row EVIDENCE_ROW whose
    answer counts their statuses ("12 answered, 1 blank") and whose contributions
    are their sums, so each contribution column still sums to the rubric's score.
    ``assessment``: as `latest_completed` returns it; None, or a ``responses`` that
    is not a JSON object, gives an empty table.
    """
    if assessment is None or not isinstance(assessment.get("responses"), dict):
        return _frame([], EXPLANATION_COLUMNS)
    table = explain(assessment["responses"], assessment_id=assessment.get("assessment_id"))
    numbers = [c for c, kind in EXPLANATION_COLUMNS.items() if kind == "float"]
    choices = table[table["kind"] == "choice"]
    shown = pd.DataFrame({
        "question": choices["question"], "category": choices["category"].fillna(""),
        "answer": [n if isinstance(n, str) else "" for n in choices["normalised"]], "status": choices["status"],
        **{c: choices[c].astype(float) for c in numbers},
    }).sort_values(["overall_contribution", "confidence_contribution", "question"], ascending=[False, False, True],
                   kind="stable")
    evidence = table[table["kind"] != "choice"]
    if len(evidence):
        counts = evidence["status"].value_counts()
        summary = ", ".join(f"{int(counts[s])} {s}" for s in ("answered", "blank", "unknown", "missing") if s in counts)
        sums = {c: float(evidence[c].sum()) if c.endswith("contribution") else np.nan for c in numbers}
        shown = pd.concat([shown, pd.DataFrame([{"question": EVIDENCE_ROW, "category": "", "answer": summary,
                                                 "status": "", **sums}])], ignore_index=True)
    shown[numbers] = shown[numbers].astype(float).round(4)
    return _frame(list(shown[list(EXPLANATION_COLUMNS)].itertuples(index=False, name=None)), EXPLANATION_COLUMNS)


def explained_summary(assessment: dict | None) -> pd.DataFrame:
    """Return what the explained assessment is and how it scores: columns measure, value.

    Rows: assessment (id), completed (ISO date), stored score and bracket, rubric
    score, bracket and confidence (`score_responses`), scored questions answered.
    Empty (no rows) when ``assessment`` is None.
    """
    if assessment is None:
        return pd.DataFrame({"measure": pd.Series(dtype="string"), "value": pd.Series(dtype=object)})
    responses = assessment.get("responses")
    scored = score_responses(responses) if isinstance(responses, dict) else {}
    completed = assessment.get("completed_at")
    rows = [
        ("assessment", str(assessment["assessment_id"])),
        ("completed", "" if completed is None else completed.strftime("%Y-%m-%d")),
        ("stored score", _round(assessment.get("overall_score"), 2)),
        ("stored bracket", assessment.get("bracket") or ""),
        ("rubric score", _round(scored.get("overall_score"), 2)),
        ("rubric bracket", scored.get("bracket") or ""),
        ("rubric confidence", _round(scored.get("confidence_score"), 2)),
        ("questions answered", int(scored.get("answered", 0))),
        ("rubric", scored.get("rubric_version", "")),
    ]
    return measures_frame([r[0] for r in rows], [r[1] for r in rows])


# --- legacy scores against the rubric's ---------------------------------------------------------------



def legacy_comparison(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                      bracket=None) -> LegacyComparison:
    """Return the selection's legacy (migrated) scores compared with the scores the rubric gives the same responses.

    Scores every selected assessment with `score_assessments` (responses that are
    not a JSON object are left out) and matches them with the legacy score rows
    on the assessment (the latest legacy row counts) with `compare_with_legacy`.
    """
    params = _selection_params(organization_id, industry, since, until, bracket)
    responses = pd.DataFrame(_rows(conn, "responses", params), columns=["assessment_id", "responses"], dtype=object)
    legacy = pd.DataFrame(_rows(conn, "legacy_scores", params),
                          columns=["assessment_id", "overall_score", "bracket", "created_at"])
    legacy["overall_score"] = pd.to_numeric(legacy["overall_score"]).astype(float)
    legacy["created_at"] = pd.to_datetime(legacy["created_at"], utc=True)
    return compare_with_legacy(score_assessments(responses, errors="skip"), legacy)


def comparison_summary(comparison: LegacyComparison) -> pd.DataFrame:
    """Return the headline figures of a comparison as a table: columns measure, value (COMPARISON_MEASURES order).

    Counts are integers; differences, shares and the correlation are rounded to 4
    decimals; None where undefined (nothing matched).
    """
    values = [comparison.summary.get(key) for _, key in COMPARISON_MEASURES]
    values = [v if v is None or isinstance(v, int) else round(float(v), 4) for v in values]
    return measures_frame([label for label, _ in COMPARISON_MEASURES], values)


PER_BRACKET_COLUMNS = {"legacy_bracket": "str", "assessments": "int", "agreement": "float", "mean_abs_diff": "float",
                       "mean_rubric": "float", "mean_legacy": "float"}


def comparison_by_bracket(comparison: LegacyComparison) -> pd.DataFrame:
    """Return, per legacy bracket (rubric order), how the rubric's scores compare.

    Columns: legacy_bracket, assessments, agreement (share with the same bracket),
    mean_abs_diff, mean_rubric, mean_legacy (4 decimals).
    """
    table = comparison.per_bracket
    if table.empty:
        return _frame([], PER_BRACKET_COLUMNS)
    order = in_order(table.index, load_rubric().bracket_names)
    table = table.reindex(order)
    figures = ("agreement", "mean_abs_diff", "mean_new", "mean_legacy")
    rows = [(name, int(r["rows"]), *(round(float(r[c]), 4) for c in figures)) for name, r in table.iterrows()]
    return _frame(rows, PER_BRACKET_COLUMNS)


def confusion_table(comparison: LegacyComparison) -> pd.DataFrame:
    """Return the bracket confusion table: legacy bracket (rows) x rubric bracket (columns), counts.

    Rubric brackets in order; the '(none)' row and column (no score on one side)
    only when they count something. Index name legacy_bracket, columns name rubric_bracket.
    """
    table = comparison.confusion.copy()
    for label in ("(none)",):
        if label in table.index and not table.loc[label].any() and not table[label].any():
            table = table.drop(index=label, columns=label)
    table.index.name, table.columns.name = "legacy_bracket", "rubric_bracket"
    return table.astype("int64")


COMPARISON_ROW_COLUMNS = {"legacy_score": "float", "rubric_score": "float", "legacy_bracket": "str",
                          "rubric_bracket": "str", "difference": "float", "agree": "object"}


def comparison_points(comparison: LegacyComparison) -> pd.DataFrame:
    """Return one row per assessment with both scores: legacy_score, rubric_score, both brackets, difference, agree.

    Sorted by legacy score, rubric score, then assessment, so the same data gives
    the same frame (the input of `bi_workbench.figures.assessments.legacy_vs_rubric`).
    """
    rows = comparison.rows.dropna(subset=["score_new", "score_legacy"])
    rows = rows.sort_values(["score_legacy", "score_new", "assessment_id"], kind="stable")
    return _frame([(float(r.score_legacy), float(r.score_new), r.bracket_legacy, r.bracket_new,
                    round(float(r.difference), 4), bool(r.agree)) for r in rows.itertuples(index=False)],
                  COMPARISON_ROW_COLUMNS)
