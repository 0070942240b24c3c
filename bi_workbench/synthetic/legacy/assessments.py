"""Legacy ``onboarding_assessments`` and ``assessment_scoring_results``.

Users answer zero to three times; a few % of rows name no user (a random id
or NULL); choice answers come in odd case, blank, NULL or outside the choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...legacy.contract import ANSWER_COLUMNS, CHOICE_ANSWERS
from .. import catalogue as cat
from .. import encode
from ..primitives import (
    DAY, HISTORY_START_TS, REFERENCE_TS, chosen, counts_per, group_cumsum, growth_times,
    later, pick, subsets, uuids, with_blanks,
)
from .users import LegacyUsers


@dataclass(frozen=True)
class LegacyAssessments:
    """Which user (index into the users, -1 for none) answered when, and the batch to COPY."""

    owner: np.ndarray
    created: np.ndarray
    batch: dict


#: How many onboarding assessments a user has, and how often.
ASSESSMENTS_PER_USER = ((0, 1, 2, 3), (0.15, 0.62, 0.17, 0.06))
#: Share of rows whose user id names no user, and of rows whose user id is NULL.
ORPHAN_SHARE = 0.03
NULL_USER_SHARE = 0.005
#: How a choice cell deviates: NULL, blank, unknown value, odd letter case (the rest is valid).
ANSWER_NOISE = (("null", 0.04), ("blank", 0.03), ("unknown", 0.03), ("odd_case", 0.06))


def generate_assessments(rng: np.random.Generator, users: LegacyUsers) -> LegacyAssessments:
    """Return the onboarding assessments of ``users`` plus orphan rows."""
    values, probs = ASSESSMENTS_PER_USER
    counts = counts_per(rng, len(users.u_id), values, probs)
    owner = np.repeat(np.arange(len(counts)), counts)
    gaps = np.where(group_cumsum(np.ones(len(owner)), counts) == 1,
                    rng.exponential(2 * DAY, len(owner)), rng.exponential(75 * DAY, len(owner)))
    created = np.minimum(users.created[owner] + group_cumsum(gaps, counts).astype(np.int64), REFERENCE_TS - 60)
    n_orphan, n_null = _orphan_counts(len(users.u_id))
    u_id = np.concatenate([users.u_id[owner], uuids(rng, n_orphan), np.full(n_null, None, dtype=object)])
    owner = np.concatenate([owner, np.full(n_orphan + n_null, -1)])
    created = np.concatenate([created, growth_times(rng, n_orphan + n_null, HISTORY_START_TS, REFERENCE_TS, 1.0)])
    batch = {"o_id": uuids(rng, len(u_id)), "u_id": u_id, **_answers(rng, len(u_id)),
             "friction_points": _friction_points(rng, len(u_id)),
             "created_at": encode.timestamps(created, tz=False)}
    return LegacyAssessments(owner=owner, created=created, batch=batch)


def _orphan_counts(n_users: int) -> tuple[int, int]:
    """Return how many rows name a missing user and how many have a NULL user id."""
    return max(3, int(round(ORPHAN_SHARE * n_users))), max(2, int(round(NULL_USER_SHARE * n_users)))


def _answers(rng, n: int) -> dict:
    """Return every answer column: choices with noise, free text with NULLs and blanks."""
    columns = {}
    for name in ANSWER_COLUMNS:
        if name in CHOICE_ANSWERS:
            columns[name] = _choice_answers(rng, CHOICE_ANSWERS[name], n)
        else:
            columns[name] = with_blanks(rng, pick(rng, cat.FREE_TEXT_ANSWERS, n), 0.08, 0.03)
    return columns


def _choice_answers(rng, options: tuple[str, ...], n: int) -> np.ndarray:
    """Return mostly valid choices, the rest NULL, blank, unknown or in odd case."""
    out = pick(rng, options, n)
    u = rng.random(n)
    bounds = np.cumsum([share for _, share in ANSWER_NOISE])
    kind = np.searchsorted(bounds, u, side="right")  # 0 null, 1 blank, 2 unknown, 3 odd case, 4 valid
    out[kind == 0] = None
    out[kind == 1] = pick(rng, ("", " ", "   "), int(np.sum(kind == 1)))
    out[kind == 2] = pick(rng, cat.UNKNOWN_ANSWERS, int(np.sum(kind == 2)))
    odd = np.flatnonzero(kind == 3)
    styles = rng.integers(0, 4, len(odd))
    out[odd] = [_odd_case(out[i], s) for i, s in zip(odd, styles)]
    return out


def _odd_case(value: str, style: int) -> str:
    """Return ``value`` in another letter case or padded with spaces (never unchanged)."""
    variant = (value.upper(), value.title(), value.capitalize(), f" {value} ")[style]
    return variant if variant != value else value.upper() + " "


def _friction_points(rng, n: int) -> np.ndarray:
    """Return JSON arrays of 1-4 friction points; some empty arrays, some NULL."""
    k = rng.integers(1, 5, n)
    lists = subsets(rng, cat.FRICTION_POINTS, k)
    empty = rng.random(n) < 0.05
    null = rng.random(n) < 0.15
    return encode.json_values([None if z else ([] if e else v) for v, e, z in zip(lists, empty, null)])


# --- scoring results -------------------------------------------------------------


#: Share of assessments scored, and of scoring results followed by a re-scoring.
SCORED_SHARE = 0.85
RESCORED_SHARE = 0.12


def generate_scoring_results(rng: np.random.Generator, users: LegacyUsers, assessments: LegacyAssessments) -> dict:
    """Return the batch of scoring results: per scored assessment, re-scorings, strays and orphans."""
    owner, created = _scoring_times(rng, users, assessments)
    quality = np.clip(rng.normal(2.9, 0.85, len(users.u_id)), 0, 5)
    score = np.where(owner >= 0, quality[np.maximum(owner, 0)], rng.uniform(0, 5, len(owner)))
    score = np.round(np.clip(score + rng.normal(0, 0.35, len(owner)), 0, 5), 2)
    bounds = chosen(rng, len(score), 0, minimum=2)
    score[bounds] = np.resize([0.0, 5.0], int(bounds.sum()))
    n_orphan, n_null = _orphan_counts(len(users.u_id))
    user_id = np.concatenate([users.u_id[owner[owner >= 0]], uuids(rng, n_orphan), np.full(n_null, None, dtype=object)])
    return encode.serial_ordered(_score_columns(rng, score, created, user_id), created)


def _scoring_times(rng, users: LegacyUsers, assessments: LegacyAssessments) -> tuple[np.ndarray, np.ndarray]:
    """Return (user index, created) of the scoring rows; orphan rows come last with user index -1."""
    answered = assessments.owner >= 0
    owner, when = assessments.owner[answered], assessments.created[answered]
    scored = rng.random(len(owner)) < SCORED_SHARE
    first = later(rng, when[scored], 600)
    again = rng.random(len(first)) < RESCORED_SHARE
    rescored = later(rng, first[again], 30 * DAY)
    unanswered = np.setdiff1d(np.arange(len(users.u_id)), owner)
    strays = unanswered[chosen(rng, len(unanswered), 0.03, minimum=2)] if len(unanswered) else unanswered
    stray_times = later(rng, users.created[strays], 5 * DAY)
    n_orphan, n_null = _orphan_counts(len(users.u_id))
    orphan_times = growth_times(rng, n_orphan + n_null, HISTORY_START_TS, REFERENCE_TS, 1.0)
    owners = np.concatenate([owner[scored], owner[scored][again], strays, np.full(n_orphan + n_null, -1)])
    return owners, np.concatenate([first, rescored, stray_times, orphan_times])


def _score_columns(rng, score: np.ndarray, created: np.ndarray, user_id: np.ndarray) -> dict:
    """Return the scoring-result columns (without id) for the given scores."""
    n = len(score)
    confidence = np.round(np.clip(rng.beta(6, 2, n), 0, 1), 2)
    confidence[rng.random(n) < 0.02] = np.nan
    next_steps = subsets(rng, cat.NEXT_STEPS, rng.integers(1, 4, n))
    next_steps = [[] if u < 0.02 else None if u > 0.97 else v for v, u in zip(next_steps, rng.random(n))]
    recommendations = subsets(rng, cat.RECOMMENDATIONS, rng.integers(1, 5, n))
    recommendations = [None if u < 0.03 else v for v, u in zip(recommendations, rng.random(n))]
    return {
        "user_id": user_id,
        "score": encode.numbers(score, 2),
        "bracket": bracket_of(score),
        "category_scores": encode.json_values(_category_scores(rng, score)),
        "recommendations": encode.text_arrays(recommendations),
        "next_steps": encode.text_arrays(next_steps),
        "ai_insights": with_blanks(rng, pick(rng, cat.AI_INSIGHTS, n), 0.1),
        "confidence": encode.numbers(confidence, 2),
        "created_at": encode.timestamps(created, tz=False),
    }


def bracket_of(score: np.ndarray) -> np.ndarray:
    """Return the legacy bracket name of each score (catalogue.SCORE_BRACKETS)."""
    lows = np.array([low for low, _ in cat.SCORE_BRACKETS])
    names = np.array([name for _, name in cat.SCORE_BRACKETS], dtype=object)
    return names[np.searchsorted(lows, score, side="right") - 1]


def _category_scores(rng, score: np.ndarray) -> list[dict]:
    """Return per-row JSON objects of category scores (0-5, one decimal) around the overall score."""
    noisy = np.round(np.clip(score[:, None] + rng.normal(0, 0.6, (len(score), len(cat.SCORE_CATEGORIES))), 0, 5), 1)
    return [dict(zip(cat.SCORE_CATEGORIES, row)) for row in noisy.tolist()]
