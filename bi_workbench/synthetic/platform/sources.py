"""The reads the platform generator makes from the database, all in one place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from ...schema.tables import assessment_scores, assessments, events, users
from ..primitives import DAY, HISTORY_START_TS, REFERENCE_TS
from .accounts import Users


def read_users(connection: Connection) -> Users:
    """Return the users already in ``users``, by id; signup times clipped into the synthetic history."""
    rows = connection.execute(select(users.c.id, users.c.created_at).order_by(users.c.id)).all()
    ids = np.array([str(row.id) for row in rows], dtype=object)
    created = np.array([HISTORY_START_TS if row.created_at is None else int(row.created_at.timestamp())
                        for row in rows], dtype=np.int64)
    return Users(id=ids, created=np.clip(created, None, REFERENCE_TS - DAY))


@dataclass(frozen=True)
class AssessmentHistory:
    """Assessments without an event stream yet, and their scores (index into the assessments)."""

    id: np.ndarray
    user_id: np.ndarray
    organization_id: np.ndarray
    assessment_type: np.ndarray
    status: np.ndarray
    created: np.ndarray
    score_of: np.ndarray
    score: np.ndarray
    bracket: np.ndarray
    scored: np.ndarray


def read_assessment_history(connection: Connection) -> AssessmentHistory:
    """Return the assessments that have no events yet with their scores, in id and time order."""
    streamed = select(events.c.aggregate_id).where(events.c.aggregate_type == "assessment")
    rows = connection.execute(
        select(assessments.c.id, assessments.c.user_id, assessments.c.organization_id,
               assessments.c.assessment_type, assessments.c.status, assessments.c.created_at)
        .where(assessments.c.id.not_in(streamed)).order_by(assessments.c.id)).all()
    index = {row.id: i for i, row in enumerate(rows)}
    scores = [s for s in connection.execute(
        select(assessment_scores.c.assessment_id, assessment_scores.c.overall_score, assessment_scores.c.bracket,
               assessment_scores.c.created_at)
        .order_by(assessment_scores.c.assessment_id, assessment_scores.c.created_at, assessment_scores.c.id)).all()
        if s.assessment_id in index]
    created = [_epoch(row.created_at) for row in rows]
    return AssessmentHistory(
        id=_strings(row.id for row in rows), user_id=_strings(row.user_id for row in rows),
        organization_id=_strings(row.organization_id for row in rows),
        assessment_type=np.array([row.assessment_type for row in rows], dtype=object),
        status=np.array([row.status for row in rows], dtype=object),
        created=np.array(created, dtype=np.int64),
        score_of=np.array([index[s.assessment_id] for s in scores], dtype=np.int64),
        score=np.array([None if s.overall_score is None else float(s.overall_score) for s in scores], dtype=object),
        bracket=np.array([s.bracket for s in scores], dtype=object),
        scored=np.array([_epoch(s.created_at) for s in scores], dtype=np.int64),
    )


def _strings(values) -> np.ndarray:
    """Return the values as an object array of strings (None kept)."""
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def _epoch(moment) -> int:
    """Return a timestamp as epoch seconds, clipped into the synthetic history (NULL as its start)."""
    if moment is None:
        return HISTORY_START_TS
    return min(int(moment.timestamp()), REFERENCE_TS)
