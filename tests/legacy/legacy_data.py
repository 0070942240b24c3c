"""A small hand-written legacy dataset with every awkward case, and helpers for the migration tests.

Each person and row is named for the case it covers; the expected outcome of
each is spelled out beside it, so the tests can assert on them one by one.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bi_workbench.legacy.contract import (
    assessment_scoring_results,
    create_legacy_tables,
    enhanced_market_insights,
    onboarding_assessments,
    realtime_business_trends,
    realtime_marketing_playbook,
    tier2_users,
)


def uid(tag: str) -> UUID:
    """Return a readable fixed UUID ending in ``tag`` (hex digits)."""
    return UUID(f"00000000-0000-4000-8000-{tag.rjust(12, '0')}")


def ts(text: str) -> datetime:
    """Return a naive timestamp (legacy columns are naive UTC)."""
    return datetime.fromisoformat(text)


# --- people ------------------------------------------------------------------------
ANN_1 = uid("a01")   # 'ann@example.com', 2024-01-10: merged into ANN_2
ANN_2 = uid("a02")   # '  Ann@Example.COM ', 2023-06-01: the survivor (earliest)
ANN_3 = uid("a03")   # 'ann@example.com', created_at NULL: merged (NULL sorts last)
BOB_A = uid("b01")   # 'BOB@example.com', same time as BOB_B: survivor (smaller u_id)
BOB_B = uid("b02")   # 'bob@example.com': merged into BOB_A
CAT = uid("c01")     # NULL first_name, blank last_name: '' and ''
DAN = uid("d01")     # created_at NULL, industry NULL
EVE = uid("e01")     # blank email: quarantined
FAY = uid("f01")     # ordinary; industry Healthcare; no assessment
NOBODY = uid("999")  # names no legacy user

USERS = [
    dict(u_id=ANN_1, email="ann@example.com", first_name="Ann", last_name="Lee", industry="SaaS",
         role="user", agreed_terms=True, created_at=ts("2024-01-10 09:00:00")),
    dict(u_id=ANN_2, email="  Ann@Example.COM ", first_name="Ann", last_name="Lee-Smith", industry="Fintech",
         role="admin", agreed_terms=True, agreed_marketing=False, phone="+1 555 0100",
         created_at=ts("2023-06-01 08:00:00.123456")),
    dict(u_id=ANN_3, email="ann@example.com", first_name="A.", last_name="Lee", created_at=None),
    dict(u_id=BOB_B, email="bob@example.com", first_name="Bob", last_name="Ng", created_at=ts("2024-03-01 12:00:00")),
    dict(u_id=BOB_A, email="BOB@example.com", first_name="Bob", last_name="Ng", created_at=ts("2024-03-01 12:00:00")),
    dict(u_id=CAT, email="cat@example.com", first_name=None, last_name="   ", industry="Media",
         created_at=ts("2024-02-02 23:30:00")),
    dict(u_id=DAN, email="dan@example.com", first_name="Dan", last_name="", industry=None, created_at=None),
    dict(u_id=EVE, email="   ", first_name="Eve", last_name="Blank", created_at=ts("2024-05-05 05:05:05")),
    dict(u_id=FAY, email="Fay@Example.org", first_name="Fay", last_name="Okafor", industry="Healthcare",
         title="CEO", created_at=ts("2024-06-30 23:59:59")),
]

# --- onboarding assessments ----------------------------------------------------------
A1 = uid("1a01")  # ANN_1 (re-pointed to ANN_2), 2024-01-10 10:00
A2 = uid("1a02")  # ANN_2, 2024-03-01 10:00, friction_points NULL
A3 = uid("1a03")  # BOB_A, 2024-03-02
A4 = uid("1a04")  # BOB_A, 2024-04-01
A5 = uid("1a05")  # NOBODY: 'orphan: user not found'
A6 = uid("1a06")  # NULL u_id: 'orphan: no user id'
A7 = uid("1a07")  # EVE: 'orphan: user quarantined'
A8 = uid("1a08")  # DAN, created_at NULL

ASSESSMENTS = [
    dict(o_id=A1, u_id=ANN_1, growth_pace="FAST", tech_maturity=" basic ", funding_status="Series C",
         growth_metrics="MRR, churn\nand NPS", friction_points=["slow sales", "churn"],
         created_at=ts("2024-01-10 10:00:00")),
    dict(o_id=A2, u_id=ANN_2, growth_pace="steady", final_confirmation="yes", friction_points=None,
         created_at=ts("2024-03-01 10:00:00")),
    dict(o_id=A3, u_id=BOB_A, growth_pace="", team_alignment="aligned", friction_points=[],
         created_at=ts("2024-03-02 00:00:00")),
    dict(o_id=A4, u_id=BOB_A, growth_pace=None, created_at=ts("2024-04-01 00:00:00")),
    dict(o_id=A5, u_id=NOBODY, growth_pace="flat", created_at=ts("2024-01-01 00:00:00")),
    dict(o_id=A6, u_id=None, growth_pace="fast", created_at=ts("2024-01-02 00:00:00")),
    dict(o_id=A7, u_id=EVE, growth_pace="fast", created_at=ts("2024-05-06 00:00:00")),
    dict(o_id=A8, u_id=DAN, business_overview="B2B logistics", created_at=None),
]

# --- scoring results: id -> expected assessment (or quarantine reason) -----------------
SCORES = [
    dict(id=1, user_id=ANN_1, score=3.2, confidence=0.8, bracket="growing", created_at=ts("2024-02-01 00:00:00")),
    dict(id=2, user_id=ANN_2, score=3.456, confidence=0.555, created_at=ts("2024-03-05 00:00:00"),
         category_scores={"growth": 3.5}, recommendations=["Hire", "Focus"], next_steps=[]),
    dict(id=3, user_id=ANN_2, score=2.0, created_at=ts("2023-12-01 00:00:00")),
    dict(id=4, user_id=BOB_A, score=4.0, created_at=ts("2024-03-03 00:00:00")),
    dict(id=5, user_id=BOB_B, score=4.5, created_at=ts("2024-04-02 00:00:00")),
    dict(id=6, user_id=BOB_A, score=4.1, created_at=ts("2024-04-05 00:00:00")),
    dict(id=7, user_id=NOBODY, score=1.0, created_at=ts("2024-04-05 00:00:00")),
    dict(id=8, user_id=FAY, score=1.5, created_at=ts("2024-07-01 00:00:00")),
    dict(id=9, user_id=DAN, score=0.0, confidence=1, created_at=None),
    dict(id=10, user_id=BOB_A, score=7.5, created_at=ts("2024-04-06 00:00:00")),
    dict(id=11, user_id=None, score=2.5, created_at=ts("2024-04-07 00:00:00")),
]
SCORE_MATCH = {1: A1, 2: A2, 3: A1, 4: A3, 5: A4, 6: A4, 9: A8}
SCORE_QUARANTINE = {
    7: "orphan: user not found",
    8: "unmatched: user has no onboarding assessment",
    10: "invalid: score outside 0-5",
    11: "orphan: no user id",
}

# --- market insights: id -> (expected industry, confidence) or quarantine reason -------
INSIGHTS = [
    dict(id=1, u_id=ANN_1, industry="SaaS", confidence_score=75, market_size={"usd": 1.5e9},
         created_at=ts("2024-02-01 00:00:00")),
    dict(id=2, u_id=FAY, industry=None, confidence_score=100, sentiment={"score": 0.4},
         created_at=ts("2024-07-02 00:00:00")),
    dict(id=3, u_id=DAN, industry="  ", confidence_score=0, created_at=None),
    dict(id=4, u_id=NOBODY, industry="SaaS", confidence_score=50, created_at=ts("2024-02-01 00:00:00")),
    dict(id=5, u_id=FAY, industry="Healthcare", confidence_score=150, created_at=ts("2024-07-03 00:00:00")),
    dict(id=6, u_id=FAY, industry="Healthcare", confidence_score=None, full_insight="Steady demand",
         ai_model_version="gpt-x", created_at=ts("2024-07-04 00:00:00")),
]
INSIGHT_EXPECTED = {1: ("SaaS", "0.75"), 2: ("Healthcare", "1.00"), 3: ("unknown", "0.00"), 6: ("Healthcare", None)}
INSIGHT_QUARANTINE = {4: "orphan: user not found", 5: "invalid: confidence_score outside 0-100"}

TRENDS = [
    dict(id=1, title="SaaS: AI copilots", insight="Across SaaS, AI copilots.", industry="SaaS", source="news",
         createdat=ts("2024-05-01 00:00:00")),
    dict(id=2, title=None, insight="An untitled trend", industry=None, source=None, createdat=ts("2024-05-02 00:00:00")),
    dict(id=3, title="Blank insight", insight="  ", industry="Media", source="blog", createdat=None),
]
PLAYBOOK = [
    dict(id=1, insight="Send the webinar recap within 24h", source="playbook", createdat=ts("2024-05-03 00:00:00")),
    dict(id=2, insight="Retarget trial users on day 5", source=None, createdat=ts("2024-05-04 00:00:00")),
]

#: Expected accounting per legacy table: (legacy rows, migrated, merged, quarantined).
EXPECTED_ACCOUNTING = {
    "tier2_users": (9, 5, 3, 1),
    "onboarding_assessments": (8, 5, 0, 3),
    "assessment_scoring_results": (11, 7, 0, 4),
    "enhanced_market_insights": (6, 4, 0, 2),
    "realtime_business_trends": (3, 3, 0, 0),
    "realtime_marketing_playbook": (2, 2, 0, 0),
}

ROWS = {
    tier2_users: USERS,
    onboarding_assessments: ASSESSMENTS,
    assessment_scoring_results: SCORES,
    enhanced_market_insights: INSIGHTS,
    realtime_business_trends: TRENDS,
    realtime_marketing_playbook: PLAYBOOK,
}


def write_legacy(connection: Connection, rows: dict | None = None) -> None:
    """Create the legacy tables and write ``rows`` ({Table: [row dicts]}, default the whole dataset)."""
    create_legacy_tables(connection)
    for table, table_rows in (ROWS if rows is None else rows).items():
        for row in table_rows:
            # sa.null(): a JSONB column would store Python None as the JSON value null.
            values = {name: sa.null() if value is None else value for name, value in row.items()}
            connection.execute(table.insert().values(**values))
        if "id" in table.c and table_rows:
            connection.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(table.name, "id"),
                                                        max(r["id"] for r in table_rows))))


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Return {relation: (rows, md5 of its sorted rows)} for every table of the public schema, plus
    its views, functions and statistics-free catalog shape, so any change shows."""
    with engine.connect() as conn:
        names = conn.execute(sa.text(
            "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
            "AND c.relkind IN ('r', 'v', 'm') ORDER BY 1")).all()
        result: dict[str, tuple[int, str]] = {}
        for name, kind in names:
            quoted = conn.dialect.identifier_preparer.quote(name)
            if kind == "v":
                definition = conn.execute(sa.text("SELECT pg_get_viewdef(to_regclass(:n))"), {"n": name}).scalar()
                result[f"view {name}"] = (0, definition)
                continue
            result[name] = tuple(conn.exec_driver_sql(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {quoted} t"
            ).one())
        return result


def counts(engine: Engine, *tables: str) -> dict[str, int]:
    """Return the row count of each named table."""
    with engine.connect() as conn:
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {conn.dialect.identifier_preparer.quote(t)}").scalar()
                for t in tables}
