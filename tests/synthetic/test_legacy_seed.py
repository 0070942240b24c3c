"""seed_legacy: counts, determinism, and every awkward case of the legacy contract, on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from bi_workbench.legacy.contract import CHOICE_ANSWERS, LEGACY_TABLES
from bi_workbench.synthetic import REFERENCE_DATE, SyntheticDataError, seed_legacy
from bi_workbench.synthetic.catalogue import SCORE_BRACKETS

from .conftest import checksums, restart_sequences

#: Expected rows per table at small scale (inclusive ranges).
SMALL_COUNTS = {
    "tier2_users": (300, 300), "onboarding_assessments": (300, 450), "assessment_scoring_results": (250, 450),
    "enhanced_market_insights": (120, 260), "realtime_business_trends": (40, 40),
    "realtime_marketing_playbook": (30, 30),
}


def scalar(engine, query: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(query), params).scalar()


def test_row_counts_of_small(empty_database):
    with empty_database.begin() as conn:
        written = seed_legacy(conn, "small", 42, progress=True)
    assert set(written) == {t.name for t in LEGACY_TABLES}
    for table, (low, high) in SMALL_COUNTS.items():
        assert low <= written[table] <= high, table
        assert scalar(empty_database, f"SELECT count(*) FROM {table}") == written[table]


def test_same_seed_same_rows_other_seed_other_rows(empty_database):
    runs = []
    for seed in (42, 42, 7):
        with empty_database.connect() as conn:
            with conn.begin() as transaction:
                restart_sequences(conn)
                seed_legacy(conn, "small", seed, progress=False)
                runs.append(checksums(conn, LEGACY_TABLES))
                transaction.rollback()
    assert runs[0] == runs[1]
    assert all(runs[0][t] != runs[2][t] for t in runs[0])


def test_refuses_tables_that_hold_rows(legacy_database):
    with legacy_database.begin() as conn, pytest.raises(SyntheticDataError, match="already hold rows"):
        seed_legacy(conn, "small", 42, progress=False)


def test_serial_sequences_continue_after_the_explicit_ids(legacy_database):
    with legacy_database.begin() as conn:
        insert = "INSERT INTO realtime_marketing_playbook (insight) VALUES ('x') RETURNING id"
        new_id = conn.exec_driver_sql(insert).scalar()
    assert new_id == SMALL_COUNTS["realtime_marketing_playbook"][0] + 1


def test_emails_recur_in_other_case_and_with_spaces(legacy_database):
    groups = """SELECT lower(btrim(email)) AS k, count(*) AS n, count(DISTINCT email) AS spellings,
                       bool_or(email <> btrim(email)) AS padded, count(DISTINCT btrim(email)) AS cases
                FROM tier2_users GROUP BY 1 HAVING count(*) > 1"""
    assert 6 <= scalar(legacy_database, f"SELECT count(*) FROM ({groups}) g") <= 30
    assert scalar(legacy_database, f"SELECT bool_and(spellings = n) FROM ({groups}) g")  # never byte-identical
    assert scalar(legacy_database, f"SELECT count(*) FROM ({groups}) g WHERE padded") >= 1
    assert scalar(legacy_database, f"SELECT count(*) FROM ({groups}) g WHERE cases > 1") >= 1


def test_names_are_sometimes_null_or_empty(legacy_database):
    for column in ("first_name", "last_name"):
        assert scalar(legacy_database, f"SELECT count(*) FROM tier2_users WHERE {column} IS NULL") >= 2
        assert scalar(legacy_database, f"SELECT count(*) FROM tier2_users WHERE {column} = ''") >= 2


def test_users_answer_and_are_scored_several_times(legacy_database):
    several = """SELECT count(*) FROM (SELECT u_id FROM onboarding_assessments a
                 WHERE EXISTS (SELECT 1 FROM tier2_users u WHERE u.u_id = a.u_id)
                 GROUP BY u_id HAVING count(*) >= 2 AND count(DISTINCT created_at) >= 2) s"""
    assert scalar(legacy_database, several) >= 10
    rescored = """SELECT count(*) FROM (SELECT user_id FROM assessment_scoring_results
                  GROUP BY user_id HAVING count(*) >= 2 AND count(DISTINCT created_at) >= 2) s"""
    assert scalar(legacy_database, rescored) >= 10
    scored_without_assessment = """SELECT count(*) FROM assessment_scoring_results r
        WHERE EXISTS (SELECT 1 FROM tier2_users u WHERE u.u_id = r.user_id)
          AND NOT EXISTS (SELECT 1 FROM onboarding_assessments a WHERE a.u_id = r.user_id)"""
    assert scalar(legacy_database, scored_without_assessment) >= 1


@pytest.mark.parametrize("table, column", [
    ("onboarding_assessments", "u_id"), ("assessment_scoring_results", "user_id"), ("enhanced_market_insights", "u_id"),
])
def test_orphans_name_no_user(legacy_database, table, column):
    orphans = f"SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM tier2_users u WHERE u.u_id = t.{column})"
    assert scalar(legacy_database, orphans + f" AND t.{column} IS NOT NULL") >= 2
    if table != "enhanced_market_insights":
        assert scalar(legacy_database, f"SELECT count(*) FROM {table} WHERE {column} IS NULL") >= 1


@pytest.mark.parametrize("column", sorted(CHOICE_ANSWERS))
def test_choice_answers_are_mostly_valid_with_every_kind_of_noise(legacy_database, column):
    allowed = list(CHOICE_ANSWERS[column])
    kinds = f"""SELECT count(*) FILTER (WHERE {column} = ANY(:allowed)) AS valid,
                       count(*) FILTER (WHERE {column} <> ALL(:allowed)
                                        AND lower(btrim({column})) = ANY(:allowed)) AS odd,
                       count(*) FILTER (WHERE btrim({column}) = '') AS blank,
                       count(*) FILTER (WHERE {column} IS NULL) AS null,
                       count(*) FILTER (WHERE btrim({column}) <> ''
                                        AND lower(btrim({column})) <> ALL(:allowed)) AS unknown,
                       count(*) AS total
                FROM onboarding_assessments"""
    with legacy_database.connect() as conn:
        row = conn.execute(sa.text(kinds), {"allowed": allowed}).one()
    assert row.valid / row.total > 0.75
    assert min(row.odd, row.blank, row.null, row.unknown) >= 1, row


def test_friction_points_are_string_arrays_or_null(legacy_database):
    shapes = dict(scalar_rows(legacy_database, """SELECT coalesce(jsonb_typeof(friction_points), 'sql null'), count(*)
                                                  FROM onboarding_assessments GROUP BY 1"""))
    assert set(shapes) == {"array", "sql null"}
    assert scalar(legacy_database, """SELECT count(*)
                                      FROM onboarding_assessments, jsonb_array_elements(friction_points) e
                                      WHERE jsonb_typeof(e) <> 'string'""") == 0
    assert scalar(legacy_database, "SELECT count(*) FROM onboarding_assessments WHERE friction_points = '[]'") >= 1


def scalar_rows(engine, query):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(query))]


def test_market_confidence_is_a_percentage_and_industry_may_be_null(legacy_database):
    low, high, above_one, nulls = scalar_rows(legacy_database, """
        SELECT min(confidence_score), max(confidence_score), count(*) FILTER (WHERE confidence_score > 1),
               count(*) FILTER (WHERE confidence_score IS NULL) FROM enhanced_market_insights""")[0]
    assert (low, high) == (0, 100)
    assert above_one > 100 and nulls >= 2
    assert scalar(legacy_database, "SELECT count(*) FROM enhanced_market_insights WHERE industry IS NULL") >= 2


def test_scores_confidence_and_brackets_are_consistent(legacy_database):
    low, high, c_low, c_high = scalar_rows(legacy_database, """
        SELECT min(score), max(score), min(confidence), max(confidence) FROM assessment_scoring_results""")[0]
    assert (low, high) == (0, 5) and 0 <= c_low and c_high <= 1
    bounds = [low for low, _ in SCORE_BRACKETS][1:] + [99]
    case = " ".join(f"WHEN score < {upper} THEN '{name}'" for (_, name), upper in zip(SCORE_BRACKETS, bounds))
    inconsistent = f"SELECT count(*) FROM assessment_scoring_results WHERE bracket <> CASE {case} END"
    assert scalar(legacy_database, inconsistent) == 0
    assert scalar(legacy_database, """SELECT count(*) FROM assessment_scoring_results
                                      WHERE jsonb_typeof(category_scores) <> 'object'""") == 0


def test_text_survives_copy_escaping(legacy_database):
    """Backslashes, newlines, tabs, quotes, commas and braces come back exactly as generated."""
    exact = "SELECT count(*) FROM onboarding_assessments WHERE differentiator = :text"
    assert scalar(legacy_database, exact, text="Data lives in C:\\exports and spreadsheets") >= 1
    assert scalar(legacy_database, exact, text="Sales cycle is too long\nand nobody owns onboarding") >= 1
    tabbed = "SELECT count(*) FROM onboarding_assessments WHERE tech_stack = :text"
    assert scalar(legacy_database, tabbed, text="Tabs\tand odd spacing   pasted from a doc") >= 1
    listed = "SELECT count(*) FROM assessment_scoring_results WHERE :text = ANY(recommendations)"
    assert scalar(legacy_database, listed, text="Align sales and marketing on one funnel {MQL -> SQL}") >= 1
    assert scalar(legacy_database, listed, text='Run a "voice of customer" interview series') >= 1
    assert scalar(legacy_database, "SELECT count(*) FROM assessment_scoring_results WHERE next_steps = '{}'") >= 1
    named = "SELECT count(*) FROM tier2_users WHERE last_name = :text"
    assert scalar(legacy_database, named, text="O'Brien") >= 1
    assert scalar(legacy_database, named, text="Müller") >= 1


def test_timestamps_are_naive_utc_within_three_years_before_the_reference_date(legacy_database):
    for table, column in [("tier2_users", "created_at"), ("onboarding_assessments", "created_at"),
                          ("assessment_scoring_results", "created_at"), ("enhanced_market_insights", "created_at"),
                          ("realtime_business_trends", "createdat"), ("realtime_marketing_playbook", "createdat")]:
        low, high, nulls = scalar_rows(legacy_database, f"SELECT min({column}), max({column}), "
                                                        f"count(*) FILTER (WHERE {column} IS NULL) FROM {table}")[0]
        assert nulls == 0 and low.tzinfo is None, table
        assert datetime(2023, 6, 30) <= low and high <= REFERENCE_DATE.replace(tzinfo=None), table
