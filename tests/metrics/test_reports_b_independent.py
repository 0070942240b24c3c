"""An independent check of reports 05, 06 and 07 (issue 10, Deliver 4): their numbers recomputed with plain SQL.

Every headline number of the three reports, and the retention, funnel and read-rate
tables they show, are recomputed here with hand-written SQL on the small demo data
(seed 42), without `bi_workbench.metrics`, for three selections: an organization
(the one whose members have the most assessment events without an organization of
their own), a lower-case industry ('saas') and an as_of in the middle of a month
(2026-06-05). The rules restated in SQL are those of DESIGN.md ("One definition of
every number"):

- a row belongs to its own organization, else to every organization its user is a
  member of (any membership status but 'invited');
- a row's industry is its own industry column where it has one, else its user's;
  industries compare lower case with all white space removed;
- every row is bounded by the as_of (the end of that UTC day) or, without one, by the
  end of the latest UTC day that has data in the selection.

The examples of the issue that concern these reports (1, 2, 4, 5) are tests at the end.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench import reports
from bi_workbench.domain import analytics, engagement_report, events_report, notifications_report

# entity: (table, time column, ownership, user column, own industry column) -- the platform's tables as they are
TABLES = {
    "user": ("users", "created_at", "members", "id", "industry"),
    "organization": ("organizations", "created_at", "self", "owner_id", None),
    "membership": ("organization_members", "joined_at", "row", "user_id", None),
    "subscription": ("subscriptions", "created_at", "members", "user_id", None),
    "assessment": ("assessments", "created_at", "row_or_members", "user_id", None),
    "market_insight": ("market_insights", "created_at", "row_or_members", "user_id", "industry"),
    "business_trend": ("business_trends", "created_at", "global", None, "industry"),
    "growth_lever": ("growth_levers", "created_at", "row_or_members", "user_id", None),
    "simulation": ("simulations", "created_at", "row_or_members", "user_id", None),
    "store_event": ("events", "created_at", "row_or_members", "user_id", None),
    "analytics_event": ("analytics_events", "created_at", "row_or_members", "user_id", None),
    "session": ("user_sessions", "started_at", "members", "user_id", None),
    "notification": ("notifications", "created_at", "row_or_members", "user_id", None),
    "team_message": ("team_messages", "created_at", "row", "sender_id", None),
    "widget": ("dashboard_widgets", "created_at", "row_or_members", "user_id", None),
}
# metric: (entity, SQL of its value over the rows x)
COUNTS = {
    "store_events": ("store_event", "count(*)"), "assessments": ("assessment", "count(*)"),
    "levers": ("growth_lever", "count(*)"), "simulations": ("simulation", "count(*)"),
    "active_users": ("analytics_event", "count(DISTINCT x.user_id)"), "events": ("analytics_event", "count(*)"),
    "sessions": ("session", "count(*)"), "widgets": ("widget", "count(*)"),
    "notifications": ("notification", "count(*)"),
    "notification_read_rate": ("notification", "avg(CASE WHEN x.is_read OR x.read_at IS NOT NULL THEN 1.0 ELSE 0 END)"),
    "team_messages": ("team_message", "count(*)"),
}
HEADLINES = {"05_events_audit": events_report.HEADLINES, "06_dashboard_analytics": engagement_report.HEADLINES,
             "07_notifications": notifications_report.HEADLINES}
MEMBER = ("EXISTS (SELECT 1 FROM organization_members m WHERE m.user_id = x.{user} AND m.organization_id = :org"
          " AND coalesce(lower(m.status), 'active') <> 'invited')")
KEY = "lower(regexp_replace({}, '\\s+', '', 'g'))"


def where(entity: str, selection: dict, *, cutoff=True) -> str:
    """The plain-SQL condition on rows ``x`` of ``entity`` for a selection (org, industry; the cutoff :cutoff)."""
    table, time, ownership, user, own_industry = TABLES[entity]
    clauses = [f"x.{time} < :cutoff"] if cutoff else []
    if selection.get("organization_id"):
        clauses.append({"row": "x.organization_id = :org", "self": "x.id = :org", "global": "true",
                        "members": MEMBER.format(user=user),
                        "row_or_members": f"(x.organization_id = :org OR (x.organization_id IS NULL AND "
                                          f"{MEMBER.format(user=user)}))"}[ownership])
    if selection.get("industry"):
        if own_industry:
            clauses.append(f"{KEY.format('x.' + own_industry)} = {KEY.format(':industry')}")
        else:
            clauses.append(f"x.{user} IN (SELECT u.id FROM users u WHERE {KEY.format('u.industry')} = "
                           f"{KEY.format(':industry')})")
    return " AND ".join(clauses) or "true"


def binds(selection: dict, cutoff) -> dict:
    return {"org": selection.get("organization_id"), "industry": selection.get("industry"), "cutoff": cutoff}


def expected_cutoff(conn, selection: dict) -> dt.datetime:
    """The end of the as_of day, else of the latest UTC day with a row in the selection."""
    if selection.get("as_of"):
        return dt.datetime.combine(dt.date.fromisoformat(selection["as_of"]), dt.time(), dt.timezone.utc) + \
            dt.timedelta(days=1)
    latest = " UNION ALL ".join(
        f"SELECT max(x.{time}) AS t FROM {table} x WHERE {where(entity, selection, cutoff=False)}"
        for entity, (table, time, *_rest) in TABLES.items())
    day = conn.execute(sa.text(f"SELECT CAST(max(t) AT TIME ZONE 'UTC' AS date) FROM ({latest}) s"),
                       binds(selection, None)).scalar_one()
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc) + dt.timedelta(days=1)


def count(conn, metric: str, selection: dict, cutoff) -> float:
    entity, value = COUNTS[metric]
    table = TABLES[entity][0]
    result = conn.execute(sa.text(f"SELECT {value} FROM {table} x WHERE {where(entity, selection)}"),
                          binds(selection, cutoff)).scalar_one()
    return float(result)


@pytest.fixture(scope="module")
def organization(demo_engine) -> str:
    """The organization whose members have the most assessment events that carry no organization."""
    with demo_engine.connect() as conn:
        return str(conn.execute(sa.text(
            "SELECT m.organization_id FROM events e JOIN organization_members m ON m.user_id = e.user_id"
            " WHERE e.aggregate_type = 'assessment' AND e.organization_id IS NULL"
            " AND coalesce(lower(m.status), 'active') <> 'invited'"
            " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar_one())


SELECTIONS = ["organization", "industry", "as_of"]


@pytest.fixture(params=SELECTIONS)
def selection(request, organization) -> dict:
    return {"organization": {"organization_id": organization}, "industry": {"industry": "saas"},
            "as_of": {"as_of": "2026-06-05"}}[request.param]


def params_of(selection: dict) -> dict:
    return {key: selection.get(key) for key in ("organization_id", "industry", "since", "until", "as_of")}


# --- headline numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("report", list(HEADLINES))
def test_every_headline_number_agrees_with_plain_sql(demo_engine, selection, report):
    shown = reports.headlines(HEADLINES[report], params_of(selection), demo_engine)
    with demo_engine.connect() as conn:
        cutoff = expected_cutoff(conn, selection)
        for name in HEADLINES[report]:
            assert shown.value(name) == pytest.approx(count(conn, name, selection, cutoff)), name
        assert analytics.report_bounds(conn, params_of(selection)).cutoff == cutoff
    assert all(shown.value(name) > 0 for name in HEADLINES[report])  # every selection has data for every number


# --- retention, funnel and read rates -----------------------------------------------------------------------


RETENTION_SQL = """
WITH cohort AS (
    SELECT x.id, date_trunc('month', x.created_at AT TIME ZONE 'UTC') AS c FROM users x WHERE {users}
), sizes AS (
    SELECT c, count(*) AS n FROM cohort GROUP BY c
), cells AS (
    SELECT s.c, s.n, k FROM sizes s CROSS JOIN generate_series(0, 12) AS k
    WHERE s.c + k * interval '1 month' < :cutoff_utc
), active AS (
    SELECT co.c, date_trunc('month', x.created_at AT TIME ZONE 'UTC') AS p, count(DISTINCT co.id) AS a
    FROM cohort co JOIN analytics_events x ON x.user_id = co.id WHERE {events} GROUP BY 1, 2
)
SELECT cells.c, cells.n, cells.k, coalesce(active.a, 0),
       CASE WHEN cells.c + (cells.k + 1) * interval '1 month' <= :cutoff_utc
            THEN CAST(coalesce(active.a, 0) AS float8) / cells.n END
FROM cells LEFT JOIN active ON active.c = cells.c AND active.p = cells.c + cells.k * interval '1 month'
ORDER BY cells.c, cells.k
"""


def test_retention_agrees_with_plain_sql(demo_engine, selection):
    with demo_engine.connect() as conn:
        cutoff = expected_cutoff(conn, selection)
        sql = RETENTION_SQL.format(users=where("user", selection), events=where("analytics_event", selection))
        expected = conn.execute(sa.text(sql), {**binds(selection, cutoff),
                                               "cutoff_utc": cutoff.replace(tzinfo=None)}).all()
        shown = engagement_report.retention_matrix(conn, analytics.report_bounds(conn, params_of(selection)))
    assert len(shown) == len(expected) > 0
    for row, (cohort, size, number, active, share) in zip(shown.itertuples(index=False), expected):
        assert (row.cohort, row.cohort_size, row.period_number, row.active_users) == (
            pd.Timestamp(cohort), size, number, active)
        assert (share is None and math.isnan(row.retention)) or row.retention == pytest.approx(share, abs=5e-5)


FUNNEL_SQL = """
WITH RECURSIVE entered AS (
    SELECT x.user_id, min(x.created_at) AS at FROM analytics_events x
    WHERE x.event_type = 'signup' AND x.user_id IS NOT NULL AND {events} GROUP BY x.user_id
), reached (user_id, step, at, entered) AS (
    SELECT user_id, 1, at, at FROM entered
    UNION ALL
    SELECT r.user_id, r.step + 1, nxt.at, r.entered FROM reached r
    CROSS JOIN LATERAL (
        SELECT min(x.created_at) AS at FROM analytics_events x
        WHERE x.user_id = r.user_id AND x.event_type = (CAST(:steps AS text[]))[r.step + 1] AND {events}
          AND x.created_at >= r.at AND x.created_at <= r.entered + interval '30 days'
          AND (x.created_at > r.at OR x.event_type <> (CAST(:steps AS text[]))[r.step])
    ) nxt
    WHERE r.step < cardinality(CAST(:steps AS text[])) AND nxt.at IS NOT NULL
)
SELECT s.k, count(r.user_id) FROM generate_series(1, cardinality(CAST(:steps AS text[]))) AS s (k)
LEFT JOIN reached r ON r.step = s.k GROUP BY s.k ORDER BY s.k
"""


def test_the_funnel_agrees_with_plain_sql(demo_engine, selection):
    with demo_engine.connect() as conn:
        cutoff = expected_cutoff(conn, selection)
        steps = list(analytics.DEFAULT_FUNNEL)
        expected = [n for _, n in conn.execute(sa.text(FUNNEL_SQL.format(events=where("analytics_event", selection))),
                                               {**binds(selection, cutoff), "steps": steps})]
        shown = engagement_report.funnel_steps(conn, analytics.report_bounds(conn, params_of(selection)))
    assert shown["step"].tolist() == steps
    assert shown["users"].tolist() == expected and expected[0] > 0
    assert shown["conversion_from_first"].tolist() == pytest.approx([round(n / expected[0], 4) for n in expected])


def test_read_rates_by_type_agree_with_plain_sql(demo_engine, selection):
    with demo_engine.connect() as conn:
        cutoff = expected_cutoff(conn, selection)
        expected = conn.execute(sa.text(
            "SELECT coalesce(nullif(btrim(x.type), ''), 'unknown') AS g, count(*),"
            " count(*) FILTER (WHERE x.is_read OR x.read_at IS NOT NULL) FROM notifications x"
            f" WHERE {where('notification', selection)} GROUP BY 1 ORDER BY 2 DESC, 1"), binds(selection, cutoff)).all()
        shown = notifications_report.read_rates(conn, analytics.report_bounds(conn, params_of(selection)), "type")
    assert [(r.group, r.sent, r.read) for r in shown.itertuples(index=False)] == [tuple(r) for r in expected]
    assert shown["read_rate"].tolist() == pytest.approx([round(read / sent, 4) for _, sent, read in expected])


# --- the examples of issue 10 --------------------------------------------------------------------------------


def test_example_1_an_industry_in_lower_case_finds_the_same_rows_in_every_section(demo_engine):
    with demo_engine.connect() as conn:
        frames = {}
        for spelling in ("SaaS", "saas", " SAAS "):
            bounds = analytics.report_bounds(conn, {"industry": spelling})
            frames[spelling] = [engagement_report.event_mix(conn, bounds), engagement_report.widgets_by_type(conn, bounds),
                                engagement_report.top_organizations(conn, bounds),
                                notifications_report.notifications_per_period(conn, bounds, "week"),
                                notifications_report.priority_mix(conn, bounds),
                                notifications_report.team_messages_by_organization(conn, bounds),
                                events_report.events_by_type(conn, bounds)]
    for frame in frames["saas"]:
        assert not frame.empty
    for spelling in ("saas", " SAAS "):
        for ours, theirs in zip(frames[spelling], frames["SaaS"]):
            pd.testing.assert_frame_equal(ours, theirs)


def test_example_2_an_organization_shows_its_members_assessment_events(demo_engine, organization):
    with demo_engine.connect() as conn:
        expected = conn.execute(sa.text(
            f"SELECT count(*) FROM events x WHERE x.aggregate_type = 'assessment' AND"
            f" {where('store_event', {'organization_id': organization}, cutoff=False)}"), {"org": organization}).scalar()
        bounds = analytics.report_bounds(conn, {"organization_id": organization})
        by_type = events_report.events_by_type(conn, bounds, "assessment")
    assert expected > 0 and by_type["events"].sum() == expected


def test_example_4_the_bound_is_stated_and_does_not_follow_the_client_time_zone(demo_engine):
    names = ["store_events", "widgets", "team_messages"]
    with demo_engine.connect() as conn:
        stamped = conn.execute(sa.text(  # rows of the last day, all stamped 2026-06-30 00:00 UTC
            "SELECT (SELECT count(*) FROM events WHERE created_at >= '2026-06-30 00:00+00'),"
            " (SELECT count(*) FROM dashboard_widgets WHERE created_at >= '2026-06-30 00:00+00'),"
            " (SELECT count(*) FROM team_messages WHERE created_at >= '2026-06-30 00:00+00')")).one()
        conn.exec_driver_sql("SET TIME ZONE 'Pacific/Kiritimati'")  # the client's zone does not move the bound
        far_east = analytics.report_bounds(conn, {})
    assert far_east.label == "data up to 2026-06-30 (end of day, UTC)"
    latest = reports.headlines(names, {}, demo_engine)
    day_before = reports.headlines(names, {"as_of": dt.date(2026, 6, 29)}, demo_engine)
    assert min(stamped) > 0
    assert [latest.value(n) - day_before.value(n) for n in names] == list(stamped)
    assert {r["selection"]["as_of_label"] for r in day_before.records} == {"data up to 2026-06-29 (end of day, UTC)"}


def test_example_5_periods_not_over_are_null_or_marked_never_zero(demo_engine):
    with demo_engine.connect() as conn:
        mid_june = analytics.report_bounds(conn, {"as_of": "2026-06-05"})
        cohorts = engagement_report.retention_matrix(conn, mid_june)
        weekly = engagement_report.activity(conn, analytics.report_bounds(conn, {}), "week")
        totals = notifications_report.period_totals(conn, analytics.report_bounds(conn, {}), "week")
    march = cohorts[cohorts["cohort"] == pd.Timestamp("2026-03-01")].set_index("period_number")
    assert math.isnan(march.loc[3, "retention"]) and not march.loc[3, "complete"]  # June is not over on 06-05
    assert march.loc[2, "complete"] and march.loc[2, "retention"] >= 0
    # the last week (from Monday 2026-06-29) holds one or two days of data: it is marked, not a collapse
    assert weekly["period"].iloc[-1] == pd.Timestamp("2026-06-29") and not weekly["complete"].iloc[-1]
    assert weekly["complete"].iloc[:-1].all()
    assert totals["period"].iloc[-1] == pd.Timestamp("2026-06-29") and not totals["complete"].iloc[-1]
