"""Report 06_dashboard_analytics: filters, hand-made data with numbers worked out by hand, the demo data, empty results.

The hand-made data (times UTC)::

    users    u1 (SaaS, org A), u2 (Retail, org A), u3 (SaaS, org B); org C has no members and no data;
             orgs D and E are both named "Twin" (slugs twin, twin-2).
    events   u1: 2025-01-06 page_view (web), 2025-01-07 page_view (mobile), 2025-02-03 signup (api), all org A;
             u2: 2025-01-08 page_view (web), org A;  u3: 2025-03-03 page_view (web), org B.
    widgets  u1: kpi_card active 2025-01-06, kpi_card inactive 2025-01-20, funnel active 2025-02-01 (org A);
             u3: funnel inactive 2025-03-01 (org B).
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.domain import analytics
from bi_workbench.domain import engagement_report as er
from bi_workbench.domain.engagement_report import ReportFilters
from bi_workbench.schema import tables as t

U1, U2, U3 = (uuid.UUID(int=i) for i in (1, 2, 3))
ORG_A, ORG_B, ORG_C, ORG_D, ORG_E = (uuid.UUID(int=i) for i in (101, 102, 103, 104, 105))
ALL = ReportFilters()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def hand(schema_database):
    """An Engine on a schema database holding the hand-made data of the module docstring."""
    with schema_database.begin() as conn:
        conn.execute(t.users.insert(), [
            {"id": u, "email": f"{n}@example.com", "first_name": "U", "last_name": n, "industry": i,
             "created_at": at(c)}
            for u, n, i, c in [(U1, "u1", "SaaS", "2025-01-06 09:00"), (U2, "u2", "Retail", "2025-01-08 09:00"),
                               (U3, "u3", "SaaS", "2025-03-03 09:00")]
        ])
        conn.execute(t.organizations.insert(), [
            {"id": ORG_A, "name": "A", "slug": "a"}, {"id": ORG_B, "name": "B", "slug": "b"},
            {"id": ORG_C, "name": "C", "slug": "c"}, {"id": ORG_D, "name": "Twin", "slug": "twin"},
            {"id": ORG_E, "name": "Twin", "slug": "twin-2"},
        ])
        conn.execute(t.organization_members.insert(), [
            {"organization_id": ORG_A, "user_id": U1, "role": "owner"},
            {"organization_id": ORG_A, "user_id": U2, "role": "member"},
            {"organization_id": ORG_B, "user_id": U3, "role": "owner"},
        ])
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
    return schema_database


@pytest.fixture
def demo(demo_engine):
    """The small demo database (seed 42), shared by the session."""
    return demo_engine


# --- filters ----------------------------------------------------------------------------------------


def test_filters_make_inclusive_days_a_half_open_range_capped_by_as_of():
    f = ReportFilters.from_params({"organization_id": str(ORG_A), "industry": " SaaS ", "since": date(2025, 1, 1),
                                   "until": date(2025, 1, 31), "as_of": None})
    assert f == ReportFilters(ORG_A, "SaaS", date(2025, 1, 1), date(2025, 2, 1), None)
    capped = ReportFilters.from_params({"since": None, "until": date(2025, 3, 31), "as_of": date(2025, 2, 10)})
    assert capped.end == date(2025, 2, 11) and capped.as_of == date(2025, 2, 10)
    assert ReportFilters.from_params({"as_of": date(2025, 2, 10)}).end == date(2025, 2, 11)
    assert ReportFilters.from_params({}) == ALL and not ALL.selects_nothing


def test_an_as_of_before_since_selects_nothing():
    f = ReportFilters.from_params({"since": date(2025, 3, 1), "until": None, "as_of": date(2025, 1, 1)})
    assert f.selects_nothing
    assert ReportFilters.from_params({"industry": "  "}).industry is None


# --- hand-made data -------------------------------------------------------------------------------------


def test_event_mix_counts_events_users_and_sources(hand):
    with hand.connect() as conn:
        mix = er.event_mix(conn, ALL)
    assert mix.to_dict("records") == [
        {"event_type": "page_view", "events": 4, "users": 3, "share": 0.8, "web": 3, "mobile": 1, "api": 0,
         "other_sources": 0},
        {"event_type": "signup", "events": 1, "users": 1, "share": 0.2, "web": 0, "mobile": 0, "api": 1,
         "other_sources": 0},
    ]


def test_event_mix_honours_organization_industry_and_days(hand):
    with hand.connect() as conn:
        org_b = er.event_mix(conn, ReportFilters(organization_id=ORG_B))
        retail = er.event_mix(conn, ReportFilters(industry="Retail"))
        january = er.event_mix(conn, ReportFilters(start=date(2025, 1, 7), end=date(2025, 2, 1)))
    assert org_b[["event_type", "events"]].values.tolist() == [["page_view", 1]]
    assert retail[["event_type", "events", "users"]].values.tolist() == [["page_view", 1, 1]]
    assert january[["event_type", "events", "users"]].values.tolist() == [["page_view", 2, 2]]


def test_widgets_by_type_counts_active_share(hand):
    with hand.connect() as conn:
        widgets = er.widgets_by_type(conn, ALL)
        saas_a = er.widgets_by_type(conn, ReportFilters(organization_id=ORG_A, industry="SaaS"))
    assert widgets.to_dict("records") == [
        {"widget_type": "funnel", "widgets": 2, "active": 1, "inactive": 1, "active_share": 0.5, "users": 2},
        {"widget_type": "kpi_card", "widgets": 2, "active": 1, "inactive": 1, "active_share": 0.5, "users": 1},
    ]
    assert saas_a.set_index("widget_type")["widgets"].to_dict() == {"kpi_card": 2, "funnel": 1}


def test_activity_and_funnel_come_from_the_analytics_functions(hand):
    with hand.connect() as conn:
        weekly = er.activity(conn, ALL, "week")
        expected = analytics.active_users(conn, "week")
        steps = er.funnel_steps(conn, ALL, ["signup", "page_view"])
    pd.testing.assert_frame_equal(weekly, expected)
    assert steps["users"].tolist() == [1, 0]


def test_activity_funnel_retention_and_sessions_apply_the_industry_of_the_user(hand):
    retail, saas = ReportFilters(industry="Retail"), ReportFilters(industry="SaaS")
    with hand.connect() as conn:
        weekly = er.activity(conn, retail, "week")  # u2's one page view
        steps = er.funnel_steps(conn, retail, ["signup", "page_view"])
        saas_steps = er.funnel_steps(conn, saas, ["signup", "page_view"])
        cohorts = er.retention_matrix(conn, retail, periods=1)
        saas_cohorts = er.retention_matrix(conn, saas, periods=0)
        sessions = er.session_lengths_by(conn, retail)
    assert weekly[["active_users", "events"]].values.tolist() == [[1, 1]]
    assert weekly["period"].tolist() == [pd.Timestamp("2025-01-06", tz="UTC")]
    assert steps["users"].tolist() == [0, 0] and saas_steps["users"].tolist() == [1, 0]
    assert cohorts[["cohort_size", "period_number", "active_users"]].values.tolist() == [[1, 0, 1], [1, 1, 0]]
    assert saas_cohorts[["cohort_size", "active_users"]].values.tolist() == [[1, 1], [1, 1]]  # u1 (Jan), u3 (Mar)
    assert sessions.empty


def test_top_organizations_rank_the_read_model_and_keep_slugs_apart(hand):
    with hand.connect() as conn:
        top = er.top_organizations(conn, ALL)
        saas = er.top_organizations(conn, ReportFilters(industry="Retail"))
    assert top["organization"].tolist() == ["A", "B", "C", "Twin", "Twin"]  # no activity yet: by name, then slug
    assert top["slug"].tolist() == ["a", "b", "c", "twin", "twin-2"]
    assert top.loc[0, "members"] == 2 and top.loc[0, "last_activity"] == "2025-02-03"
    assert pd.isna(top.loc[2, "last_activity"]) and math.isnan(top.loc[2, "avg_assessment_score"])
    assert saas["organization"].tolist() == ["A"]
    with hand.connect() as conn:
        assert len(er.top_organizations(conn, ALL, n=2)) == 2


def test_retention_summary_pivots_the_latest_cohorts():
    long = pd.DataFrame({
        "cohort": pd.to_datetime(["2025-01-01"] * 3 + ["2025-02-01"] * 2, utc=True),
        "cohort_size": [4, 4, 4, 2, 2],
        "period_number": [0, 1, 2, 0, 1],
        "active_users": [4, 2, 1, 2, 1],
        "retention": [1.0, 0.5, 0.25, 1.0, 0.5],
    })
    summary = er.retention_summary(long, months=(1, 2))
    assert summary.columns.tolist() == ["cohort", "cohort_size", "month_1", "month_2"]
    assert summary["cohort"].tolist() == ["2025-01-01", "2025-02-01"]
    assert summary["month_1"].tolist() == [0.5, 0.5]
    assert summary.loc[0, "month_2"] == 0.25 and np.isnan(summary.loc[1, "month_2"])
    assert er.retention_summary(long, months=(1,), n=1)["cohort"].tolist() == ["2025-02-01"]


def test_latest_periods_keeps_the_last_rows_oldest_first_as_dates():
    frame = pd.DataFrame({"period": pd.to_datetime(["2025-01-13", "2025-01-06", "2025-01-20"], utc=True),
                          "rate": [0.123456, 0.5, 1 / 3]})
    out = er.latest_periods(frame, 2)
    assert out["period"].tolist() == ["2025-01-13", "2025-01-20"]
    assert out["rate"].tolist() == [0.1235, 0.3333]


# --- empty results ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("filters", [ALL, ReportFilters(start=date(2025, 3, 1), end=date(2025, 1, 1))],
                         ids=["no data", "empty range"])
def test_every_function_gives_empty_frames_with_their_columns(schema_database, filters):
    with schema_database.connect() as conn:
        frames = {
            "activity": er.activity(conn, filters, "month"),
            "mix": er.event_mix(conn, filters),
            "retention": er.retention_matrix(conn, filters),
            "sessions": er.session_lengths_by(conn, filters),
            "widgets": er.widgets_by_type(conn, filters),
            "organizations": er.top_organizations(conn, filters),
        }
        steps = er.funnel_steps(conn, filters)
    for name, frame in frames.items():
        assert frame.empty, name
    assert frames["mix"].columns.tolist() == list(er.EVENT_MIX_COLUMNS)
    assert frames["sessions"].columns.tolist() == list(er.SESSION_COLUMNS)
    assert steps["step"].tolist() == list(analytics.DEFAULT_FUNNEL) and steps["users"].eq(0).all()
    assert er.retention_summary(frames["retention"]).empty
    assert er.latest_periods(frames["activity"]).empty


def test_an_organization_without_data_gives_empty_frames(hand):
    only_c = ReportFilters(organization_id=ORG_C)
    with hand.connect() as conn:
        assert er.activity(conn, only_c, "week").empty
        assert er.event_mix(conn, only_c).empty
        assert er.widgets_by_type(conn, only_c).empty
        assert er.session_lengths_by(conn, only_c).empty
        assert er.top_organizations(conn, only_c)["organization"].tolist() == ["C"]


# --- the demo data ------------------------------------------------------------------------------------------


def test_on_the_demo_data_the_sections_agree_with_the_tables(demo):
    with demo.connect() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM analytics_events")).scalar()
        widgets = conn.execute(sa.text("SELECT count(*) FROM dashboard_widgets")).scalar()
        weekly = er.activity(conn, ALL, "week")
        mix = er.event_mix(conn, ALL)
        steps = er.funnel_steps(conn, ALL)
        cohorts = er.retention_matrix(conn, ALL)
        sessions = er.session_lengths_by(conn, ALL)
        by_type = er.widgets_by_type(conn, ALL)
        top = er.top_organizations(conn, ALL)
    assert weekly["events"].sum() == events == mix["events"].sum()
    assert mix["events"].is_monotonic_decreasing and math.isclose(mix["share"].sum(), 1.0, abs_tol=1e-3)
    assert steps["step"].tolist() == list(analytics.DEFAULT_FUNNEL) and steps["users"].is_monotonic_decreasing
    assert not cohorts.empty and cohorts["retention"].between(0, 1).all()
    assert sessions["dimension"].unique().tolist() == ["device", "source"]
    assert sessions.groupby("dimension")["sessions"].sum().nunique() == 1  # each dimension splits the same sessions
    assert by_type["widgets"].sum() == widgets
    assert len(top) == er.TABLE_ROWS and top["activity"].is_monotonic_decreasing
    assert (top["activity"] == top["assessments"] + top["growth_levers"] + top["simulations"]).all()


def test_on_the_demo_data_filters_narrow_the_sections(demo):
    with demo.connect() as conn:
        org = conn.execute(sa.text("SELECT organization_id FROM analytics_events WHERE organization_id IS NOT NULL "
                                   "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar()
        everything = er.event_mix(conn, ALL)["events"].sum()
        one_org = er.event_mix(conn, ReportFilters(organization_id=org))["events"].sum()
        saas = er.event_mix(conn, ReportFilters(industry="SaaS"))["events"].sum()
        year = ReportFilters.from_params({"since": date(2025, 1, 1), "until": date(2025, 12, 31)})
        monthly = er.activity(conn, year, "month")
    assert 0 < one_org < everything and 0 < saas < everything
    assert monthly["period"].dt.strftime("%Y-%m").tolist() == [f"2025-{m:02d}" for m in range(1, 13)]
