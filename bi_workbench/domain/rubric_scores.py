"""Rubric scores kept per assessment (table rubric_scores): filled once, read through, never trusted stale.

Scoring is Python (`domain.scoring`), so a report that compares 100k legacy scores
with the rubric's would fetch and score 100k responses every time. `refresh` scores
the assessments whose kept score is missing or out of date and writes them; `scores`
reads the kept ones and scores the rest where it reads them. A kept row counts only
while both of its digests match: `Rubric.digest` (the rubric's definition in its own
order and the scoring code's `SCORING_VERSION`: any edit of either, even without a
new rubric version, makes every row out of date) and the assessment's
responses_digest (md5 of the responses' jsonb text, which PostgreSQL computes on
every write; compared in the statement that reads the row). So a read gives what
scoring the responses now would give, whatever was written since the last refresh,
and a tenant reads rows only through its assessments (the parent entity's policy).
Rows of other rubrics stay until their assessment goes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from ..database.cursors import every_row
from ..schema import tables as t
from .scoring import Rubric, load_rubric, score_assessments

#: Columns of `scores`.
COLUMNS = ("assessment_id", "overall_score", "bracket")
#: Assessments scored and written per statement by `refresh`.
BATCH = 20_000


def _kept(assessments, digest: str):
    """The join condition of an assessment and its current kept row."""
    r = t.rubric_scores
    return sa.and_(r.c.assessment_id == assessments.c.id, r.c.rubric_digest == digest,
                   r.c.responses_digest == assessments.c.responses_digest)


def scores(conn: Connection, chosen, rubric: Rubric | None = None) -> pd.DataFrame:
    """Return the rubric's score of every assessment of ``chosen`` (a subquery with id and responses).

    Columns `COLUMNS`: assessment_id (UUID), overall_score (float, 0-5, NaN if nothing
    scorable), bracket (text or None); sorted by assessment_id. Kept rows are read
    (`refresh`); the others are scored here, in the same snapshot. Responses that are
    not a JSON object have no score and no row (`score_assessments` with errors="skip").
    """
    rubric = rubric or load_rubric()
    r = t.rubric_scores
    unkept = r.c.assessment_id.is_(None)  # its own column: JSON null responses arrive as None too
    query = (sa.select(chosen.c.id, r.c.overall_score, r.c.bracket, unkept, sa.case((unkept, chosen.c.responses)))
             .select_from(chosen.outerjoin(r, _kept(chosen, rubric.digest)))
             .order_by(chosen.c.id))
    rows = conn.execute(query).all()
    ids, overall, bracket, flags, responses = (list(c) for c in zip(*rows)) if rows else ([], [], [], [], [])
    kept = pd.DataFrame({"assessment_id": pd.Series(ids, dtype=object),
                         "overall_score": pd.Series(overall, dtype="float64"),
                         "bracket": pd.Series(bracket, dtype=object)})
    missing = np.array(flags, dtype=bool)
    if not missing.any():
        return kept
    fresh = score_assessments(pd.DataFrame({"assessment_id": kept["assessment_id"][missing].to_numpy(),
                                            "responses": [v for v, m in zip(responses, flags) if m]}),
                              rubric, errors="skip")[list(COLUMNS)]
    both = pd.concat([kept[~missing], fresh.astype({"overall_score": "float64"})], ignore_index=True)
    return both.sort_values("assessment_id", kind="stable", key=lambda s: s.astype(str)).reset_index(drop=True)


def refresh(conn: Connection, rubric: Rubric | None = None, batch: int = BATCH) -> int:
    """Score every assessment whose kept row is missing or out of date and write it; return how many.

    Writes in ``conn``'s transaction, ``batch`` assessments per statement; rows of
    another rubric are left alone (a report may use either), rows whose responses
    changed are replaced. Assessments whose responses are not a JSON object get no row.
    """
    rubric = rubric or load_rubric()
    digest = rubric.digest
    a = t.assessments
    stale = (sa.select(a.c.id, a.c.responses, a.c.responses_digest)
             .where(~sa.exists().where(_kept(a, digest))).order_by(a.c.id))
    # A server-side cursor (the caller's transaction): one batch of responses in memory at a time.
    stale_rows = every_row(conn, stale, batch)
    return sum(_write(conn, part, rubric, digest) for part in stale_rows.partitions())


def _write(conn: Connection, rows: list, rubric: Rubric, digest: str) -> int:
    """Score ``rows`` (id, responses, responses digest) and upsert their kept rows; return how many were written."""
    frame = pd.DataFrame({"assessment_id": [row[0] for row in rows], "responses": [row[1] for row in rows]})
    scored = score_assessments(frame, rubric, errors="skip")
    digests = {row[0]: row[2] for row in rows}
    values = [{"assessment_id": i, "rubric_digest": digest, "responses_digest": digests[i],
               "overall_score": None if np.isnan(s) else float(s), "bracket": b}
              for i, s, b in zip(scored["assessment_id"], scored["overall_score"], scored["bracket"])]
    if not values:
        return 0
    statement = insert(t.rubric_scores)
    conn.execute(statement.on_conflict_do_update(
        index_elements=["assessment_id", "rubric_digest"],
        set_={"responses_digest": statement.excluded.responses_digest, "overall_score": statement.excluded.overall_score,
              "bracket": statement.excluded.bracket, "scored_at": sa.func.now()}), values)
    return len(values)
