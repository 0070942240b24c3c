"""Report 06_dashboard_analytics on the metrics layer: hand-made data with numbers worked out by hand, the demo data.

The hand-made data (times UTC)::

    users    u1 (SaaS, org A), u2 (Retail, org A), u3 (SaaS, org B); org C has no members and no data;
             orgs D and E are both named "Twin" (slugs twin, twin-2).
    events   u1: 2025-01-06 page_view (web), 2025-01-07 page_view (mobile), 2025-02-03 signup (api), all org A;
             u2: 2025-01-08 page_view (web), org A;  u3: 2025-03-03 page_view (web), org B.
    widgets  u1: kpi_card active 2025-01-06, kpi_card inactive 2025-01-20, funnel active 2025-02-01 (org A);
             u3: funnel inactive 2025-03-01 (org B).
    assessments  u1 without an organization (2025-01-10; scored 3.0, then 4.0: the latest counts), u3 of org B
             (2025-03-02, scored 2.0), u1 of org D (2025-01-11) and of org E (2025-01-12).
    levers   u2 of org A (2025-01-15), u1 without an organization (2025-01-16).
    simulations  u3 without an organization (2025-03-02).

Without an as_of the bound is the end of 2025-03-03, the latest day with data.
"""

from __future__ import annotations

import math
import uuid
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench import metrics, reports
from bi_workbench.domain import analytics
from bi_workbench.domain import engagement_report as er
from bi_workbench.errors import InvalidParameterError
from bi_workbench.schema import tables as t
from tests.domain.people import at, insert_people

U1, U2, U3 = (uuid.UUID(int=i) for i in (1, 2, 3))
ORG_A, ORG_B, ORG_C, ORG_D, ORG_E = (uuid.UUID(int=i) for i in (101, 102, 103, 104, 105))
A1, A2, A3, A4 = (uuid.UUID(int=i) for i in (201, 202, 203, 204))


def sel(conn, **params):
    """The report's selection of ``params``, resolved once."""
    return analytics.report_bounds(conn, params)


@pytest.fixture
def hand(schema_database):
    """An Engine on a schema database holding the hand-made data of the module docstring."""
    with schema_database.begin() as conn:
        insert_people(conn,
                      [(U1, "u1", "SaaS", "2025-01-06 09:00"), (U2, "u2", "Retail", "2025-01-08 09:00"),
                       (U3, "u3", "SaaS", "2025-03-03 09:00")],
                      [(ORG_A, "A", "a"), (ORG_B, "B", "b"), (ORG_C, "C", "c"), (ORG_D, "Twin", "twin"),
                       (ORG_E, "Twin", "twin-2")],
                      [(ORG_A, U1, "owner"), (ORG_A, U2, "member"), (ORG_B, U3, "owner")])
        conn.execute(t.analytics_events.insert(), [
            {"user_id": u, "organization_id": o, "event_type": e, "source": s, "created_at": at(c)}
            for u, o, e, s, c in [
                (U1, ORG_A, "page_view", "web", "2025-01-06 10:00"),
                (U1, ORG_A, "page_view", "mobile", "2025-01-07 10:00"),
                (U1, ORG_A, "signup", "api", "2025-02-03 10:00"),
                (U2, ORG_A, "page_view", "web", "2025-01-08 10:00"),
                (U3, ORG_B, "page_view", "web", "2025-03-03 10:00"),
            ]
        ])
        conn.execute(t.dashboard_widgets.insert(), [
            {"user_id": u, "organization_id": o, "widget_type": w, "is_active": a, "created_at": at(c)}
            for u, o, w, a, c in [
                (U1, ORG_A, "kpi_card", True, "2025-01-06 10:00"),
                (U1, ORG_A, "kpi_card", False, "2025-01-20 10:00"),
                (U1, ORG_A, "funnel", True, "2025-02-01 10:00"),
                (U3, ORG_B, "funnel", False, "2025-03-01 10:00"),
            ]
        ])
        conn.execute(t.assessments.insert(), [
            {"id": i, "user_id": u, "organization_id": o, "assessment_type": "growth", "created_at": at(c)}
            for i, u, o, c in [(A1, U1, None, "2025-01-10 10:00"), (A2, U3, ORG_B, "2025-03-02 10:00"),
                               (A3, U1, ORG_D, "2025-01-11 10:00"), (A4, U1, ORG_E, "2025-01-12 10:00")]
        ])
        conn.execute(t.assessment_scores.insert(), [
            {"assessment_id": i, "overall_score": v, "created_at": at(c)}
            for i, v, c in [(A1, 3.0, "2025-01-10 11:00"), (A1, 4.0, "2025-01-11 11:00"), (A2, 2.0, "2025-03-02 11:00")]
        ])
        conn.execute(t.growth_levers.insert(), [
            {"user_id": u, "organization_id": o, "levers": ["pricing"], "created_at": at(c)}
            for u, o, c in [(U2, ORG_A, "2025-01-15 10:00"), (U1, None, "2025-01-16 10:00")]
        ])
        conn.execute(t.simulations.insert().values(user_id=U3, organization_id=None, simulation_type="growth",
                                                   input_data={}, created_at=at("2025-03-02 10:00")))
    return schema_database


@pytest.fixture
def demo(demo_engine):
    """The small demo database (seed 42), shared by the session."""
    return demo_engine


# --- hand-made data -------------------------------------------------------------------------------------


def test_event_mix_counts_events_users_and_sources(hand):
    with hand.connect() as conn:
        mix = er.event_mix(conn, sel(conn))
    assert mix.to_dict("records") == [
        {"event_type": "page_view", "events": 4, "users": 3, "share": 0.8, "web": 3, "mobile": 1, "api": 0,
         "other_sources": 0},
        {"event_type": "signup", "events": 1, "users": 1, "share": 0.2, "web": 0, "mobile": 0, "api": 1,
         "other_sources": 0},
    ]


def test_event_mix_spells_types_and_sources_as_the_metrics_do_so_the_findings_agree(hand):
    with hand.begin() as conn:
        conn.execute(t.analytics_events.insert(), [
            {"user_id": U2, "organization_id": ORG_A, "event_type": e, "source": s, "created_at": at("2025-01-09 10:00")}
            for e, s in [(" Page_View", "Web "), ("PAGE_VIEW", "API"), ("signup ", None), ("signup", "kiosk")]])
    with hand.connect() as conn:
        bounds = sel(conn)
        mix = er.event_mix(conn, bounds)
        queried = metrics.query("events", by="event_type", engine=conn, bounds=bounds)
        headline = reports.headlines(er.HEADLINES, {}, conn, bounds=bounds)
        told = reports.key_findings(headline, conn, bounds, share=er.SHARE).sentences[-1]
    assert mix[["event_type", "events"]].values.tolist() == [["page_view", 6], ["signup", 3]]
    assert dict(zip(mix["event_type"], mix["events"])) == dict(zip(queried["event_type"], queried["events"]))
    assert mix[["web", "mobile", "api", "other_sources"]].values.tolist() == [[4, 1, 1, 0], [0, 0, 1, 2]]
    assert reports.key_findings(headline, share=er.SHARE, breakdown=mix).sentences[-1] == told
    assert told == "The largest event type is page_view, with 66.7% of events (6 of 9)."


def test_event_mix_honours_organization_industry_and_inclusive_days(hand):
    with hand.connect() as conn:
        org_b = er.event_mix(conn, sel(conn, organization_id=ORG_B))
        retail = er.event_mix(conn, sel(conn, industry="retail"))  # lower case: the same industry
        january = er.event_mix(conn, sel(conn, since=date(2025, 1, 7), until=date(2025, 1, 31)))
    assert org_b[["event_type", "events"]].values.tolist() == [["page_view", 1]]
    assert retail[["event_type", "events", "users"]].values.tolist() == [["page_view", 1, 1]]
    assert january[["event_type", "events", "users"]].values.tolist() == [["page_view", 2, 2]]


def test_widgets_by_type_counts_active_share(hand):
    with hand.connect() as conn:
        widgets = er.widgets_by_type(conn, sel(conn))
        saas_a = er.widgets_by_type(conn, sel(conn, organization_id=ORG_A, industry=" saas "))
    assert widgets.to_dict("records") == [
        {"widget_type": "funnel", "widgets": 2, "active": 1, "inactive": 1, "active_share": 0.5, "users": 2},
        {"widget_type": "kpi_card", "widgets": 2, "active": 1, "inactive": 1, "active_share": 0.5, "users": 1},
    ]
    assert saas_a.set_index("widget_type")["widgets"].to_dict() == {"kpi_card": 2, "funnel": 1}


def test_activity_and_funnel_come_from_the_analytics_functions(hand):
    with hand.connect() as conn:
        bounds = sel(conn)
        weekly = er.activity(conn, bounds, "week")
        expected = analytics.active_users(conn, "week")
        steps = er.funnel_steps(conn, bounds, ["signup", "page_view"])
    pd.testing.assert_frame_equal(weekly, expected)
    assert steps["users"].tolist() == [1, 0]
    # the week of 2025-03-03 runs past the bound (end of 2025-03-03): marked, so a chart does not read it as a drop
    assert weekly["complete"].tolist() == [True] * (len(weekly) - 1) + [False]


def test_activity_funnel_retention_and_sessions_apply_the_industry_of_the_user(hand):
    with hand.connect() as conn:
        retail, saas = sel(conn, industry="Retail"), sel(conn, industry="SaaS")
        weekly = er.activity(conn, retail, "week")  # u2's one page view
        steps = er.funnel_steps(conn, retail, ["signup", "page_view"])
        saas_steps = er.funnel_steps(conn, saas, ["signup", "page_view"])
        cohorts = er.retention_matrix(conn, retail, periods=1)
        saas_cohorts = er.retention_matrix(conn, saas, periods=0)
        sessions = er.session_lengths_by(conn, retail)
    assert weekly[["active_users", "events"]].values.tolist() == [[1, 1]]
    assert weekly["period"].tolist() == [pd.Timestamp("2025-01-06")]
    assert steps["users"].tolist() == [0, 0] and saas_steps["users"].tolist() == [1, 0]
    # Retail's latest row is u2's lever of 2025-01-15: January is not over at that bound, February not begun.
    assert retail.label == "data up to 2025-01-15 (end of day, UTC)"
    assert cohorts[["cohort_size", "period_number", "active_users"]].values.tolist() == [[1, 0, 1]]
    assert cohorts["complete"].tolist() == [False] and math.isnan(cohorts["retention"].iloc[0])
    assert saas_cohorts[["cohort_size", "active_users"]].values.tolist() == [[1, 1], [1, 1]]  # u1 (Jan), u3 (Mar)
    assert sessions.empty


def test_top_organizations_follow_the_ownership_rule_and_keep_slugs_apart(hand):
    with hand.connect() as conn:
        top = er.top_organizations(conn, sel(conn))
        retail = er.top_organizations(conn, sel(conn, industry="Retail"))
        only_b = er.top_organizations(conn, sel(conn, organization_id=ORG_B))
        two = er.top_organizations(conn, sel(conn), n=2)
    # A: u1's assessment without an organization (u1 is A's member), u2's lever of A and u1's lever without one;
    # B: u3's assessment of B and simulation without one; D and E: one assessment each, of their own.
    assert top[["organization", "slug", "members", "assessments", "growth_levers", "simulations",
                "activity"]].values.tolist() == [
        ["A", "a", 2, 1, 2, 0, 3], ["B", "b", 1, 1, 0, 1, 2], ["Twin", "twin", 0, 1, 0, 0, 1],
        ["Twin", "twin-2", 0, 1, 0, 0, 1]]
    assert top["avg_assessment_score"].tolist()[:2] == [4.0, 2.0]  # the latest score of each assessment
    assert math.isnan(top["avg_assessment_score"].iloc[2])
    assert retail["organization"].tolist() == ["A"] and retail["growth_levers"].tolist() == [1]
    assert only_b["organization"].tolist() == ["B"]
    assert two["slug"].tolist() == ["a", "b"]


def test_retention_summary_pivots_the_latest_cohorts():
    long = pd.DataFrame({
        "cohort": pd.to_datetime(["2025-01-01"] * 3 + ["2025-02-01"] * 2),
        "cohort_size": [4, 4, 4, 2, 2],
        "period_number": [0, 1, 2, 0, 1],
        "active_users": [4, 2, 1, 2, 1],
        "retention": [1.0, 0.5, 0.25, 1.0, np.nan],  # February's month 1 is not over
        "complete": [True, True, True, True, False],
    })
    summary = er.retention_summary(long, months=(1, 2))
    assert summary.columns.tolist() == ["cohort", "cohort_size", "month_1", "month_2"]
    assert summary["cohort"].tolist() == ["2025-01-01", "2025-02-01"]
    assert summary["month_1"].tolist()[0] == 0.5 and np.isnan(summary["month_1"].iloc[1])
    assert summary.loc[0, "month_2"] == 0.25 and np.isnan(summary.loc[1, "month_2"])
    assert er.retention_summary(long, months=(1,), n=1)["cohort"].tolist() == ["2025-02-01"]


def test_latest_periods_keeps_the_last_rows_oldest_first_as_dates():
    frame = pd.DataFrame({"period": pd.to_datetime(["2025-01-13", "2025-01-06", "2025-01-20"]),
                          "rate": [0.123456, 0.5, 1 / 3]})
    out = er.latest_periods(frame, 2)
    assert out["period"].tolist() == ["2025-01-13", "2025-01-20"]
    assert out["rate"].tolist() == [0.1235, 0.3333]


# --- bad selections and empty results ---------------------------------------------------------------------


def test_an_unknown_industry_or_organization_stops_the_report(hand):
    with hand.connect() as conn:
        with pytest.raises(InvalidParameterError, match="known industries: Retail, SaaS"):
            sel(conn, industry="Spaceships")
        with pytest.raises(InvalidParameterError, match="no organization"):
            sel(conn, organization_id=uuid.UUID(int=999))


@pytest.mark.parametrize("params", [{}, {"since": date(2025, 3, 1), "as_of": date(2025, 1, 1)}],
                         ids=["no data", "as_of before since"])
def test_every_function_gives_empty_frames_with_their_columns(schema_database, params):
    with schema_database.connect() as conn:
        bounds = sel(conn, **params)
        frames = {
            "activity": er.activity(conn, bounds, "month"),
            "mix": er.event_mix(conn, bounds),
            "retention": er.retention_matrix(conn, bounds),
            "sessions": er.session_lengths_by(conn, bounds),
            "widgets": er.widgets_by_type(conn, bounds),
            "organizations": er.top_organizations(conn, bounds),
        }
        steps = er.funnel_steps(conn, bounds)
    for name, frame in frames.items():
        assert frame.empty, name
    assert frames["mix"].columns.tolist() == list(er.EVENT_MIX_COLUMNS)
    assert frames["sessions"].columns.tolist() == list(er.SESSION_COLUMNS)
    assert frames["organizations"].columns.tolist() == list(er.ORGANIZATION_COLUMNS)
    assert steps["step"].tolist() == list(analytics.DEFAULT_FUNNEL) and steps["users"].eq(0).all()
    assert er.retention_summary(frames["retention"]).empty
    assert er.latest_periods(frames["activity"]).empty


def test_an_organization_without_data_gives_empty_frames(hand):
    with hand.connect() as conn:
        only_c = sel(conn, organization_id=ORG_C)
        assert er.activity(conn, only_c, "week").empty
        assert er.event_mix(conn, only_c).empty
        assert er.widgets_by_type(conn, only_c).empty
        assert er.session_lengths_by(conn, only_c).empty
        assert er.top_organizations(conn, only_c).empty


# --- the demo data ------------------------------------------------------------------------------------------


def test_on_the_demo_data_the_sections_agree_with_the_tables(demo):
    with demo.connect() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM analytics_events")).scalar()
        widgets = conn.execute(sa.text("SELECT count(*) FROM dashboard_widgets")).scalar()
        bounds = sel(conn)
        weekly = er.activity(conn, bounds, "week")
        mix = er.event_mix(conn, bounds)
        steps = er.funnel_steps(conn, bounds)
        cohorts = er.retention_matrix(conn, bounds)
        sessions = er.session_lengths_by(conn, bounds)
        by_type = er.widgets_by_type(conn, bounds)
        top = er.top_organizations(conn, bounds)
    assert weekly["events"].sum() == events == mix["events"].sum()
    assert mix["events"].is_monotonic_decreasing and math.isclose(mix["share"].sum(), 1.0, abs_tol=1e-3)
    assert steps["step"].tolist() == list(analytics.DEFAULT_FUNNEL) and steps["users"].is_monotonic_decreasing
    assert not cohorts.empty and cohorts["retention"].dropna().between(0, 1).all()
    assert sessions["dimension"].unique().tolist() == ["device", "source"]
    assert sessions.groupby("dimension")["sessions"].sum().nunique() == 1  # each dimension splits the same sessions
    assert by_type["widgets"].sum() == widgets
    assert len(top) == er.TABLE_ROWS and top["activity"].is_monotonic_decreasing
    assert (top["activity"] == top["assessments"] + top["growth_levers"] + top["simulations"]).all()


def test_on_the_demo_data_filters_narrow_the_sections(demo):
    with demo.connect() as conn:
        org = conn.execute(sa.text("SELECT organization_id FROM analytics_events WHERE organization_id IS NOT NULL "
                                   "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar()
        everything = er.event_mix(conn, sel(conn))["events"].sum()
        one_org = er.event_mix(conn, sel(conn, organization_id=org))["events"].sum()
        saas = er.event_mix(conn, sel(conn, industry="saas"))["events"].sum()
        monthly = er.activity(conn, sel(conn, since=date(2025, 1, 1), until=date(2025, 12, 31)), "month")
    assert 0 < one_org < everything and 0 < saas < everything
    assert monthly["period"].dt.strftime("%Y-%m").tolist() == [f"2025-{m:02d}" for m in range(1, 13)]
