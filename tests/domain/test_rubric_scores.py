"""Kept rubric scores (table rubric_scores): what a read gives is what scoring the responses now gives.

On a copy of the small demo database (the build fills the kept scores): kept and
in-process scores agree to the bit, a changed answer or rubric is never read from a
stale row, `refresh` writes only what is out of date, and responses that are not a
JSON object get no score either way.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import sqlalchemy as sa

from sqlalchemy.dialects.postgresql import JSONB

from bi_workbench.domain import rubric_scores, scoring
from bi_workbench.domain.scoring import load_rubric, score_assessments
from bi_workbench.schema import tables as t

A = t.assessments


@pytest.fixture(scope="module")
def engine(databases, schema_template):
    from tests.conftest import demo_database

    yield from demo_database(databases, schema_template)


@pytest.fixture
def conn(engine):
    """A connection whose writes are rolled back after the test."""
    with engine.connect() as conn, conn.begin() as transaction:
        yield conn
        transaction.rollback()


def _chosen():
    return sa.select(A.c.id, A.c.responses, A.c.responses_digest).subquery("chosen")


def _scored_here(conn, rubric=None) -> pd.DataFrame:
    rows = conn.execute(sa.select(A.c.id, A.c.responses).order_by(A.c.id)).all()
    frame = pd.DataFrame({"assessment_id": [r[0] for r in rows], "responses": [r[1] for r in rows]})
    scored = score_assessments(frame, rubric or load_rubric(), errors="skip")[list(rubric_scores.COLUMNS)]
    return scored.sort_values("assessment_id", key=lambda s: s.astype(str)).reset_index(drop=True)


def _kept_rows(conn) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(t.rubric_scores)).scalar()


def test_the_build_keeps_every_score_and_reading_them_equals_scoring_the_responses(conn):
    assert _kept_rows(conn) == conn.execute(sa.select(sa.func.count()).select_from(A)).scalar() > 0
    assert rubric_scores.refresh(conn) == 0  # nothing out of date
    pd.testing.assert_frame_equal(rubric_scores.scores(conn, _chosen()), _scored_here(conn))


def test_a_changed_answer_is_scored_again_on_read_and_rewritten_by_refresh(conn):
    target = conn.execute(sa.select(A.c.id).order_by(A.c.id).limit(1)).scalar()
    before = rubric_scores.scores(conn, _chosen()).set_index("assessment_id").loc[target, "overall_score"]
    conn.execute(sa.update(A).where(A.c.id == target).values(responses={"growth_pace": "fast"}))
    read = rubric_scores.scores(conn, _chosen())
    pd.testing.assert_frame_equal(read, _scored_here(conn))
    assert read.set_index("assessment_id").loc[target, "overall_score"] == 4.0 != before
    assert rubric_scores.refresh(conn) == 1
    assert rubric_scores.refresh(conn) == 0
    pd.testing.assert_frame_equal(rubric_scores.scores(conn, _chosen()), read)


def test_another_rubric_never_reads_the_kept_rows_of_the_first(conn):
    other = copy.deepcopy(load_rubric().data)
    first = next(iter(other["questions"]))
    other["questions"][first]["points"] = {k: 0 for k in other["questions"][first].get("points", {})}
    rubric = load_rubric(other)
    assert rubric.version == load_rubric().version  # same version, other definition
    pd.testing.assert_frame_equal(rubric_scores.scores(conn, _chosen(), rubric), _scored_here(conn, rubric))
    kept = _kept_rows(conn)
    assert rubric_scores.refresh(conn, rubric) == kept  # its own rows, beside the first rubric's
    assert _kept_rows(conn) == 2 * kept


def test_the_digest_follows_the_rubrics_order_the_scoring_codes_version_and_not_the_callers_later_edits(monkeypatch):
    data = copy.deepcopy(load_rubric().data)
    reordered = {**data, "questions": dict(reversed(list(data["questions"].items())))}
    assert load_rubric(reordered).digest != load_rubric(data).digest  # the order of the sums can move a score
    rubric = load_rubric(data)
    data["categories"][next(iter(data["categories"]))]["weight"] = 0.9
    assert load_rubric(data).digest != rubric.digest == load_rubric().digest
    monkeypatch.setattr(scoring, "SCORING_VERSION", scoring.SCORING_VERSION + 1)
    assert load_rubric(copy.deepcopy(rubric.data)).digest != rubric.digest


def test_a_reordered_rubric_reads_its_own_scores(conn):
    data = copy.deepcopy(load_rubric().data)
    rubric = load_rubric({**data, "categories": dict(reversed(list(data["categories"].items()))),
                          "questions": dict(reversed(list(data["questions"].items())))})
    pd.testing.assert_frame_equal(rubric_scores.scores(conn, _chosen(), rubric), _scored_here(conn, rubric))


@pytest.mark.parametrize("responses", [["not", "an", "object"], "text", sa.cast(sa.literal("null"), JSONB)],
                         ids=["array", "string", "json null"])
def test_responses_that_are_not_an_object_have_no_score_kept_or_read(conn, responses):
    target = conn.execute(sa.select(A.c.id).order_by(A.c.id).limit(1)).scalar()
    conn.execute(sa.update(A).where(A.c.id == target).values(responses=responses))
    assert conn.execute(sa.select(sa.func.jsonb_typeof(A.c.responses)).where(A.c.id == target)).scalar() != "object"
    assert rubric_scores.refresh(conn) == 0
    read = rubric_scores.scores(conn, _chosen())
    assert target not in set(read["assessment_id"])
    pd.testing.assert_frame_equal(read, _scored_here(conn))


def test_a_score_written_by_hand_with_a_wrong_digest_is_not_read(conn):
    conn.execute(sa.update(t.rubric_scores).values(overall_score=0.0, responses_digest="forged"))
    pd.testing.assert_frame_equal(rubric_scores.scores(conn, _chosen()), _scored_here(conn))


def test_db_refresh_rewrites_the_kept_score_of_a_changed_assessment(engine):
    from bi_workbench import pipeline

    r = t.rubric_scores
    current = sa.select(r.c.overall_score).join_from(r, A, r.c.assessment_id == A.c.id).where(
        r.c.rubric_digest == load_rubric().digest, r.c.responses_digest == A.c.responses_digest)
    with engine.connect() as conn:
        target, original = conn.execute(sa.select(A.c.id, A.c.responses).order_by(A.c.id).limit(1)).one()
    try:
        with engine.begin() as conn:
            conn.execute(sa.update(A).where(A.c.id == target).values(responses={"growth_pace": "fast"}))
        pipeline.refresh(engine)  # what `bi-workbench db refresh` runs
        with engine.connect() as conn:
            assert conn.execute(current.where(A.c.id == target)).scalar() == 4.0
    finally:
        with engine.begin() as conn:
            conn.execute(sa.update(A).where(A.c.id == target).values(responses=original))
        pipeline.refresh(engine)


def test_db_refresh_gives_up_on_kept_scores_locked_by_another_session(engine, monkeypatch):
    from bi_workbench import pipeline
    from bi_workbench.errors import LockBusyError
    from bi_workbench.schema import locking

    monkeypatch.setattr(locking, "LOCK_TIMEOUT", "200ms")
    monkeypatch.setattr(locking, "ATTEMPTS", 1)
    with engine.connect() as holder:
        holder.execute(sa.text("LOCK TABLE rubric_scores IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(LockBusyError, match="^db refresh could not take its locks"):
            pipeline.refresh(engine)
        holder.rollback()
