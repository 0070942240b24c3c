"""An independent check of the headline numbers of reports 01-04, with hand-written SQL on the small demo data.

Every headline number the four reports record (`reports.headlines` with each report's
``HEADLINES``) is recomputed here in plain SQL text, written from the definitions in
DESIGN.md ("One definition of every number") and the issue, not from
`bi_workbench.metrics`: a row belongs to its own organization, else to the
organizations its user is a member of (invitations excepted); a row's industry is its
own industry column, else its user's, compared without case or spaces; every row is
kept before the bound, the midnight after ``as_of`` (or after the latest day of data in
the selection); the score of an assessment is its latest score; a paying customer is a
subscription on a plan other than free, active or past_due.

Three selections: an organization whose members own migrated assessments and market
insights (rows without an organization of their own), a lower-case industry, and an
``as_of`` in the middle of a month. The issue's examples 1, 2, 3, 6, 7 and 9 are
checked where they concern these reports.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from bi_workbench import reports
from bi_workbench.domain import assessments_report, growth_report, market_report, users_orgs
from bi_workbench.errors import InvalidParameterError

REPORTS = (users_orgs, assessments_report, market_report, growth_report)

#: (table, time column, ownership, user column, own industry column): the tables whose latest row dates the data.
DATED = (
    ("users", "created_at", "members", "id", "industry"),
    ("organizations", "created_at", "self", "owner_id", None),
    ("organization_members", "joined_at", "row", "user_id", None),
    ("subscriptions", "created_at", "members", "user_id", None),
    ("assessments", "created_at", "row_or_members", "user_id", None),
    ("market_insights", "created_at", "row_or_members", "user_id", "industry"),
    ("business_trends", "created_at", "global", None, "industry"),
    ("growth_levers", "created_at", "row_or_members", "user_id", None),
    ("simulations", "created_at", "row_or_members", "user_id", None),
    ("events", "created_at", "row_or_members", "user_id", None),
    ("analytics_events", "created_at", "row_or_members", "user_id", None),
    ("user_sessions", "started_at", "members", "user_id", None),
    ("notifications", "created_at", "row_or_members", "user_id", None),
    ("team_messages", "created_at", "row", "sender_id", None),
    ("dashboard_widgets", "created_at", "row_or_members", "user_id", None),
)
MEMBER = ("EXISTS (SELECT 1 FROM organization_members m WHERE m.user_id = {row}.{user} "
          "AND m.organization_id = :org AND coalesce(lower(m.status), 'active') <> 'invited')")
OWNED = {
    "row": "{row}.organization_id = :org",
    "row_or_members": "({row}.organization_id = :org OR ({row}.organization_id IS NULL AND " + MEMBER + "))",
    "members": MEMBER,
    "self": "{row}.id = :org",
    "global": "true",
}
KEY = "lower(regexp_replace({column}, '\\s+', '', 'g'))"
PRICE = ("CASE lower(x.plan) || '/' || coalesce(lower(x.billing_cycle), 'monthly') "
         "WHEN 'starter/monthly' THEN 49 WHEN 'starter/annual' THEN 39 WHEN 'pro/monthly' THEN 199 "
         "WHEN 'pro/annual' THEN 159 WHEN 'enterprise/monthly' THEN 999 WHEN 'enterprise/annual' THEN 799 "
         "WHEN 'free/monthly' THEN 0 WHEN 'free/annual' THEN 0 END")
PAID = "coalesce(lower(x.plan), '') <> 'free'"
PAYING = PAID + " AND lower(x.status) IN ('active', 'past_due')"
LATEST_SCORE = ("LEFT JOIN LATERAL (SELECT s.overall_score, s.confidence_score FROM assessment_scores s "
                "WHERE s.assessment_id = x.id AND s.created_at < :cut "
                "ORDER BY s.created_at DESC NULLS LAST, s.id DESC LIMIT 1) s ON true")
#: metric -> (table, SELECT list over its selected rows ``x``, extra FROM, extra condition)
HEADLINE_SQL = {
    "users": ("users", "count(*)", "", "true"),
    "organizations": ("organizations", "count(*)", "", "true"),
    "memberships": ("organization_members", "count(*)", "", "coalesce(lower(x.status), 'active') <> 'invited'"),
    "paying_customers": ("subscriptions", "count(*)", "", PAYING),
    "mrr": ("subscriptions", f"coalesce(sum({PRICE}), 0)", "", PAYING),
    "arpa": ("subscriptions", f"avg({PRICE})", "", PAYING),
    "customer_churn_rate": ("subscriptions", "avg(CASE WHEN lower(x.status) = 'canceled' THEN 1.0 ELSE 0.0 END)",
                            "", PAID),
    "assessments": ("assessments", "count(*)", "", "true"),
    "completed_assessments": ("assessments", "count(*)", "", "lower(x.status) = 'completed'"),
    "scored_assessments": ("assessments", "count(s.overall_score)", LATEST_SCORE, "true"),
    "avg_overall_score": ("assessments", "avg(s.overall_score)", LATEST_SCORE, "true"),
    "avg_confidence": ("assessments", "avg(s.confidence_score)", LATEST_SCORE, "true"),
    "market_insights": ("market_insights", "count(*)", "", "true"),
    "business_trends": ("business_trends", "count(*)", "", "true"),
    "levers": ("growth_levers", "count(*)", "", "true"),
    "simulations": ("simulations", "count(*)", "", "true"),
}


def _dated(table: str):
    return next(d for d in DATED if d[0] == table)


def selected(table: str, org, industry, row: str = "x") -> str:
    """The hand-written condition that a row of ``table`` (alias ``row``) is in the selection (without the bound)."""
    _, _, ownership, user, own_industry = _dated(table)
    conditions = []
    if org is not None:
        conditions.append(OWNED[ownership].format(row=row, user=user))
    if industry is not None:
        if own_industry is not None:
            conditions.append(KEY.format(column=f"{row}.{own_industry}") + " = :key")
        elif user is not None:
            conditions.append(f"EXISTS (SELECT 1 FROM users u WHERE u.id = {row}.{user} AND "
                              + KEY.format(column="u.industry") + " = :key)")
    return " AND ".join(conditions) or "true"


def hand_cutoff(conn, org, industry, as_of) -> dt.datetime:
    """The bound by hand: the midnight after as_of, else after the latest day of any dated row in the selection."""
    if as_of is not None:
        return dt.datetime.combine(dt.date.fromisoformat(as_of), dt.time(), dt.timezone.utc) + dt.timedelta(days=1)
    latest = " UNION ALL ".join(f"SELECT max(x.{time}) AS t FROM {table} x WHERE {selected(table, org, industry)}"
                                for table, time, *_ in DATED)
    value = conn.execute(sa.text(f"SELECT (date_trunc('day', max(t) AT TIME ZONE 'UTC') + interval '1 day') "
                                 f"AT TIME ZONE 'UTC' FROM ({latest}) latest"), _binds(org, industry)).scalar()
    return value


def _binds(org, industry, cut=None) -> dict:
    return {"org": org, "key": None if industry is None else "".join(industry.split()).lower(), "cut": cut}


def hand_value(conn, metric: str, org, industry, cut):
    table, measure, join, extra = HEADLINE_SQL[metric]
    time = _dated(table)[1]
    statement = (f"SELECT {measure} FROM {table} x {join} "
                 f"WHERE x.{time} < :cut AND {selected(table, org, industry)} AND {extra}")
    value = conn.execute(sa.text(statement), _binds(org, industry, cut)).scalar()
    return None if value is None else float(value)


@pytest.fixture(scope="module")
def organization(demo_engine):
    """The organization whose members own the most migrated market insights, and that has migrated assessments."""
    with demo_engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT m.organization_id FROM market_insights i JOIN organization_members m ON m.user_id = i.user_id "
            "AND coalesce(lower(m.status), 'active') <> 'invited' WHERE i.organization_id IS NULL "
            "AND EXISTS (SELECT 1 FROM assessments a JOIN organization_members am ON am.user_id = a.user_id "
            "            WHERE a.organization_id IS NULL AND am.organization_id = m.organization_id) "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar()


SELECTIONS = ("organization", "industry", "as_of")


def params_of(which: str, organization) -> dict:
    params = {"organization_id": None, "industry": None, "since": None, "until": None, "as_of": None}
    params.update({"organization": {"organization_id": organization}, "industry": {"industry": "saas"},
                   "as_of": {"as_of": "2026-06-05"}}[which])
    return params


@pytest.mark.parametrize("which", SELECTIONS)
@pytest.mark.parametrize("report", REPORTS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_headline_number_agrees_with_hand_written_sql(demo_engine, organization, report, which):
    params = params_of(which, organization)
    org, industry = params["organization_id"], params["industry"]
    headlines = reports.headlines(report.HEADLINES, params, demo_engine)
    with demo_engine.connect() as conn:
        cut = hand_cutoff(conn, org, industry, params["as_of"])
        expected = {name: hand_value(conn, name, org, industry, cut) for name in report.HEADLINES}
    (recorded,) = {str(r["selection"]["as_of"]) for r in headlines.records}
    assert dt.datetime.fromisoformat(recorded) == cut
    for name in report.HEADLINES:
        assert headlines.value(name) == pytest.approx(expected[name], rel=1e-9, abs=1e-9), name


def test_the_selections_are_the_ones_the_issue_asks_for(demo_engine, organization):
    """Example 2: the organization's members own migrated insights and assessments, which its numbers count."""
    with demo_engine.connect() as conn:
        cut = hand_cutoff(conn, organization, None, None)
        migrated = {table: conn.execute(sa.text(
            f"SELECT count(*) FROM {table} x WHERE x.organization_id IS NULL AND x.created_at < :cut "
            f"AND {selected(table, organization, None)}"), _binds(organization, None, cut)).scalar()
            for table in ("market_insights", "assessments")}
    assert migrated["market_insights"] > 0 and migrated["assessments"] > 0
    params = params_of("organization", organization)
    counted = reports.headlines(["market_insights", "assessments"], params, demo_engine)
    assert counted.value("market_insights") >= migrated["market_insights"]
    assert counted.value("assessments") >= migrated["assessments"]
    assert dt.datetime.fromisoformat(params_of("as_of", None)["as_of"]).day == 5  # the middle of a month


def test_a_lower_case_industry_finds_customers_and_revenue(demo_engine):
    """Example 1: `industry saas` gives the SaaS users in 01 and non-zero customers and MRR in 04."""
    params = params_of("industry", None)
    users = reports.headlines(users_orgs.HEADLINES, params, demo_engine)
    growth = reports.headlines(growth_report.HEADLINES, params, demo_engine)
    assert users.value("users") == 75
    assert growth.value("paying_customers") > 0 and growth.value("mrr") > 0
    assert growth.value("paying_customers") == users.value("paying_customers")


def test_the_average_score_is_of_the_latest_score_of_each_assessment(demo_engine):
    """Example 3: per organization, 02's average score is over each assessment's latest score; averaging every
    stored score (superseded ones included) gives other numbers for some organizations."""
    differ = 0
    with demo_engine.connect() as conn:
        organizations = [r[0] for r in conn.execute(sa.text("SELECT id FROM organizations ORDER BY id"))]
        for org in organizations:
            cut = hand_cutoff(conn, org, None, None)
            latest = hand_value(conn, "avg_overall_score", org, None, cut)
            every = conn.execute(sa.text(
                "SELECT avg(s.overall_score) FROM assessment_scores s JOIN assessments x ON x.id = s.assessment_id "
                f"WHERE s.created_at < :cut AND {selected('assessments', org, None)}"), _binds(org, None, cut)).scalar()
            recorded = reports.headlines(["avg_overall_score"], {"organization_id": org}, demo_engine)
            assert recorded.value("avg_overall_score") == pytest.approx(latest), org
            bounds = assessments_report.selection(conn, {"organization_id": org})
            shown = assessments_report.overview(conn, bounds).set_index("measure")["value"]
            assert shown["mean score"] == (None if latest is None else round(latest, 2))
            differ += every is not None and abs(float(every) - latest) > 1e-6
    assert differ > 0


def test_customers_are_paid_plans_active_or_past_due(demo_engine):
    """Example 6: no free subscription is a customer, every past-due paid one is, in 01 and 04 alike."""
    with demo_engine.connect() as conn:
        free, past_due = conn.execute(sa.text(
            "SELECT count(*) FILTER (WHERE lower(plan) = 'free' AND status = 'active'), "
            "count(*) FILTER (WHERE lower(plan) <> 'free' AND status = 'past_due') FROM subscriptions")).one()
        bounds = growth_report.selection(conn, {})
        baseline = growth_report.subscription_baseline(conn, bounds)
        overview = users_orgs.overview(conn, users_orgs.selection(conn, {}))
    assert free > 0 and past_due > 0
    recorded = reports.headlines(["paying_customers", "mrr", "arpa"], {}, demo_engine)
    assert baseline["customers"] == recorded.value("paying_customers") == \
        dict(zip(overview["measure"], overview["value"]))["paying customers (at the end)"]
    assert baseline["arpa"] == round(recorded.value("arpa"), 2)
    assert recorded.value("arpa") == pytest.approx(recorded.value("mrr") / recorded.value("paying_customers"))


def test_levers_count_once_and_belong_to_their_own_organization_first(demo_engine):
    """Example 7: a lever with its own organization is credited to that one alone, one without to each of its
    user's organizations; the all-organizations total counts each lever once."""
    with demo_engine.connect() as conn:
        total, own = conn.execute(sa.text(
            "SELECT count(*), count(*) FILTER (WHERE organization_id IS NOT NULL) FROM growth_levers")).one()
        by_members = conn.execute(sa.text(
            "SELECT count(*) FROM growth_levers x JOIN organization_members m ON m.user_id = x.user_id "
            "AND coalesce(lower(m.status), 'active') <> 'invited' WHERE x.organization_id IS NULL")).scalar()
        organizations = [r[0] for r in conn.execute(sa.text("SELECT id FROM organizations ORDER BY id"))]
    assert reports.headlines(["levers"], {}, demo_engine).value("levers") == total
    per_organization = sum(reports.headlines(["levers"], {"organization_id": o}, demo_engine).value("levers")
                           for o in organizations)
    assert per_organization == own + by_members


@pytest.mark.parametrize("report", REPORTS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_a_typo_is_an_error_naming_the_known_values(demo_engine, report):
    """Example 9: `industry Spaceships` is one clear error naming the industries the data has, in every report."""
    with demo_engine.connect() as conn, pytest.raises(InvalidParameterError, match="Spaceships.*known industries:.*SaaS"):
        report.selection(conn, {"industry": "Spaceships"})
    with pytest.raises(InvalidParameterError, match="Spaceships"):
        reports.headlines(report.HEADLINES, {"industry": "Spaceships"}, demo_engine)
