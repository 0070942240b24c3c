"""Assessments and scores (report ``02_assessments``): volumes, score distribution, brackets, categories, explanations.

Every function that reads the database takes an SQLAlchemy Connection (it never
opens one), the report's `bi_workbench.metrics.Bounds` (`selection` resolves the
parameters once) and the report's ``bracket`` (None = all); the others take what
those return. Counts and averages are metrics of the catalogue
(``assessments``, ``completed_assessments``, ``scored_assessments``,
``avg_overall_score``, ``avg_confidence``: `report_selection.metric_frame`, by
bracket when one is chosen); lists, statistics and the explained assessment are
SQLAlchemy Core SELECTs on `bi_workbench.metrics.selected_rows("assessment")`.
So the selection follows the metrics layer's rules: an assessment belongs to
its own organization, else to its user's (migrated assessments carry none);
its industry is its user's; "the score" of an assessment is its latest row of
``assessment_scores`` (`bi_workbench.metrics.latest_scores`). "Legacy scores"
are the rows the legacy migration wrote (listed in ``legacy_id_map``); the
rubric's scores are computed here with `bi_workbench.domain.scoring`.
Results are small DataFrames, sorted and rounded the same way every time; no
data gives an empty frame with the same columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from .. import metrics
from ..errors import InvalidParameterError
from ..metrics.catalog import exact_mean
from ..metrics.compile import latest_score_order
from ..schema import tables as t
from ..schema.bookkeeping import legacy_id_map
from . import rubric_scores
from .analytics import _frame, _text
from .report_selection import checked, iso_day, measures_frame, metric_frame, monthly, readable, resolve, run
from .scoring import (
    LegacyComparison, assign_brackets, compare_with_legacy, explain, load_rubric, score_assessments, score_responses,
)
from .users_orgs import in_order, recent_months  # noqa: F401 - recent_months: for the notebook

#: Width of the score histogram's bins, on the 0-5 scale.
BIN_WIDTH = 0.25
#: Label of the statistics over every bracket in `category_scores`.
ALL = "all"
#: Label of a scored assessment without a bracket.
NO_BRACKET = "(none)"
#: The headline numbers of the report (metric names), shown at its top.
HEADLINES = ("assessments", "completed_assessments", "scored_assessments", "avg_overall_score", "avg_confidence")
#: (metric, dimension) of the key findings' breakdown: the brackets' share of scored assessments.
SHARE = ("scored_assessments", "bracket")
#: Row labels of `comparison_summary`, in order, with the key of LegacyComparison.summary each shows.
#: What the legacy comparison says to a role that cannot read the migration's bookkeeping.
BOOKKEEPING_UNREADABLE = ("not shown to an organization's analyst: which scores were migrated is recorded in the "
                          "migration's bookkeeping (legacy_id_map), which only the platform analyst reads")

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


def selection(conn: Connection, params: Mapping) -> metrics.Bounds:
    """Return the report's selection resolved on ``conn`` (`report_selection.resolve`); errors name known values."""
    return resolve(conn, params)


def _bracket(bracket) -> str | None:
    """The bracket filter as the latest score's bracket is stored (trimmed, lower case); None = all."""
    text = _text(bracket, "bracket")
    return None if text is None else text.strip().lower()


def sections(bounds: metrics.Bounds, bracket=None) -> dict[str, Callable[[Connection], object]]:
    """Return the report's sections that read the most, {name: function of a Connection}, in the report's order.

    For `bi_workbench.reports.prefetch`, which computes them while the report shows the
    others: categories (`category_scores`) and comparison (`legacy_comparison`), of
    ``bracket`` when given; neither depends on the other.
    """
    return {"categories": lambda conn: category_scores(conn, bounds, bracket),
            "comparison": lambda conn: legacy_comparison(conn, bounds, bracket)}


def _chosen(bounds: metrics.Bounds, bracket=None):
    """The selection's assessments (with their latest score) as a subquery, of ``bracket`` when given."""
    key = _bracket(bracket)
    where = None if key is None else (lambda rows: rows.c.bracket == key)
    return metrics.selected_rows("assessment", bounds, where=where).subquery("chosen")


def _measured(conn: Connection, bounds: metrics.Bounds, names, bracket=None, grain=None) -> pd.DataFrame:
    """Return assessment metrics for the selection, of one bracket when ``bracket`` is given (the bracket's row)."""
    key = _bracket(bracket)
    if key is None:
        return metric_frame(conn, bounds, names, grain=grain)
    frame = metric_frame(conn, bounds, names, by="bracket", grain=grain)
    return frame[frame["bracket"] == key].drop(columns="bracket").reset_index(drop=True)


def _round(value, digits: int):
    """Return ``value`` rounded to ``digits`` as a float, or None for None/NaN."""
    return None if value is None or pd.isna(value) else round(float(value), digits)


# --- overview and volumes -----------------------------------------------------------------------

OVERVIEW_MEASURES = ("assessments", "completed", "scored", "mean score", "median score", "mean confidence",
                     "first assessment", "latest assessment")
_OVERVIEW_METRICS = ("assessments", "completed_assessments", "scored_assessments", "avg_overall_score",
                     "avg_confidence")


def overview(conn: Connection, bounds: metrics.Bounds, bracket=None) -> pd.DataFrame:
    """Return the figures of the selection: columns measure, value (one row per OVERVIEW_MEASURES).

    Counts, the mean score and the mean confidence are the metrics of the
    catalogue (integers; means rounded to 2 and 4 decimals, None without scores);
    the median score, first and latest assessment (ISO dates, '' without
    assessments) come from the same rows.
    Example: two assessments scored 2.0 and 3.0 -> ("scored", 2), ("mean score", 2.5), ...
    """
    measured = _measured(conn, bounds, _OVERVIEW_METRICS, bracket)
    values = [measured[name].iloc[0] if len(measured) else None for name in _OVERVIEW_METRICS]
    chosen = _chosen(bounds, bracket)
    median, first, latest = run(conn, sa.select(
        sa.func.percentile_cont(0.5).within_group(chosen.c.overall_score),
        sa.func.min(chosen.c.created_at), sa.func.max(chosen.c.created_at)), ["m", "f", "l"]).iloc[0]
    counts = [0 if v is None or pd.isna(v) else int(v) for v in values[:3]]
    return measures_frame(OVERVIEW_MEASURES, [*counts, _round(values[3], 2), _round(median, 2), _round(values[4], 4),
                                              iso_day(first), iso_day(latest)])


VOLUME_COLUMNS = ["period", "complete", "assessments", "completed", "scored"]


def volumes_per_month(conn: Connection, bounds: metrics.Bounds, bracket=None) -> pd.DataFrame:
    """Return assessments started per calendar month (UTC): period, complete, assessments, completed, scored.

    The metrics ``assessments``, ``completed_assessments`` and ``scored_assessments``
    by month; months without assessments between the first and the last are
    included with 0; ``complete`` is False for a month not over at the as_of bound.
    Example: 2 assessments in January (one scored) and 1 in March ->
    rows (2025-01-01, True, 2, 2, 1), (2025-02-01, True, 0, 0, 0), (2025-03-01, ..., 1, 1, 0).
    """
    frame = _measured(conn, bounds, ["assessments", "completed_assessments", "scored_assessments"], bracket,
                      grain="month").rename(columns={"completed_assessments": "completed", "scored_assessments": "scored"})
    return monthly(frame, ["assessments", "completed", "scored"])[VOLUME_COLUMNS]


# --- scores ---------------------------------------------------------------------------------------

SUMMARY_COLUMNS = {"scored": "int", "mean": "float", "std": "float", "min": "float", "p10": "float", "p25": "float",
                   "median": "float", "p75": "float", "p90": "float", "max": "float"}
_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def score_summary(conn: Connection, bounds: metrics.Bounds, bracket=None) -> pd.DataFrame:
    """Return one row of statistics of the overall scores: scored, mean, std, min, p10, p25, median, p75, p90, max.

    Rounded to 2 decimals (std to 3); NaN where undefined (no scores, or one for std).
    Example: scores 1.0, 2.0, 3.0 -> (3, 2.0, 1.0, 1.0, 1.2, 1.5, 2.0, 2.5, 2.8, 3.0).
    """
    chosen = _chosen(bounds, bracket)
    score = chosen.c.overall_score
    quantiles = sa.literal(list(_QUANTILES), postgresql.ARRAY(sa.Float))
    n, mean, std, low, values, high = run(conn, sa.select(
        sa.func.count(score), sa.func.avg(score), sa.func.stddev_samp(score), sa.func.min(score),
        sa.func.percentile_cont(quantiles).within_group(score), sa.func.max(score)), list("abcdef")).iloc[0]
    values = values if isinstance(values, list) else [None] * len(_QUANTILES)
    row = [int(n), _round(mean, 2), _round(std, 3), _round(low, 2), *(_round(q, 2) for q in values), _round(high, 2)]
    return _frame([tuple(np.nan if v is None else v for v in row)], SUMMARY_COLUMNS)


DISTRIBUTION_COLUMNS = {"bin_start": "float", "bin_end": "float", "bracket": "str", "assessments": "int"}


def score_distribution(conn: Connection, bounds: metrics.Bounds, bracket=None, *,
                       bin_width: float = BIN_WIDTH) -> pd.DataFrame:
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
    chosen = _chosen(bounds, bracket)
    scores = run(conn, sa.select(chosen.c.overall_score).where(chosen.c.overall_score.is_not(None)),
                 ["score"])["score"].to_numpy(dtype=float)
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


def brackets(conn: Connection, bounds: metrics.Bounds, bracket=None) -> pd.DataFrame:
    """Return the scored assessments per bracket, in the rubric's order (emerging to leading, then others).

    Columns: bracket, assessments (``scored_assessments``), share (of the scored, 4
    decimals), mean_score (``avg_overall_score``), min/max_score (2 decimals),
    mean_confidence (``avg_confidence``, 4 decimals). Example: scores 1.5 (emerging),
    2.5 and 2.7 (developing) -> ("emerging", 1, 0.3333, 1.5, ...), ("developing", 2, 0.6667, 2.6, ...).
    """
    measured = metric_frame(conn, bounds, ["scored_assessments", "avg_overall_score", "avg_confidence"], by="bracket")
    chosen = _chosen(bounds)
    ranges = run(conn, sa.select(chosen.c.bracket, sa.func.min(chosen.c.overall_score),
                                 sa.func.max(chosen.c.overall_score))
                 .where(chosen.c.score_id.is_not(None)).group_by(chosen.c.bracket), ["bracket", "low", "high"])
    table = measured[measured["scored_assessments"] > 0].merge(
        ranges.astype({"bracket": "string"}), on="bracket", how="left")
    table["bracket"] = table["bracket"].fillna(NO_BRACKET)
    key = _bracket(bracket)
    if key is not None:
        table = table[table["bracket"] == key]
    total = table["scored_assessments"].sum()
    order = in_order(table["bracket"], load_rubric().bracket_names)
    rows = sorted(((r.bracket, int(r.scored_assessments), round(r.scored_assessments / total, 4),
                    _round(r.avg_overall_score, 2), _round(r.low, 2), _round(r.high, 2), _round(r.avg_confidence, 4))
                   for r in table.itertuples(index=False)), key=lambda r: order.index(r[0]))
    return _frame(rows, BRACKET_COLUMNS)


# --- category scores ---------------------------------------------------------------------------------

CATEGORY_COLUMNS = {"bracket": "str", "category": "str", "scores": "int", "mean": "float", "median": "float",
                    "min": "float", "max": "float"}


def category_scores(conn: Connection, bounds: metrics.Bounds, bracket=None) -> pd.DataFrame:
    """Return statistics of the stored category scores per category, over all brackets and per bracket (long).

    Columns: bracket ('all' for every bracket together, then each bracket in the
    rubric's order), category (the rubric's categories first, then others
    alphabetically), scores (how many numeric values), mean, median, min, max (2 decimals).
    Non-numeric values are left out. Example: team scored 2.0 (developing) and 4.0
    (leading) -> ("all", "team", 2, 3.0, ...), ("developing", "team", 1, 2.0, ...), ("leading", "team", 1, 4.0, ...).
    """
    values = _category_values(bounds, bracket)
    score = values.c.score
    statistics = [sa.func.count(score), exact_mean(score), sa.func.percentile_cont(0.5).within_group(score),
                  sa.func.min(score), sa.func.max(score)]
    # One pass for both groupings (all brackets, each bracket): the values are read once.
    overall = sa.func.grouping(values.c.bracket) == 1
    bracket_or_all = sa.case((overall, sa.literal(ALL)), else_=values.c.bracket)
    query = sa.select(bracket_or_all, values.c.category, *statistics).group_by(
        sa.func.grouping_sets(sa.tuple_(values.c.category), sa.tuple_(values.c.bracket, values.c.category)))
    frame = _frame(list(run(conn, query, list(CATEGORY_COLUMNS)).itertuples(index=False, name=None)),
                   CATEGORY_COLUMNS)
    for column in ("mean", "median", "min", "max"):
        frame[column] = frame[column].round(2)
    rubric = load_rubric()
    bracket_order = [ALL, *in_order(frame["bracket"][frame["bracket"] != ALL], rubric.bracket_names)]
    category_order = in_order(frame["category"], rubric.categories)
    keys = {"_b": frame["bracket"].map(bracket_order.index), "_c": frame["category"].map(category_order.index)}
    return frame.assign(**keys).sort_values(["_b", "_c"], kind="stable").drop(columns=list(keys)).reset_index(drop=True)


def _category_values(bounds: metrics.Bounds, bracket=None):
    """One row per (scored assessment, category): bracket, category, score (a number, else NULL)."""
    chosen = _chosen(bounds, bracket)
    document = sa.case((sa.func.jsonb_typeof(chosen.c.category_scores) == "object", chosen.c.category_scores),
                       else_=sa.cast(sa.literal("{}"), postgresql.JSONB))
    entries = sa.func.jsonb_each(document).table_valued("key", "value").lateral("entry")
    number = sa.func.jsonb_path_query_first(entries.c.value, sa.literal_column("'strict $.double()'::jsonpath"),
                                            sa.cast(sa.literal("{}"), postgresql.JSONB), sa.true())
    return (sa.select(sa.func.coalesce(chosen.c.bracket, NO_BRACKET).label("bracket"),
                      entries.c.key.label("category"), sa.cast(number, sa.Float).label("score"))
            .select_from(chosen.join(entries, sa.true())).where(chosen.c.score_id.is_not(None))
            .subquery("category_values"))


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


def latest_completed(conn: Connection, bounds: metrics.Bounds, bracket=None) -> dict | None:
    """Return the selection's latest completed assessment, or None if it has none.

    A dict: assessment_id, completed_at (Timestamp, UTC), overall_score, bracket and
    confidence_score (its latest score; None if unscored) and responses (the JSON object).
    Latest means the latest ``completed_at``, then ``created_at``, then the largest id.
    """
    chosen = _chosen(bounds, bracket)
    statement = (sa.select(chosen.c.id, chosen.c.completed_at, chosen.c.overall_score, chosen.c.bracket,
                           chosen.c.confidence_score, chosen.c.responses)
                 .where(sa.func.lower(chosen.c.status) == "completed")
                 .order_by(chosen.c.completed_at.desc().nulls_last(), chosen.c.created_at.desc(), chosen.c.id.desc())
                 .limit(1))
    row = checked(conn).execute(statement).first()
    if row is None:
        return None
    assessment_id, completed_at, score, bracket_name, confidence, responses = row
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


def legacy_comparison(conn: Connection, bounds: metrics.Bounds, bracket=None) -> LegacyComparison:
    """Return the selection's legacy (migrated) scores compared with the scores the rubric gives the same responses.

    The rubric's score of every selected assessment comes from `rubric_scores.scores`
    (kept where current, else scored here; responses that are not a JSON object are
    left out) and is matched with the legacy score rows (``assessment_scores`` rows
    that ``legacy_id_map`` lists as migrated) on the assessment with `compare_with_legacy`;
    of an assessment's legacy rows the latest counts (`metrics.compile.latest_score_order`,
    the rule of an assessment's score), chosen by the server.
    """
    chosen = _chosen(bounds, bracket)
    s = t.assessment_scores
    if not readable(conn, legacy_id_map):
        nothing = pd.DataFrame({name: [] for name in ("assessment_id", "overall_score", "bracket", "created_at")})
        comparison = compare_with_legacy(nothing, nothing)
        return dataclasses.replace(comparison, unavailable=BOOKKEEPING_UNREADABLE)
    migrated = sa.exists().where(legacy_id_map.c.new_table == "assessment_scores", legacy_id_map.c.new_id == s.c.id,
                                 legacy_id_map.c.outcome == "migrated")
    latest = (sa.select(sa.cast(s.c.assessment_id, sa.Text), sa.cast(s.c.overall_score, sa.Float), s.c.bracket)
              .where(migrated, s.c.assessment_id.in_(sa.select(chosen.c.id)))
              .ext(postgresql.distinct_on(s.c.assessment_id)).order_by(s.c.assessment_id, *latest_score_order(s)))
    rows = conn.execute(latest).all()
    ids, scores, brackets = (list(c) for c in zip(*rows)) if rows else ([], [], [])
    legacy = pd.DataFrame({"assessment_id": pd.Series(ids, dtype=object),
                           "overall_score": pd.Series(scores, dtype="float64"),
                           "bracket": pd.Series(brackets, dtype=object)})
    return compare_with_legacy(rubric_scores.scores(conn, chosen), legacy)


def comparison_summary(comparison: LegacyComparison) -> pd.DataFrame:
    """Return the headline figures of a comparison as a table: columns measure, value (COMPARISON_MEASURES order).

    Counts are integers; differences, shares and the correlation are rounded to 4
    decimals; None where undefined (nothing matched).
    """
    if comparison.unavailable:
        return measures_frame(["legacy comparison"], [comparison.unavailable])
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
