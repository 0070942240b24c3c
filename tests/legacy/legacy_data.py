"""A small hand-written legacy dataset with every awkward case, and helpers for the migration tests.

Each person and row is named for the case it covers; the expected outcome of
each is spelled out beside it, so the tests can assert on them one by one.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
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


# --- awkward values: expressions the Python driver cannot send as values ----------------


def timestamp_sql(text: str):
    """Return a legacy TIMESTAMP value given as PostgreSQL text ('infinity', '-infinity', '3000-01-01')."""
    return sa.cast(sa.literal(text, sa.Text), TIMESTAMP(timezone=False))


def jsonb_sql(text: str):
    """Return a JSONB value parsed by the server from ``text`` (Python's json cannot nest 3,000 deep)."""
    return sa.cast(sa.literal(text, sa.Text), JSONB)


def nested(depth: int) -> str:
    """Return JSON text of ``depth`` nested arrays around 1: its deepest value sits at level ``depth``."""
    return "[" * depth + "1" + "]" * depth


# --- identity: one person per address, Unicode-aware (expected outcome beside each) ------
EMILE = uid("e1a")       # 'émile.x@example.test', earliest: the survivor
EMILE_UP = uid("e1b")    # 'ÉMILE.X@example.test': merged (full case folding, not ASCII only)
EMILE_NFD = uid("e1c")   # 'e' + COMBINING ACUTE: merged (normalization)
EMILE_WIDE = uid("e1d")  # fullwidth 'ＥＭＩＬＥ': merged (compatibility forms)
EMILE_ASCII = uid("e1e")  # 'emile.x@example.test' without the accent: another person
STRASSE = uid("5a1")     # 'strasse@example.test', earliest: the survivor
STRASSE_SZ = uid("5a2")  # 'STRAẞE@example.test' (capital sharp s): merged (ß folds to ss)
PAD = uid("7a1")         # 'pad@example.test' padded with a tab: the survivor, stored trimmed
PAD_CRLF = uid("7a2")    # CR/LF around it: merged
PAD_NBSP = uid("7a3")    # NO-BREAK SPACE, IDEOGRAPHIC SPACE, ZERO WIDTH SPACE, BOM around it: merged
PAD_NONE = uid("7a4")    # not padded at all: merged
ONLY_TAB = uid("b1a")    # '\t': quarantined as blank
ONLY_SPACES = uid("b1b")  # NBSP + ZERO WIDTH SPACE + LINE SEPARATOR: quarantined as blank
LONG_EMAIL = uid("b1c")  # 3,000 bytes: quarantined as too long for the indexes on users.email

IDENTITY_USERS = [
    dict(u_id=EMILE, email="émile.x@example.test", created_at=ts("2024-01-01 00:00:00")),
    dict(u_id=EMILE_UP, email="ÉMILE.X@example.test", created_at=ts("2024-01-02 00:00:00")),
    dict(u_id=EMILE_NFD, email="e\u0301mile.x@example.test", created_at=ts("2024-01-03 00:00:00")),
    dict(u_id=EMILE_WIDE, email="\uff25\u0301\uff2d\uff29\uff2c\uff25.x@example.test",
         created_at=ts("2024-01-04 00:00:00")),
    dict(u_id=EMILE_ASCII, email="emile.x@example.test", created_at=ts("2024-01-05 00:00:00")),
    dict(u_id=STRASSE, email="strasse@example.test", created_at=ts("2024-02-01 00:00:00")),
    dict(u_id=STRASSE_SZ, email="STRA\u1e9eE@example.test", created_at=ts("2024-02-02 00:00:00")),
    dict(u_id=PAD, email="\tpad@example.test\t", created_at=ts("2024-03-01 00:00:00")),
    dict(u_id=PAD_CRLF, email="\r\npad@example.test\r\n", created_at=ts("2024-03-02 00:00:00")),
    dict(u_id=PAD_NBSP, email="\u00a0\ufeffPAD@example.test\u3000\u200b", created_at=ts("2024-03-03 00:00:00")),
    dict(u_id=PAD_NONE, email="pad@example.test", created_at=ts("2024-03-04 00:00:00")),
    dict(u_id=ONLY_TAB, email="\t", created_at=ts("2024-04-01 00:00:00")),
    dict(u_id=ONLY_SPACES, email="\u00a0\u200b\u2028", created_at=ts("2024-04-02 00:00:00")),
    dict(u_id=LONG_EMAIL, email="x" * 2990 + "@example.test", created_at=ts("2024-04-03 00:00:00")),
]
#: legacy row -> the user it must end on.
IDENTITY_USER_OF = {
    EMILE: EMILE, EMILE_UP: EMILE, EMILE_NFD: EMILE, EMILE_WIDE: EMILE, EMILE_ASCII: EMILE_ASCII,
    STRASSE: STRASSE, STRASSE_SZ: STRASSE, PAD: PAD, PAD_CRLF: PAD, PAD_NBSP: PAD, PAD_NONE: PAD,
}
IDENTITY_QUARANTINE = {
    ONLY_TAB: "invalid: blank email",
    ONLY_SPACES: "invalid: blank email",
    LONG_EMAIL: "invalid: email longer than 2000 bytes",
}

# --- values the new schema, its indexes or pandas cannot carry ---------------------------
INF_USER = uid("f1a")    # created_at infinity, company of 10 MB, role of 2,001 bytes
EDGE_USER = uid("f1b")   # created_at 1678-01-01, company of exactly 2,000 bytes (2-byte letters): carried
OLD_USER = uid("f1c")    # created_at -infinity, industry of 3,000 bytes
TEN_MB = "x" * 10_000_000
EDGE_COMPANY = "é" * 1000  # 2,000 bytes of UTF-8

UNFIT_USERS = [
    dict(u_id=INF_USER, email="inf@example.test", company=TEN_MB, role="r" * 2001, industry="SaaS",
         created_at=timestamp_sql("infinity")),
    dict(u_id=EDGE_USER, email="edge@example.test", company=EDGE_COMPANY, industry="Media",
         created_at=ts("1678-01-01 00:00:00")),
    dict(u_id=OLD_USER, email="old@example.test", industry="i" * 3000, created_at=timestamp_sql("-infinity")),
]
NULL_FRICTION = uid("2a01")   # friction_points JSON null, created_at 2261-12-31 23:59:59 (carried)
DEEP_FRICTION = uid("2a02")   # friction_points nested 3,000 deep, created_at year 3000
INF_ASSESSMENT = uid("2a03")  # created_at infinity
UNFIT_ASSESSMENTS = [
    dict(o_id=NULL_FRICTION, u_id=INF_USER, friction_points=jsonb_sql("null"),
         created_at=ts("2261-12-31 23:59:59")),
    dict(o_id=DEEP_FRICTION, u_id=EDGE_USER, friction_points=jsonb_sql(nested(3000)),
         created_at=timestamp_sql("3000-01-01")),
    dict(o_id=INF_ASSESSMENT, u_id=OLD_USER, growth_metrics="y" * 100_000, created_at=timestamp_sql("infinity")),
]
UNFIT_SCORES = [
    # 1: 3,000 levels deep; 2: exactly the deepest carried; 3: one level more; 4: a 10 MB bracket and
    # -infinity; 5: deep, and an orphan (quarantined: its legacy_row must still be readable).
    dict(id=1, user_id=INF_USER, score=3.0, category_scores=jsonb_sql(nested(3000)), created_at=ts("2024-01-01 00:00:00")),
    dict(id=2, user_id=INF_USER, score=3.0, category_scores=jsonb_sql(nested(64)), created_at=ts("2024-01-02 00:00:00")),
    dict(id=3, user_id=INF_USER, score=3.0, category_scores=jsonb_sql(nested(65)), created_at=ts("2024-01-03 00:00:00")),
    dict(id=4, user_id=EDGE_USER, score=2.0, bracket=TEN_MB, created_at=timestamp_sql("-infinity")),
    dict(id=5, user_id=NOBODY, score=2.0, category_scores=jsonb_sql(nested(3000)), created_at=ts("2024-01-04 00:00:00")),
]
UNFIT_INSIGHTS = [
    # 1: a 10 MB industry (the user's is used instead), market_size 3,000 deep, created_at infinity.
    dict(id=1, u_id=INF_USER, industry=TEN_MB, market_size=jsonb_sql(nested(3000)), sentiment=jsonb_sql("null"),
         confidence_score=50, created_at=timestamp_sql("infinity")),
]
UNFIT_TRENDS = [
    dict(id=1, title="Big industry", insight="i", industry="z" * 2001, createdat=timestamp_sql("-infinity")),
    dict(id=2, title="Edge", insight="i", industry="ok", createdat=ts("2261-12-31 23:59:59.999999")),
]
UNFIT_PLAYBOOK = [dict(id=1, insight="Far future", createdat=timestamp_sql("294276-12-31 23:59:59"))]

UNFIT_ROWS = {
    tier2_users: UNFIT_USERS,
    onboarding_assessments: UNFIT_ASSESSMENTS,
    assessment_scoring_results: UNFIT_SCORES,
    enhanced_market_insights: UNFIT_INSIGHTS,
    realtime_business_trends: UNFIT_TRENDS,
    realtime_marketing_playbook: UNFIT_PLAYBOOK,
}
