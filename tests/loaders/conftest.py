"""A small, known data set on a real database for the loader tests (built once per test module)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from bi_workbench.database import create_engine
from bi_workbench.schema import tables as t

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    """An aware datetime from ISO text (UTC when no offset is written)."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ids(*names: str) -> SimpleNamespace:
    return SimpleNamespace(**{name: uuid.uuid4() for name in names})


def insert(conn, table, rows) -> None:
    """Insert each row on its own (rows may name different columns; the others take their defaults)."""
    for row in rows:
        conn.execute(table.insert().values(row))


def populate(engine) -> SimpleNamespace:
    """Insert the sample rows; return their ids."""
    u = _ids("ann", "bob", "cy", "pct")
    o = _ids("acme", "other")
    a = _ids("a1", "a2", "a3", "a4")
    with engine.begin() as conn:
        insert(conn, t.users, [
            dict(id=u.ann, email="ann@acme.test", first_name="Ann", last_name="A", industry="technology",
                 agreed_terms=True, created_at=at("2025-01-10T09:00:00")),
            dict(id=u.bob, email="bob@acme.test", first_name="Bob", last_name="B", industry="retail",
                 agreed_terms=False, created_at=at("2025-02-15T09:00:00")),
            dict(id=u.cy, email="cy@other.test", first_name="Cy", last_name="C", industry=None, phone="555",
                 agreed_terms=None, created_at=at("2025-03-20T09:00:00")),
            dict(id=u.pct, email="pct%_x@weird.test", first_name="Per", last_name="Cent", industry="technology",
                 created_at=at("2025-04-01T09:00:00")),
        ])
        insert(conn, t.organizations, [
            dict(id=o.acme, name="Acme", slug="acme", owner_id=u.ann, settings={"plan": "pro", "seats": 10}),
            dict(id=o.other, name="Other", slug="other", owner_id=u.cy),
        ])
        insert(conn, t.organization_members, [
            dict(organization_id=o.acme, user_id=u.ann, role="owner", joined_at=at("2025-01-01T00:00:00")),
            dict(organization_id=o.acme, user_id=u.bob, role="member", joined_at=at("2025-05-01T00:00:00")),
            dict(organization_id=o.other, user_id=u.cy, role="owner", joined_at=at("2025-03-01T00:00:00")),
        ])
        insert(conn, t.assessments, [
            # 23:30 in New York on Dec 31 is 04:30 UTC on Jan 1: a January assessment in UTC.
            dict(id=a.a1, user_id=u.ann, organization_id=o.acme, assessment_type="growth", status="completed",
                 responses={"growth_pace": "fast", "tech_maturity": "high", "scores": {"overall": 4}},
                 completed_at=at("2025-01-02T00:00:00"), created_at=at("2024-12-31T23:30:00-05:00")),
            dict(id=a.a2, user_id=u.bob, organization_id=o.acme, assessment_type="growth", status="completed",
                 responses={"growth_pace": "slow", "tech_maturity": "low"},
                 completed_at=at("2025-01-16T00:00:00"), created_at=at("2025-01-15T10:00:00")),
            dict(id=a.a3, user_id=u.cy, organization_id=o.other, assessment_type="maturity", status="in_progress",
                 responses={"growth_pace": "fast"}, created_at=at("2025-02-01T00:00:00")),
            dict(id=a.a4, user_id=u.ann, organization_id=None, assessment_type="maturity", status="abandoned",
                 responses={}, created_at=at("2025-03-05T12:00:00")),
        ])
        insert(conn, t.assessment_scores, [
            dict(assessment_id=a.a1, overall_score=Decimal("4.50"), confidence_score=Decimal("0.90"),
                 bracket="leader", recommendations=["hire", "automate"]),
            dict(assessment_id=a.a2, overall_score=Decimal("1.50"), confidence_score=Decimal("0.40"),
                 bracket="laggard", recommendations=["train"]),
            dict(assessment_id=a.a3, overall_score=None, confidence_score=None, bracket=None, recommendations=None),
        ])
        insert(conn, t.news_feed, [
            dict(title="Early news", published_at=at("2025-01-05T00:00:00"), created_at=at("2025-06-01T00:00:00"),
                 relevance_score=Decimal("0.80")),
            dict(title="Later news", published_at=at("2025-03-01T00:00:00"), created_at=at("2025-01-01T00:00:00"),
                 relevance_score=Decimal("0.20")),
        ])
        insert(conn, t.user_sessions, [
            dict(user_id=u.ann, session_token="s1", ip_address="10.0.0.1", started_at=at("2025-01-02T00:00:00"),
                 is_active=True),
            dict(user_id=u.bob, session_token="s2", ip_address="192.168.0.5", started_at=at("2025-04-01T00:00:00"),
                 is_active=False),
        ])
        insert(conn, t.growth_levers, [
            dict(user_id=u.ann, organization_id=o.acme, levers=["pricing", "retention"]),
            dict(user_id=u.bob, organization_id=o.acme, levers=["pricing"]),
        ])
        aggregate = uuid.uuid4()
        insert(conn, t.events, [
            dict(aggregate_id=aggregate, aggregate_type="assessment", event_type=f"step{v}", event_data={"v": v},
                 version=v, user_id=u.ann)
            for v in (1, 2, 3)
        ])
        insert(conn, t.market_insights, [
            dict(user_id=u.ann, industry="technology"), dict(user_id=u.bob, industry="technology"),
            dict(user_id=u.bob, industry="retail"),
        ])
        conn.execute(sa.text(
            "SELECT ensure_monthly_partitions('analytics_events'::regclass, DATE '2024-12-01', DATE '2025-06-01')"
        ))
        events = [
            ("2025-01-03T10:00:00", u.ann, o.acme, "page_view"), ("2025-01-20T10:00:00", u.ann, o.acme, "click"),
            ("2025-02-10T10:00:00", u.bob, o.acme, "page_view"), ("2025-02-11T10:00:00", u.cy, o.other, "page_view"),
            ("2025-03-01T00:00:00", u.cy, o.other, "login"), ("2025-03-31T23:59:59", u.bob, o.acme, "click"),
        ]
        insert(conn, t.analytics_events, [
            dict(created_at=at(when), user_id=user, organization_id=org, event_type=kind, event_data={"n": i})
            for i, (when, user, org, kind) in enumerate(events)
        ])
        conn.execute(sa.text("REFRESH MATERIALIZED VIEW assessment_analytics_summary"))
    return SimpleNamespace(users=u, orgs=o, assessments=a)


@pytest.fixture(scope="module")
def sample(databases, schema_template):
    """(engine, ids) of a fresh database holding the schema and the sample rows; shared by a module."""
    url = databases.create(template=schema_template)
    engine = create_engine(url)
    ids = populate(engine)
    yield SimpleNamespace(engine=engine, **vars(ids))
    engine.dispose()
    databases.drop(url)
