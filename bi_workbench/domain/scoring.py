"""Assessment scoring: a versioned rubric (JSON data) applied to responses, vectorised.

The rubric (``rubrics/onboarding_v1.json``) is data, not code branches: answer
values to points, questions to categories with weights, category weights,
bracket thresholds and recommendation/SWOT rules ("if category X < 2.5 then ...").

How a score is made, for each assessment:

1. Every answer is normalised: strip, lower case, runs of spaces or hyphens
   become ``_`` (``" Highly Aligned "`` -> ``highly_aligned``). Each question
   then has a status: ``answered``, ``missing`` (absent or NULL), ``blank``
   (only whitespace, or an empty list) or ``unknown`` (not one of the choices,
   or the wrong JSON type). Only answered choice questions earn points.
2. A category score is the weighted mean of the points of its answered
   questions; a category with no answered question is missing (``None``).
3. ``overall_score`` is the weighted mean of the present category scores
   (weights renormalised over them), rounded to 2 decimals, on 0-5; with no
   scorable answer at all it is NaN and ``bracket`` is None.
4. ``confidence_score`` (0-1) is the weighted share of answered questions
   (choice 1, free text 0.25, list 0.25 by default) times a factor from the
   final confirmation (yes 1.0, no 0.85, missing 0.9).
5. ``bracket`` comes from the rounded overall score and the rubric thresholds
   (emerging < 2.0 <= developing < 3.0 <= scaling < 4.0 <= leading: the seed's
   high performers are >= 4.0, its low performers < 2.0).
6. Rules whose conditions all hold add their texts to ``recommendations``,
   ``next_steps`` and the four SWOT lists, in rule order, without duplicates.

``explain`` shows, per question, how much it moved its category and the
overall score; its contributions sum to the scores.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InvalidParameterError, InvalidResponsesError, InvalidRubricError
from ..loaders.dtypes import paused_gc
from ..schema.tables import assessment_scores

DEFAULT_RUBRIC = "onboarding_v1"
#: The scoring code's own version, part of every `Rubric.digest`: raise it with any change of this module
#: that changes a score it gives, so that scores kept under the old code (`domain.rubric_scores`) are out of date.
SCORING_VERSION = 1
KINDS = ("choice", "text", "list")
SWOT_FIELDS = ("strengths", "weaknesses", "opportunities", "threats")
RULE_FIELDS = ("recommendations", "next_steps", *SWOT_FIELDS)
OPERATORS = ("below", "at_least", "in")
ANSWERED, MISSING, BLANK, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = np.array(["answered", "missing", "blank", "unknown"], dtype=object)
SCORE_COLUMNS = ("assessment_id", "overall_score", "bracket", "category_scores", "recommendations",
                 "next_steps", "confidence_score", "swot_analysis", "answered", "rubric_version")


# --- the rubric ------------------------------------------------------------------


class Rubric:
    """A validated scoring rubric with its lookup arrays precomputed.

    Build one with :func:`load_rubric`; ``rubric.data`` is the JSON document.
    """

    def __init__(self, data: Mapping):
        data = copy.deepcopy(dict(data))  # the caller's later edits change neither the arrays nor the digest
        _validate_rubric(data)
        self.data = data
        #: SHA-256 (hex) of `SCORING_VERSION` and the document in its own order (the order of categories
        #: and questions is the order of the sums, so it can move a score by 0.01): equal rubrics only.
        self.digest = hashlib.sha256(json.dumps([SCORING_VERSION, data], default=str).encode()).hexdigest()
        self.name, self.version = str(data.get("name", "rubric")), str(data["version"])
        self.questions = tuple(data["questions"])
        self.categories = tuple(data["categories"])
        self.category_weights = np.array([float(c["weight"]) for c in data["categories"].values()])
        self.scored = tuple(q for q, spec in data["questions"].items() if "points" in spec)
        self.membership = np.zeros((len(self.scored), len(self.categories)))
        for i, q in enumerate(self.scored):
            spec = data["questions"][q]
            self.membership[i, self.categories.index(spec["category"])] = float(spec.get("weight", 1.0))
        self.bracket_names = tuple(b["name"] for b in data["brackets"])
        self.bracket_mins = np.array([float(b["min"]) for b in data["brackets"]])
        self.scale = (float(data["scale"]["min"]), float(data["scale"]["max"]))

    def kind(self, question: str) -> str:
        """Return the kind of ``question``: 'choice', 'text' or 'list'."""
        return self.data["questions"][question]["kind"]

    def allowed(self, question: str) -> tuple[str, ...]:
        """Return the allowed (normalised) answers of a choice question."""
        spec = self.data["questions"][question]
        return tuple(spec["points"]) if "points" in spec else tuple(spec.get("answers", ()))

    def confidence_weights(self) -> np.ndarray:
        """Return each question's weight in the confidence score, in ``questions`` order."""
        kinds = self.data.get("confidence", {}).get("kind_weights", {"choice": 1.0, "text": 0.25, "list": 0.25})
        return np.array([float(self.data["questions"][q].get("confidence_weight", kinds.get(self.kind(q), 0.0)))
                         for q in self.questions])

    def __repr__(self) -> str:
        return f"Rubric({self.name!r}, version={self.version!r})"


def load_rubric(source: Rubric | Mapping | str | Path | None = None) -> Rubric:
    """Return a validated Rubric from a packaged name, a JSON file path, a dict, or None (the default).

    Example: ``load_rubric().version`` -> ``'1.0.0'``;
    ``load_rubric("onboarding_v1").categories`` -> ``('growth', 'technology', ...)``.
    """
    if source is None:
        return _packaged_rubric(DEFAULT_RUBRIC)
    if isinstance(source, Rubric):
        return source
    if isinstance(source, Mapping):
        return Rubric(source)
    path = Path(source)
    if path.suffix == ".json" or path.exists():
        try:
            return Rubric(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError) as error:
            raise InvalidRubricError(f"cannot read rubric {path}: {error}") from error
    return _packaged_rubric(str(source))


@lru_cache(maxsize=8)
def _packaged_rubric(name: str) -> Rubric:
    """Return the rubric shipped as ``domain/rubrics/<name>.json``."""
    folder = resources.files(__package__) / "rubrics"
    known = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
    if name not in known:
        raise InvalidRubricError(f"no packaged rubric named {name!r}; known: {', '.join(known)} (or pass a .json path)")
    return Rubric(json.loads((folder / f"{name}.json").read_text()))


def _validate_rubric(data: Mapping) -> None:
    """Raise InvalidRubricError naming the first malformed entry of ``data``."""
    for key in ("version", "scale", "categories", "questions", "brackets"):
        if key not in data:
            raise InvalidRubricError(f"rubric has no {key!r} entry")
    low, high = float(data["scale"]["min"]), float(data["scale"]["max"])
    for name, spec in data["categories"].items():
        if not _positive(spec.get("weight")):
            raise InvalidRubricError(f"rubric category {name!r}: weight must be a positive number")
    for name, spec in data["questions"].items():
        _validate_question(name, spec, data["categories"], low, high)
    _validate_brackets(data["brackets"], low)
    _validate_confidence(data)
    for rule in data.get("rules", []):
        _validate_rule(rule, data)


def _positive(value) -> bool:
    """Return True if ``value`` is a finite number above zero."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _validate_question(name: str, spec: Mapping, categories: Mapping, low: float, high: float) -> None:
    """Raise InvalidRubricError if one question's entry is malformed."""
    if spec.get("kind") not in KINDS:
        raise InvalidRubricError(f"rubric question {name!r}: kind must be one of {', '.join(KINDS)}")
    if "points" in spec or "category" in spec:
        if spec.get("kind") != "choice" or spec.get("category") not in categories or not spec.get("points"):
            raise InvalidRubricError(f"rubric question {name!r}: a scored question is a choice with points and "
                                     f"a category among {', '.join(categories)}")
        if not _positive(spec.get("weight", 1.0)):
            raise InvalidRubricError(f"rubric question {name!r}: weight must be a positive number")
        for answer, points in spec["points"].items():
            if _normalise_text(answer) != answer or not (isinstance(points, (int, float)) and low <= points <= high):
                raise InvalidRubricError(f"rubric question {name!r}: answer {answer!r} must be normalised "
                                         f"(lower case, underscores) with points in {low}..{high}")


def _validate_brackets(brackets: list, low: float) -> None:
    """Raise InvalidRubricError unless bracket minimums ascend strictly from the scale minimum."""
    mins = [float(b.get("min", "nan")) for b in brackets]
    if not brackets or mins[0] != low or any(b <= a for a, b in zip(mins, mins[1:])):
        raise InvalidRubricError(f"rubric brackets must start at the scale minimum {low} and ascend strictly")


def _validate_confidence(data: Mapping) -> None:
    """Raise InvalidRubricError if the confirmation question of the confidence entry is not a choice."""
    confirmation = data.get("confidence", {}).get("confirmation")
    if confirmation and data["questions"].get(confirmation.get("question"), {}).get("kind") != "choice":
        raise InvalidRubricError("rubric confidence.confirmation.question must name a choice question")


def _validate_rule(rule: Mapping, data: Mapping) -> None:
    """Raise InvalidRubricError if a rule's fields or conditions are malformed."""
    rule_id = rule.get("id", "?")
    unknown = set(rule) - {"id", "when", *RULE_FIELDS}
    if unknown or not isinstance(rule.get("when"), list):
        raise InvalidRubricError(f"rubric rule {rule_id!r}: needs a 'when' list; fields allowed: "
                                 f"{', '.join(RULE_FIELDS)} (got {sorted(unknown)})")
    for condition in rule["when"]:
        ops = [op for op in OPERATORS if op in condition]
        subject_ok = (condition.get("category") in data["categories"]
                      or condition.get("score") in ("overall", "confidence")
                      or data["questions"].get(condition.get("answer"), {}).get("kind") == "choice")
        if len(ops) != 1 or not subject_ok or (ops[0] == "in") != ("answer" in condition):
            raise InvalidRubricError(f"rubric rule {rule_id!r}: condition {condition!r} must name a category, "
                                     "a score (overall, confidence) with below/at_least, or a choice answer with in")


# --- normalising answers ---------------------------------------------------------


def _normalise_text(value: str) -> str:
    """Return ``value`` stripped, lower-cased, with runs of spaces or hyphens made one underscore."""
    return "_".join(value.strip().lower().replace("-", " ").split())


def _factorize(raw: list) -> tuple[np.ndarray, list]:
    """Return (code per row, distinct values); code -1 marks NULL (None or NaN).

    Only the distinct values are then inspected, so normalising 100k answers
    costs about as much as normalising the few dozen values they take.
    """
    series = pd.Series(raw, dtype=object)
    try:
        codes, uniques = pd.factorize(series)
    except TypeError:  # unhashable answers (lists, objects): all the same to a scalar question
        marker = _Unhashable()
        codes, uniques = pd.factorize(series.map(lambda v: v if _hashable(v) else marker))
    return codes, list(uniques)


class _Unhashable:
    """Stands in for every unhashable answer (a list or an object where a scalar was asked)."""


def _hashable(value) -> bool:
    """Return True if ``value`` can be hashed."""
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _status_of(codes: np.ndarray, unique_status: list[int]) -> np.ndarray:
    """Return per-row status codes from the status of each distinct value (code -1 is MISSING)."""
    return np.array(unique_status + [MISSING], dtype=np.int8)[codes]


def _choice_column(raw: list, allowed: tuple[str, ...], points: Mapping | None = None):
    """Return (normalised answer or None, status code, points or NaN) per row of one choice question."""
    codes, uniques = _factorize(raw)
    normalised = [_normalise_text(u) if isinstance(u, str) else None for u in uniques]
    valid = [n in allowed for n in normalised]
    status = [ANSWERED if ok else BLANK if n == "" else UNKNOWN for n, ok in zip(normalised, valid)]
    answer = np.array([n if ok else None for n, ok in zip(normalised, valid)] + [None], dtype=object)
    earned = np.array([float((points or {}).get(n, np.nan)) if ok else np.nan for n, ok in zip(normalised, valid)]
                      + [np.nan])
    return answer[codes], _status_of(codes, status), earned[codes]


def _text_status(raw: list) -> np.ndarray:
    """Return the status code per row of one free-text question (answered = a non-blank string)."""
    codes, uniques = _factorize(raw)
    return _status_of(codes, [(ANSWERED if u.strip() else BLANK) if isinstance(u, str) else UNKNOWN
                              for u in uniques])


def _list_status(raw: list) -> np.ndarray:
    """Return the status code per row of one list question (answered = a non-empty JSON array)."""
    status = np.array([MISSING if v is None else (UNKNOWN if not isinstance(v, list) else BLANK if not v else ANSWERED)
                       for v in raw], dtype=np.int8)
    status[(status == UNKNOWN) & pd.isna(pd.Series(raw, dtype=object)).to_numpy()] = MISSING
    return status


@dataclass(frozen=True)
class _Answers:
    """Per-row answer data: points of scored questions, status of every question, normalised choices."""

    points: np.ndarray        # (n, len(rubric.scored)) float, NaN unless answered
    status: np.ndarray        # (n, len(rubric.questions)) int8 status codes
    choices: dict             # choice question -> normalised answer or None, per row


def _answer_matrix(responses: list, rubric: Rubric) -> _Answers:
    """Return the _Answers of ``responses`` (a list of dicts) under ``rubric``."""
    n = len(responses)
    status = np.empty((n, len(rubric.questions)), dtype=np.int8)
    points = np.empty((n, len(rubric.scored)))
    choices = {}
    for j, question in enumerate(rubric.questions):
        raw = [r.get(question) for r in responses]
        kind = rubric.kind(question)
        if kind == "choice":
            spec = rubric.data["questions"][question]
            choices[question], status[:, j], earned = _choice_column(raw, rubric.allowed(question), spec.get("points"))
            if question in rubric.scored:
                points[:, rubric.scored.index(question)] = earned
        else:
            status[:, j] = _text_status(raw) if kind == "text" else _list_status(raw)
    return _Answers(points=points, status=status, choices=choices)


# --- the numeric part ------------------------------------------------------------


@dataclass(frozen=True)
class _Scores:
    """Unrounded category scores (n, k), overall (n,) and confidence (n,)."""

    categories: np.ndarray
    overall: np.ndarray
    confidence: np.ndarray


def _scores(answers: _Answers, rubric: Rubric) -> _Scores:
    """Return category, overall and confidence scores of every row (NaN where nothing is scorable)."""
    answered = ~np.isnan(answers.points)
    numerator = _weighted_sum(np.where(answered, answers.points, 0.0), rubric.membership)
    denominator = _weighted_sum(answered.astype(float), rubric.membership)
    categories = _safe_divide(numerator, denominator)
    present = ~np.isnan(categories)
    weights = rubric.category_weights[:, None]
    overall = _safe_divide(_weighted_sum(np.where(present, categories, 0.0), weights)[:, 0],
                           _weighted_sum(present.astype(float), weights)[:, 0])
    return _Scores(categories=categories, overall=overall, confidence=_confidence(answers, rubric))


def _weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return values @ weights, adding one column at a time in a fixed order.

    A BLAS matrix product may sum in an order that depends on the number of
    rows, so one assessment scored alone could round differently from the same
    assessment scored among 100k; this is exact to the last bit either way.
    """
    out = np.zeros((values.shape[0], weights.shape[1]))
    for i in range(values.shape[1]):
        out += values[:, i:i + 1] * weights[i]
    return out


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Return numerator / denominator, NaN where the denominator is 0."""
    out = np.full(np.shape(numerator), np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def _confidence(answers: _Answers, rubric: Rubric) -> np.ndarray:
    """Return the weighted share of answered questions times the confirmation factor."""
    weights = rubric.confidence_weights()
    answered = (answers.status == ANSWERED).astype(float)
    share = _weighted_sum(answered, weights[:, None])[:, 0] / weights.sum() if weights.sum() > 0 \
        else np.ones(len(answers.status))
    return share * _confirmation_factor(answers, rubric)


def _confirmation_factor(answers: _Answers, rubric: Rubric) -> np.ndarray:
    """Return the confidence factor of the final confirmation answer per row (1 if the rubric has none)."""
    spec = rubric.data.get("confidence", {}).get("confirmation")
    n = len(answers.status)
    if not spec:
        return np.ones(n)
    factor = pd.Series(answers.choices[spec["question"]], dtype=object).map(spec["factors"]).to_numpy(dtype=float)
    return np.where(np.isnan(factor), float(spec.get("missing_factor", 1.0)), factor)


def assign_brackets(scores, rubric: Rubric | Mapping | str | None = None) -> np.ndarray:
    """Return the bracket name of each 0-5 score (None where the score is NaN).

    Example: ``assign_brackets([1.99, 2.0, 4.0, float("nan")])`` ->
    ``array(['emerging', 'developing', 'leading', None], dtype=object)``.
    """
    rubric = load_rubric(rubric)
    scores = np.asarray(scores, dtype=float)
    index = np.searchsorted(rubric.bracket_mins, np.nan_to_num(scores, nan=rubric.scale[0]), side="right") - 1
    names = np.array(rubric.bracket_names, dtype=object)[np.maximum(index, 0)]
    return np.where(np.isnan(scores) | (index < 0), None, names)


# --- rules -----------------------------------------------------------------------


def _rule_masks(rounded: _Scores, answers: _Answers, rubric: Rubric) -> np.ndarray:
    """Return an (n, rules) boolean matrix: which rule fires for which row."""
    rules = rubric.data.get("rules", [])
    n = len(rounded.overall)
    masks = np.ones((n, len(rules)), dtype=bool)
    for r, rule in enumerate(rules):
        for condition in rule["when"]:
            masks[:, r] &= _condition(condition, rounded, answers, rubric)
    return masks


def _condition(condition: Mapping, rounded: _Scores, answers: _Answers, rubric: Rubric) -> np.ndarray:
    """Return where one rule condition holds (comparisons with a missing score are False)."""
    if "answer" in condition:
        return pd.Series(answers.choices[condition["answer"]], dtype=object).isin(condition["in"]).to_numpy()
    if "category" in condition:
        values = rounded.categories[:, rubric.categories.index(condition["category"])]
    else:
        values = rounded.overall if condition["score"] == "overall" else rounded.confidence
    with np.errstate(invalid="ignore"):
        return values < condition["below"] if "below" in condition else values >= condition["at_least"]


def _rule_outputs(masks: np.ndarray, rubric: Rubric) -> dict[str, list]:
    """Return, per rule field, one fresh list per row of the texts the fired rules add."""
    rules = rubric.data.get("rules", [])
    n = len(masks)
    if not rules or not n:
        return {field: [[] for _ in range(n)] for field in RULE_FIELDS}
    inverse, patterns = _row_patterns(masks)
    out = {}
    for field in RULE_FIELDS:
        per_pattern = np.empty(len(patterns), dtype=object)
        per_pattern[:] = [list(dict.fromkeys(t for r in np.flatnonzero(p) for t in rules[r].get(field, [])))
                          for p in patterns]
        out[field] = list(map(list, per_pattern[inverse]))  # a fresh list per row
    return out


def _row_patterns(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (pattern number per row, the distinct rows) of a boolean matrix, by hashing 63 columns at a time."""
    codes = np.zeros(len(masks), dtype=np.int64)
    for start in range(0, masks.shape[1], 63):
        bits = masks[:, start:start + 63].astype(np.int64)
        block = bits @ (np.int64(1) << np.arange(bits.shape[1], dtype=np.int64))
        block_codes, block_uniques = pd.factorize(block)
        codes, _ = pd.factorize(codes * len(block_uniques) + block_codes)
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    return codes, masks[first]


# --- public scoring API ----------------------------------------------------------


def _describe(value) -> str:
    """Return what kind of JSON value ``value`` is, for error messages."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string (parse JSON text with json.loads first)" if value.lstrip().startswith("{") else "a string"
    if isinstance(value, (int, float, np.number)):
        return "a number"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "a list (JSON array)"
    return f"a {type(value).__name__}"


def _check_objects(ids: np.ndarray, responses: list, errors: str) -> tuple[np.ndarray, list[dict]]:
    """Return (rows to keep, skipped rows with reasons); raise on the first non-object if errors='raise'."""
    if errors not in ("raise", "skip"):
        raise InvalidParameterError(f"errors must be 'raise' or 'skip', got {errors!r}")
    keep = np.fromiter((isinstance(r, Mapping) for r in responses), dtype=bool, count=len(responses))
    skipped = []
    for i in np.flatnonzero(~keep).tolist():
        reason = (f"assessment {ids[i]}: responses must be a JSON object mapping question to answer, "
                  f"got {_describe(responses[i])}")
        if errors == "raise":
            others = int((~keep).sum()) - 1
            more = f" ({others} more such rows; pass errors='skip' to leave them out)" if others else ""
            raise InvalidResponsesError(reason + more, assessment_id=ids[i])
        skipped.append({"assessment_id": ids[i], "reason": reason})
    return keep, skipped


def _ids_and_responses(frame: pd.DataFrame) -> tuple[np.ndarray, list]:
    """Return the assessment ids and responses of ``frame`` (id column 'assessment_id' or 'id')."""
    id_column = next((c for c in ("assessment_id", "id") if c in frame.columns), None)
    if id_column is None or "responses" not in frame.columns:
        raise InvalidParameterError("score_assessments needs a DataFrame with an 'assessment_id' (or 'id') column "
                                    f"and a 'responses' column; got columns {list(frame.columns)}")
    return frame[id_column].to_numpy(dtype=object), frame["responses"].tolist()


def _score(ids: np.ndarray, responses: list, rubric: Rubric, errors: str) -> pd.DataFrame:
    """Return the scores DataFrame of ``responses`` (see score_assessments)."""
    with paused_gc():  # a few hundred thousand small containers: 3x slower with the collector on
        return _score_objects(ids, responses, rubric, errors)


def _score_objects(ids: np.ndarray, responses: list, rubric: Rubric, errors: str) -> pd.DataFrame:
    """Return the scores DataFrame of ``responses`` (the body of _score)."""
    keep, skipped = _check_objects(ids, responses, errors)
    ids = ids[keep]
    responses = [r for r, k in zip(responses, keep.tolist()) if k]
    answers = _answer_matrix(responses, rubric)
    raw = _scores(answers, rubric)
    low, high = rubric.scale
    rounded = _Scores(categories=np.round(raw.categories, 2), overall=np.clip(np.round(raw.overall, 2), low, high),
                      confidence=np.clip(np.round(raw.confidence, 2), 0.0, 1.0))
    texts = _rule_outputs(_rule_masks(rounded, answers, rubric), rubric)
    result = pd.DataFrame({
        "assessment_id": pd.Series(ids, dtype=object),
        "overall_score": rounded.overall,
        "bracket": pd.Series(assign_brackets(rounded.overall, rubric), dtype=object),
        "category_scores": _category_dicts(rounded.categories, rubric.categories),
        "recommendations": texts["recommendations"],
        "next_steps": texts["next_steps"],
        "confidence_score": rounded.confidence,
        "swot_analysis": [dict(zip(SWOT_FIELDS, parts)) for parts in zip(*(texts[f] for f in SWOT_FIELDS))],
        "answered": (answers.status == ANSWERED).sum(axis=1),
        "rubric_version": f"{rubric.name}/{rubric.version}",
    }, columns=list(SCORE_COLUMNS))
    result.attrs["skipped"] = skipped
    return result


def _category_dicts(categories: np.ndarray, names: tuple[str, ...]) -> list[dict]:
    """Return one {category: score or None} dict per row."""
    values = categories.astype(object)
    values[np.isnan(categories)] = None
    return [dict(zip(names, row)) for row in values.tolist()]


def score_assessments(frame: pd.DataFrame, rubric: Rubric | Mapping | str | None = None, *,
                      errors: str = "raise") -> pd.DataFrame:
    """Return one row of scores per assessment of ``frame`` (columns 'assessment_id' or 'id', and 'responses').

    Columns: assessment_id, overall_score (0-5, NaN if nothing scorable), bracket,
    category_scores (dict), recommendations (list), next_steps (list),
    confidence_score (0-1), swot_analysis (dict), answered (count), rubric_version.
    A ``responses`` that is not a JSON object raises InvalidResponsesError
    naming the assessment (``errors="raise"``) or is left out and listed in
    ``result.attrs["skipped"]`` (``errors="skip"``).

    Example::

        >>> df = pd.DataFrame({"id": [1], "responses": [{"growth_pace": " FAST", "tech_maturity": "basic"}]})
        >>> score_assessments(df).loc[0, ["overall_score", "bracket"]].tolist()
        [3.11, 'scaling']
    """
    return _score(*_ids_and_responses(frame), load_rubric(rubric), errors)


def score_responses(responses, rubric: Rubric | Mapping | str | None = None, *, assessment_id=None) -> dict:
    """Return the scores of one assessment's responses as a dict (the keys of score_assessments' columns).

    Example: ``score_responses({"growth_pace": "steady"})["category_scores"]["growth"]`` -> ``3.0``;
    ``score_responses(["a"], assessment_id=7)`` raises InvalidResponsesError naming assessment 7.
    """
    row = _score(np.array([assessment_id], dtype=object), [responses], load_rubric(rubric), "raise").iloc[0].to_dict()
    row["overall_score"] = None if math.isnan(row["overall_score"]) else row["overall_score"]
    return row


def explain(responses, rubric: Rubric | Mapping | str | None = None, *, assessment_id=None) -> pd.DataFrame:
    """Return one row per rubric question: its answer, status, points and how much it moved the scores.

    ``category_contribution`` summed over a category gives that category's score;
    ``overall_contribution`` summed gives the overall score; ``confidence_contribution``
    summed gives the confidence (all unrounded).

    Example::

        >>> e = explain({"growth_pace": "fast", "funding_status": "seed"})
        >>> e.set_index("question").loc["growth_pace", ["points", "category_contribution"]].tolist()
        [4.0, 2.6666666666666665]
        >>> round(e["overall_contribution"].sum(), 2)
        3.5
    """
    rubric = load_rubric(rubric)
    _check_objects(np.array([assessment_id], dtype=object), [responses], "raise")
    answers = _answer_matrix([responses], rubric)
    raw = _scores(answers, rubric)
    rows = pd.DataFrame({
        "question": rubric.questions,
        "kind": [rubric.kind(q) for q in rubric.questions],
        "category": [rubric.data["questions"][q].get("category") for q in rubric.questions],
        "answer": [responses.get(q) for q in rubric.questions],
        "normalised": [answers.choices[q][0] if q in answers.choices else None for q in rubric.questions],
        "status": STATUS_NAMES[answers.status[0]],
    })
    return pd.concat([rows, _contributions(answers, raw, rubric)], axis=1)


def _contributions(answers: _Answers, raw: _Scores, rubric: Rubric) -> pd.DataFrame:
    """Return the points, weights and contributions of each question of one scored row."""
    n_q = len(rubric.questions)
    points, weight, share, category_share = (np.full(n_q, np.nan) for _ in range(4))
    present = ~np.isnan(raw.categories[0])
    total_category_weight = (rubric.category_weights * present).sum()
    for i, question in enumerate(rubric.scored):
        j, k = rubric.questions.index(question), int(np.argmax(rubric.membership[i]))
        points[j], weight[j] = answers.points[0, i], rubric.membership[i, k]
        answered_weight = (~np.isnan(answers.points[0]) * rubric.membership[:, k]).sum()
        share[j] = weight[j] / answered_weight if answered_weight and not np.isnan(points[j]) else 0.0
        category_share[j] = rubric.category_weights[k] / total_category_weight if present[k] else 0.0
    category_contribution = np.nan_to_num(points) * np.nan_to_num(share)
    conf_weights = rubric.confidence_weights()
    conf_total = conf_weights.sum() or 1.0
    factor = _confirmation_factor(answers, rubric)[0]
    return pd.DataFrame({
        "points": points, "question_weight": weight, "share_of_category": share,
        "category_contribution": category_contribution, "category_share_of_overall": category_share,
        "overall_contribution": category_contribution * np.nan_to_num(category_share),
        "confidence_contribution": (answers.status[0] == ANSWERED) * conf_weights / conf_total * factor,
    })


# --- writing and comparing -------------------------------------------------------


def _json_safe(value):
    """Return ``value`` with NaN replaced by None and numpy scalars by Python ones, recursively."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _score_rows(scores: pd.DataFrame) -> list[dict]:
    """Return the assessment_scores rows of ``scores``, checked against the CHECK scales."""
    rows = []
    for rec in scores.to_dict("records"):
        overall, confidence = _scale_value(rec, "overall_score", 5.0), _scale_value(rec, "confidence_score", 1.0)
        if rec.get("assessment_id") is None:
            raise InvalidParameterError("write_scores: every row needs an assessment_id")
        rows.append({
            "assessment_id": rec["assessment_id"], "overall_score": overall, "bracket": rec.get("bracket"),
            "category_scores": _json_safe(rec.get("category_scores") or {}),
            "recommendations": _text_list(rec.get("recommendations")), "next_steps": _text_list(rec.get("next_steps")),
            "ai_insights": rec.get("ai_insights"), "confidence_score": confidence,
            "swot_analysis": _json_safe(rec.get("swot_analysis") or {}),
        })
    return rows


def _scale_value(rec: Mapping, column: str, high: float) -> float | None:
    """Return rec[column] rounded to 2 decimals, None if missing; raise if outside 0..high."""
    value = rec.get(column)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = round(float(value), 2)
    if not 0.0 <= value <= high:
        raise InvalidParameterError(f"write_scores: assessment {rec.get('assessment_id')}: {column} must be "
                                    f"between 0 and {high:g}, got {value}")
    return value


def _text_list(value) -> list[str] | None:
    """Return ``value`` as a list of strings (None stays None)."""
    return None if value is None else [str(v) for v in value]


def write_scores(connection, scores: pd.DataFrame, *, batch_rows: int = 5_000) -> int:
    """Insert the rows of ``scores`` (as made by score_assessments) into assessment_scores; return the count.

    Runs in the caller's transaction with bound parameters; the caller commits.
    Scores outside the CHECK scales (overall 0-5, confidence 0-1) raise
    InvalidParameterError naming the assessment before anything is sent.

    Example: ``with engine.begin() as conn: write_scores(conn, score_assessments(df))`` -> ``len(df)``.
    """
    rows = _score_rows(scores)
    for start in range(0, len(rows), batch_rows):
        connection.execute(assessment_scores.insert(), rows[start:start + batch_rows])
    return len(rows)


@dataclass(frozen=True)
class LegacyComparison:
    """How far new scores sit from the legacy migrated ones.

    ``summary`` (dict), ``confusion`` (legacy bracket x new bracket counts),
    ``per_bracket`` (per legacy bracket: rows, agreement, mean abs difference) and
    ``rows`` (one row per matched assessment with both scores and the difference).
    """

    summary: dict
    confusion: pd.DataFrame
    per_bracket: pd.DataFrame
    rows: pd.DataFrame
    #: Why there is nothing to compare with (the legacy rows cannot be read here), else None.
    unavailable: str | None = None


def _latest_per_assessment(frame: pd.DataFrame, score_column: str) -> pd.DataFrame:
    """Return assessment_id (as text), score and bracket, one row per assessment (the latest if dated).

    Latest: the greatest created_at, a row without one the oldest (`metrics.compile.latest_score_order`,
    the rule of an assessment's score); among equal times, the last in ``frame``'s order.
    """
    id_column = "assessment_id" if "assessment_id" in frame.columns else "id"
    if "created_at" in frame.columns:
        frame = frame.sort_values("created_at", kind="stable", na_position="first")
    out = pd.DataFrame({"assessment_id": frame[id_column].astype(str).to_numpy(),
                        "score": pd.to_numeric(frame[score_column], errors="coerce").astype(float).to_numpy(),
                        "bracket": frame["bracket"].to_numpy(dtype=object) if "bracket" in frame.columns else None})
    return out.drop_duplicates("assessment_id", keep="last")


def compare_with_legacy(new_scores: pd.DataFrame, legacy_scores: pd.DataFrame,
                        rubric: Rubric | Mapping | str | None = None) -> LegacyComparison:
    """Return a LegacyComparison of new scores against legacy migrated scores, matched on assessment_id.

    Both frames need assessment_id and overall_score (legacy may say ``score``)
    and may carry bracket; a missing legacy bracket is derived from its score.
    Where legacy has several rows per assessment, the latest (by created_at; one without it is the oldest) counts.

    Example: ``compare_with_legacy(new, legacy).summary`` ->
    ``{'matched': 2, 'mean_abs_diff': 0.25, 'bracket_agreement': 0.5, ...}``.
    """
    rubric = load_rubric(rubric)
    new = _latest_per_assessment(new_scores, "overall_score")
    legacy = _latest_per_assessment(legacy_scores, "overall_score" if "overall_score" in legacy_scores else "score")
    rows = new.merge(legacy, on="assessment_id", how="inner", suffixes=("_new", "_legacy"))
    rows["bracket_new"] = _bracket_labels(rows["bracket_new"], rows["score_new"], rubric)
    rows["bracket_legacy"] = _bracket_labels(rows["bracket_legacy"], rows["score_legacy"], rubric)
    rows["difference"] = rows["score_new"] - rows["score_legacy"]
    rows["agree"] = rows["bracket_new"] == rows["bracket_legacy"]
    return LegacyComparison(summary=_comparison_summary(rows, new, legacy), confusion=_confusion(rows, rubric),
                            per_bracket=_per_bracket(rows), rows=rows)


def _bracket_labels(brackets: pd.Series, scores: pd.Series, rubric: Rubric) -> pd.Series:
    """Return normalised bracket names, derived from the score where missing, '(none)' where both are."""
    values = brackets.to_numpy(dtype=object)  # a plain array: iterating an Arrow-backed column is slow
    text = pd.Series([b.strip().lower() if isinstance(b, str) else None for b in values],
                     index=brackets.index, dtype=object)
    derived = pd.Series(assign_brackets(scores.to_numpy(dtype=float), rubric), index=text.index, dtype=object)
    return text.where(text.notna() & (text != ""), derived).fillna("(none)")


def _comparison_summary(rows: pd.DataFrame, new: pd.DataFrame, legacy: pd.DataFrame) -> dict:
    """Return the headline figures of a comparison."""
    both = rows.dropna(subset=["score_new", "score_legacy"])
    absolute = both["difference"].abs()
    figure = (lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 4))
    return {
        "matched": len(rows), "both_scored": len(both),
        # Each side holds an assessment once (`_latest_per_assessment`), so what is not matched is only on one side.
        "new_only": len(new) - len(rows), "legacy_only": len(legacy) - len(rows),
        "mean_abs_diff": figure(absolute.mean()), "median_abs_diff": figure(absolute.median()),
        "p90_abs_diff": figure(absolute.quantile(0.9)) if len(both) else None,
        "max_abs_diff": figure(absolute.max()), "mean_diff": figure(both["difference"].mean()),
        "within_0_5": figure((absolute <= 0.5).mean()) if len(both) else None,
        "correlation": figure(both["score_new"].corr(both["score_legacy"])) if len(both) > 1 else None,
        "bracket_agreement": figure(rows["agree"].mean()) if len(rows) else None,
    }


def _confusion(rows: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Return counts of legacy bracket (rows) x new bracket (columns), rubric brackets first."""
    table = pd.crosstab(rows["bracket_legacy"], rows["bracket_new"])
    order = list(rubric.bracket_names)
    labels = order + sorted((set(table.index) | set(table.columns)) - set(order))
    table = table.reindex(index=labels, columns=labels, fill_value=0)
    table.index.name, table.columns.name = "legacy_bracket", "new_bracket"
    return table


def _per_bracket(rows: pd.DataFrame) -> pd.DataFrame:
    """Return per legacy bracket: rows, bracket agreement, mean abs difference, mean scores."""
    grouped = rows.assign(abs_diff=rows["difference"].abs()).groupby("bracket_legacy", sort=True)
    return grouped.agg(rows=("assessment_id", "size"), agreement=("agree", "mean"),
                       mean_abs_diff=("abs_diff", "mean"), mean_new=("score_new", "mean"),
                       mean_legacy=("score_legacy", "mean"))
