"""Dashboard reads: the read model for one user, assessment data from the new schema or the legacy tables."""

import uuid

import sqlalchemy as sa

from bi_workbench.events import commands
from bi_workbench.events.dashboard import get_assessment_data, get_user_dashboard
from bi_workbench.legacy.contract import create_legacy_tables


def _user(conn, email="ann@x.io") -> uuid.UUID:
    return conn.execute(sa.text(
        "INSERT INTO users (email, first_name, last_name, company) VALUES (:e, 'Ann', 'Lee', 'Acme') RETURNING id"
    ), {"e": email}).scalar_one()


def test_user_dashboard_for_a_known_and_an_unknown_user(schema_database):
    with schema_database.begin() as conn:
        user_id = _user(conn)
    assessment = commands.create_assessment(schema_database, user_id, "onboarding", {"growth_pace": "fast"})
    with schema_database.begin() as conn:
        conn.execute(sa.text("INSERT INTO assessment_scores (assessment_id, overall_score, created_at) "
                             "VALUES (:a, 3.5, now() - interval '1 day'), (:a, 4.5, now())"), {"a": assessment["id"]})
        dashboard = get_user_dashboard(conn, user_id)
        assert get_user_dashboard(conn, uuid.uuid4()) is None
    assert (dashboard["email"], dashboard["total_assessments"], float(dashboard["avg_assessment_score"])) == ("ann@x.io", 1, 4.5)  # its latest score


def test_assessment_data_reads_the_new_schema_first(schema_database):
    with schema_database.begin() as conn:
        user_id = _user(conn)
    created = commands.create_assessment(schema_database, user_id, "onboarding", {"growth_pace": "steady"})
    with schema_database.connect() as conn:
        data = get_assessment_data(conn, user_id, "onboarding")
        assert get_assessment_data(conn, user_id, "quarterly_review") is None
    assert (data["o_id"], data["source"], data["responses"]["growth_pace"], data["score"]) == (created["id"], "new", "steady", None)


def test_assessment_data_falls_back_to_the_legacy_tables(schema_database):
    legacy_user = uuid.uuid4()
    with schema_database.begin() as conn:
        create_legacy_tables(conn)
        conn.execute(sa.text(
            "INSERT INTO onboarding_assessments (o_id, u_id, growth_pace, created_at) "
            "VALUES (gen_random_uuid(), :u, 'Flat', '2024-03-01 10:00')"), {"u": legacy_user})
        conn.execute(sa.text(
            "INSERT INTO assessment_scoring_results (user_id, score, bracket, created_at) "
            "VALUES (:u, 2.5, 'developing', '2024-03-01 11:00')"), {"u": legacy_user})
        data = get_assessment_data(conn, legacy_user)
    assert (data["source"], data["responses"]["growth_pace"], float(data["score"]), data["bracket"]) == ("legacy", "Flat", 2.5, "developing")
    assert data["created_at"].utcoffset().total_seconds() == 0  # naive legacy time read as UTC
