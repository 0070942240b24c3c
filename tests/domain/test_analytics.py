"""Analytics on the metrics layer: hand-made data with numbers worked out by hand, the demo data, empty results, bad input.

Without an as_of, the bound is the end of the latest day with data: the business trend of 2025-03-15, so
every row up to 2025-03-15 23:59:59 UTC counts, and March 2025 (and the week of 2025-03-10) is not over.

The hand-made data (times UTC; ISO weeks start on Monday)::

    users   u1 signs up Mon 2025-01-06, u2 Mon 2025-01-20 (both org A), u3 Mon 2025-02-03 (org B);
            org C has no members and no data. Industries: u1 'SaaS', u2 ' fintech ', u3 'Fintech'.
    events  u1 (org A): 01-06 10:00 signup, 01-06 10:05 assessment_started, 01-07 09:00 assessment_completed,
                        01-15 11:00 page_view, 02-10 08:00 report_viewed, 03-03 08:00 page_view
            u2 (org A): 01-20 09:00 signup, 01-20 09:30 assessment_completed (before it started),
                        01-21 10:00 assessment_started, 03-05 10:00 assessment_completed (44 days after signup)
            u3 (org B): 02-03 12:00 signup, 12:10 assessment_started, 12:20 assessment_completed, 03-10 09:00 page_view
            anonymous:  01-08 page_view (no user, no organization)
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.domain import analytics
from bi_workbench.domain.analytics import (
    active_users, funnel, market_by_industry, notification_read_rates, retention, sentiment_by_industry,
    session_lengths, top_news, trend_counts,
)
from bi_workbench.errors import InvalidParameterError
from bi_workbench.schema import tables as t

U1, U2, U3 = (uuid.UUID(int=i) for i in (1, 2, 3))
ORG_A, ORG_B, ORG_C = (uuid.UUID(int=i) for i in (101, 102, 103))
S1, S2, S3, S4, S5, S6 = (uuid.UUID(int=i) for i in range(201, 207))
STEPS = ["signup", "assessment_started", "assessment_completed"]


def at(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def period(text: str) -> pd.Timestamp:
    """A period start as the metrics layer gives it: naive UTC."""
    return pd.Timestamp(text)


def insert_hand_data(conn) -> None:
    conn.execute(t.users.insert(), [
        {"id": u, "email": f"{name}@example.com", "first_name": "U", "last_name": name, "created_at": at(created),
         "industry": industry}
        for u, name, created, industry in [(U1, "u1", "2025-01-06 10:00", "SaaS"),
                                           (U2, "u2", "2025-01-20 09:00", " fintech "),
                                           (U3, "u3", "2025-02-03 12:00", "Fintech")]
    ])
    conn.execute(t.organizations.insert(), [
        {"id": o, "name": name, "slug": name.lower(), "created_at": at("2025-01-01 00:00")}
        for o, name in ((ORG_A, "A"), (ORG_B, "B"), (ORG_C, "C"))
    ])
    conn.execute(t.organization_members.insert(), [
        {"organization_id": o, "user_id": u, "role": role, "joined_at": at("2025-01-01 00:00")}
        for o, u, role in ((ORG_A, U1, "owner"), (ORG_A, U2, "member"), (ORG_B, U3, "owner"))
    ])
    events = [
        (U1, ORG_A, "signup", "2025-01-06 10:00", S1, "web"),
        (U1, ORG_A, "assessment_started", "2025-01-06 10:05", S1, "web"),
        (U1, ORG_A, "assessment_completed", "2025-01-07 09:00", None, "web"),
        (U1, ORG_A, "page_view", "2025-01-15 11:00", S2, "web"),
        (U1, ORG_A, "report_viewed", "2025-02-10 08:00", None, "web"),
        (U1, ORG_A, "page_view", "2025-03-03 08:00", None, "web"),
        (U2, ORG_A, "signup", "2025-01-20 09:00", S3, "mobile"),
        (U2, ORG_A, "assessment_completed", "2025-01-20 09:30", S3, "mobile"),
        (U2, ORG_A, "assessment_started", "2025-01-21 10:00", None, "mobile"),
        (U2, ORG_A, "assessment_completed", "2025-03-05 10:00", None, "mobile"),
        (U3, ORG_B, "signup", "2025-02-03 12:00", S4, "web"),
        (U3, ORG_B, "assessment_started", "2025-02-03 12:10", S4, "web"),
        (U3, ORG_B, "assessment_completed", "2025-02-03 12:20", S4, "web"),
        (U3, ORG_B, "page_view", "2025-03-10 09:00", None, "web"),
        (None, None, "page_view", "2025-01-08 12:00", None, "web"),
    ]
    conn.execute(t.analytics_events.insert(), [
        {"user_id": u, "organization_id": o, "event_type": k, "created_at": at(w), "session_id": s, "source": src}
        for u, o, k, w, s, src in events
    ])
    desktop, phone = {"device": "desktop", "os": "macOS 14"}, {"device": "phone", "os": "iOS 17"}
    sessions = [  # id, user, device_info, started, ended
        (S1, U1, desktop, "2025-01-06 10:00", "2025-01-06 10:10"),   # 10 min
        (S2, U1, desktop, "2025-01-15 11:00", "2025-01-15 11:30"),   # 30 min
        (S3, U2, phone, "2025-01-20 09:00", "2025-01-20 09:20"),     # 20 min
        (S4, U3, phone, "2025-02-03 12:00", None),                   # still open: left out
        (S5, U3, {}, "2025-03-10 09:00", "2025-03-10 09:05"),        # 5 min, no device: 'unknown'
        (S6, U2, desktop, "2025-03-05 10:00", "2025-03-05 09:00"),   # ends before it starts: left out
    ]
    conn.execute(t.user_sessions.insert(), [
        {"id": i, "user_id": u, "session_token": f"token-{n}", "device_info": d, "started_at": at(s),
         "ended_at": at(e) if e else None, "is_active": e is None}
        for n, (i, u, d, s, e) in enumerate(sessions)
    ])
    sent = at("2025-01-10 00:00")
    notes = [  # org, user, type, is_read, hours to read (None: no read_at), metadata
        (ORG_A, U1, "billing", True, 1, {"channel": "in_app"}),
        (ORG_A, U1, "billing", True, 2, {"channel": "in_app"}),
        (ORG_A, U2, "billing", True, 3, {"channel": "in_app"}),
        (ORG_A, U2, "billing", False, None, {"channel": "in_app"}),
        (ORG_B, U3, "system", True, None, {"channel": "email"}),
        (ORG_B, U3, "system", False, None, {}),
    ]
    conn.execute(t.notifications.insert(), [
        {"organization_id": o, "user_id": u, "type": k, "title": k, "message": k, "is_read": r, "metadata": m,
         "created_at": sent, "read_at": sent + timedelta(hours=h) if h is not None else None}
        for o, u, k, r, h, m in notes
    ])
    insights = [  # industry, org, market_size, growth_rate, sentiment, created
        ("SaaS", ORG_A, {"tam_usd": 1e9, "sam_usd": 3e8, "som_usd": 3e7}, {"cagr": 0.1},
         {"score": 0.5, "label": "positive"}, "2025-01-10 00:00"),
        ("SaaS", ORG_A, {"tam_usd": "3000000000"}, {"cagr": 0.2}, {"score": -0.5}, "2025-02-10 00:00"),
        ("SaaS", None, {"tam_usd": "big"}, {}, {"score": "n/a", "label": " Neutral"}, "2025-02-11 00:00"),
        ("Fintech", None, None, 0.05, [1, 2], "2025-03-01 00:00"),
        ("Fintech", None, sa.text("'{\"tam_usd\": 1e400}'::jsonb"), {"cagr": "abc"}, {"score": 0.1},
         "2025-03-02 00:00"),
    ]
    for industry, org, size, growth, mood, created in insights:
        conn.execute(t.market_insights.insert().values(
            industry=industry, organization_id=org, market_size=size if size is not None else sa.null(),
            growth_rate=growth, sentiment=mood, created_at=at(created)))
    conn.execute(t.business_trends.insert(), [
        {"title": "a", "insight": "a", "industry": "SaaS", "created_at": at("2025-01-05 00:00")},
        {"title": "b", "insight": "b", "industry": "SaaS", "created_at": at("2025-01-20 00:00")},
        {"title": "c", "insight": "c", "industry": "Fintech", "created_at": at("2025-03-02 00:00")},
        {"title": "d", "insight": "d", "industry": None, "created_at": at("2025-03-15 00:00")},
    ])
    news = [  # title, relevance, published, created, category, metadata
        ("a", 0.9, "2025-01-01 00:00", "2025-01-01 01:00", "funding", {"tags": ["SaaS", "funding"]}),
        ("b", 0.9, "2025-02-01 00:00", "2025-02-01 01:00", "product", {"tags": ["Fintech"]}),
        ("c", 0.5, "2025-03-01 00:00", "2025-03-01 01:00", "funding", {}),
        ("d", None, "2025-03-05 00:00", "2025-03-05 01:00", "Funding", {}),
        ("e", 0.7, None, "2025-02-15 00:00", "market", {"tags": "SaaS"}),
    ]
    conn.execute(t.news_feed.insert(), [
        {"title": ti, "url": f"https://x/{ti}", "source": "X", "relevance_score": r,
         "published_at": at(p) if p else None, "created_at": at(c), "category": k, "metadata": m}
        for ti, r, p, c, k, m in news
    ])


def rows(frame: pd.DataFrame, *columns) -> list[tuple]:
    return [tuple(r) for r in frame[list(columns)].itertuples(index=False)]


def assert_typed(frame: pd.DataFrame, columns: dict[str, str]) -> None:
    """The frame has exactly ``columns`` with the dtype of each kind."""
    assert list(frame.columns) == list(columns)
    for name, kind in columns.items():
        dtype = frame[name].dtype
        expected = {"ts": pd.DatetimeTZDtype("ns", "UTC"), "period": np.dtype("datetime64[ns]"),
                    "int": np.dtype("int64"), "float": np.dtype("float64"), "bool": np.dtype("bool"),
                    "str": pd.StringDtype(), "object": np.dtype("object")}[kind]
        assert dtype == expected, (name, dtype)


# --- active users ------------------------------------------------------------------------


def test_weekly_active_users_by_hand_with_empty_weeks_filled(hand):
    frame = active_users(hand, "week")
    assert_typed(frame, analytics.ACTIVE_USERS_COLUMNS)
    assert rows(frame, "period", "active_users", "events") == [
        (period("2025-01-06"), 1, 4),  # u1 three times, the anonymous page view counts as an event only
        (period("2025-01-13"), 1, 1),
        (period("2025-01-20"), 1, 3),
        (period("2025-01-27"), 0, 0),
        (period("2025-02-03"), 1, 3),
        (period("2025-02-10"), 1, 1),
        (period("2025-02-17"), 0, 0),
        (period("2025-02-24"), 0, 0),
        (period("2025-03-03"), 2, 2),
        (period("2025-03-10"), 1, 1),
    ]
    # the week of 2025-03-10 runs past the bound (end of 2025-03-15): partial, not a drop
    assert frame["complete"].tolist() == [True] * 9 + [False]


def test_monthly_and_daily_active_users_with_inclusive_dates(hand):
    assert rows(active_users(hand, "month"), "period", "active_users", "events") == [
        (period("2025-01-01"), 2, 8), (period("2025-02-01"), 2, 4), (period("2025-03-01"), 3, 3)]
    daily = active_users(hand, "day", since="2025-01-06", until=date(2025, 1, 7))  # until is included
    assert rows(daily, "period", "active_users", "events") == [(period("2025-01-06"), 1, 2), (period("2025-01-07"), 1, 1)]


def test_active_users_of_one_organization(hand):
    frame = active_users(hand, "week", organization_id=str(ORG_A))
    assert rows(frame, "period", "active_users", "events") == [
        (period("2025-01-06"), 1, 3), (period("2025-01-13"), 1, 1), (period("2025-01-20"), 1, 3), (period("2025-01-27"), 0, 0),
        (period("2025-02-03"), 0, 0), (period("2025-02-10"), 1, 1), (period("2025-02-17"), 0, 0), (period("2025-02-24"), 0, 0),
        (period("2025-03-03"), 2, 2)]


def test_periods_are_cut_in_utc_whatever_the_session_time_zone(hand):
    hand.exec_driver_sql("SET LOCAL TIME ZONE 'America/Los_Angeles'")  # ends with the test's transaction
    # The SaaS trend of 2025-01-05 00:00 UTC is on 01-04 in Los Angeles; it counts on 01-05.
    frame = trend_counts(hand, "day", by_industry=False, industry="SaaS")
    assert frame["period"].iloc[0] == period("2025-01-05") and frame["trends"].iloc[0] == 1
    assert frame["period"].dt.tz is None  # naive UTC period starts, as metrics.query gives them
    assert active_users(hand, "week")["period"].iloc[0] == period("2025-01-06")


# --- funnel ------------------------------------------------------------------------------


def test_funnel_counts_ordered_steps_within_the_window(hand):
    frame = funnel(hand, STEPS)
    assert_typed(frame, analytics.FUNNEL_COLUMNS)
    # u2 completed before starting, and again 44 days after signup: outside 30 days.
    assert rows(frame, "step_number", "step", "users") == [
        (1, "signup", 3), (2, "assessment_started", 3), (3, "assessment_completed", 2)]
    assert frame["conversion_from_previous"].tolist() == pytest.approx([1.0, 1.0, 2 / 3])
    assert frame["conversion_from_first"].tolist() == pytest.approx([1.0, 1.0, 2 / 3])


def test_funnel_order_matters(hand):
    # completed -> started: only u2 completed (09:30) before starting (next day).
    assert funnel(hand, ["assessment_completed", "assessment_started"])["users"].tolist() == [3, 1]


def test_a_repeated_step_needs_a_later_event(hand):
    # page views: u1 on 01-15 and 03-03 (47 days apart), u3 once; the anonymous one has no user.
    assert funnel(hand, ["page_view", "page_view"])["users"].tolist() == [2, 0]


def test_funnel_filters_entry_by_range_and_organization(hand):
    assert funnel(hand, STEPS, since="2025-02-01")["users"].tolist() == [1, 1, 1]  # u3 only
    assert funnel(hand, STEPS, organization_id=ORG_A)["users"].tolist() == [2, 2, 1]


def test_unknown_steps_give_zero_users_and_undefined_conversions(hand):
    frame = funnel(hand, ["signup", "does_not_exist", "assessment_completed"])
    assert frame["users"].tolist() == [3, 0, 0]
    assert frame["conversion_from_previous"].tolist()[:2] == [1.0, 0.0]
    assert math.isnan(frame["conversion_from_previous"].iloc[2])  # 0 of 0
    assert frame["conversion_from_first"].tolist() == [1.0, 0.0, 0.0]
    nobody = funnel(hand, ["no_such_event"])
    assert nobody["users"].tolist() == [0] and math.isnan(nobody["conversion_from_first"].iloc[0])


# --- retention ---------------------------------------------------------------------------


def test_monthly_retention_by_hand(hand):
    frame = retention(hand, "month")
    assert_typed(frame, analytics.RETENTION_COLUMNS)
    # The bound is the end of 2025-03-15: April is left out, March is not over, so its retention is NULL.
    assert rows(frame, "cohort", "cohort_size", "period_number", "active_users", "complete") == [
        (period("2025-01-01"), 2, 0, 2, True), (period("2025-01-01"), 2, 1, 1, True),
        (period("2025-01-01"), 2, 2, 2, False), (period("2025-02-01"), 1, 0, 1, True),
        (period("2025-02-01"), 1, 1, 1, False)]
    assert frame["retention"].tolist() == pytest.approx([1.0, 0.5, np.nan, 1.0, np.nan], nan_ok=True)
    assert len(retention(hand, "month", periods=1)) == 4


def test_retention_as_of_hides_later_signups_and_activity(hand):
    frame = retention(hand, "month", as_of="2025-02-15")
    assert rows(frame, "cohort", "cohort_size", "period_number", "active_users") == [
        (period("2025-01-01"), 2, 0, 2), (period("2025-01-01"), 2, 1, 1), (period("2025-02-01"), 1, 0, 1)]
    january = retention(hand, "month", as_of=datetime(2025, 1, 31, tzinfo=timezone.utc))
    assert rows(january, "cohort_size", "period_number", "active_users") == [(2, 0, 2)]  # u3 not signed up yet
    assert math.isnan(january["retention"].iloc[0])  # January is not over at 2025-01-31 00:00


def test_weekly_retention_and_organization_filter(hand):
    weekly = retention(hand, "week", periods=2)
    assert rows(weekly, "cohort", "period_number", "active_users") == [
        (period("2025-01-06"), 0, 1), (period("2025-01-06"), 1, 1), (period("2025-01-06"), 2, 0),
        (period("2025-01-20"), 0, 1), (period("2025-01-20"), 1, 0), (period("2025-01-20"), 2, 0),
        (period("2025-02-03"), 0, 1), (period("2025-02-03"), 1, 0), (period("2025-02-03"), 2, 0)]
    org_b = retention(hand, "month", organization_id=ORG_B)
    assert rows(org_b, "cohort", "cohort_size", "period_number", "active_users") == [
        (period("2025-02-01"), 1, 0, 1), (period("2025-02-01"), 1, 1, 1)]
    signups = retention(hand, "month", since="2025-02-01")
    assert set(signups["cohort"]) == {period("2025-02-01")}


# --- sessions ----------------------------------------------------------------------------


def test_session_lengths_overall_and_by_device(hand):
    overall = session_lengths(hand, by=None)
    assert_typed(overall, analytics.SESSION_COLUMNS)
    # ended sessions: 10, 30, 20, 5 minutes; p90 = 20 + 0.7 x (30 - 20)
    assert rows(overall, "group", "sessions") == [("all", 4)]
    assert overall.iloc[0][["mean_minutes", "median_minutes", "p90_minutes"]].tolist() == pytest.approx(
        [16.25, 15.0, 27.0])
    by_device = session_lengths(hand)
    assert rows(by_device, "group", "sessions") == [("desktop", 2), ("phone", 1), ("unknown", 1)]
    assert by_device.iloc[0][["mean_minutes", "median_minutes", "p90_minutes"]].tolist() == pytest.approx(
        [20.0, 20.0, 28.0])


def test_session_lengths_by_source_range_and_organization(hand):
    by_source = session_lengths(hand, by="source")
    assert rows(by_source, "group", "sessions") == [("web", 2), ("mobile", 1), ("unknown", 1)]
    # The narrower selections group only their sessions' events, an organization's by a lookup per session.
    assert rows(session_lengths(hand, since="2025-01-15", by="source"), "group", "sessions") == [
        ("mobile", 1), ("unknown", 1), ("web", 1)]
    assert rows(session_lengths(hand, industry="fintech", by="source"), "group", "sessions") == [
        ("mobile", 1), ("unknown", 1)]
    assert rows(session_lengths(hand, organization_id=ORG_A, by="source"), "group", "sessions") == [
        ("web", 2), ("mobile", 1)]
    assert rows(session_lengths(hand, since="2025-01-15", by=None), "sessions") == [(3,)]
    org_a = session_lengths(hand, by=None, organization_id=ORG_A)
    assert rows(org_a, "sessions", "mean_minutes") == [(3, pytest.approx(20.0))]


# --- intelligence ------------------------------------------------------------------------


def test_market_by_industry_reads_json_and_tolerates_odd_values(hand):
    frame = market_by_industry(hand)
    assert_typed(frame, analytics.MARKET_COLUMNS)
    saas, fintech = frame.iloc[0], frame.iloc[1]
    assert saas["industry"] == "SaaS" and fintech["industry"] == "Fintech"
    # SaaS: TAM 1e9 and "3000000000" ("big" is not a number); CAGR 0.1 and 0.2 ({} has none)
    assert (saas["insights"], saas["sized"], saas["with_growth"]) == (3, 2, 2)
    assert saas[["tam_usd_mean", "tam_usd_median", "sam_usd_median", "som_usd_median", "cagr_mean",
                 "cagr_median"]].tolist() == pytest.approx([2e9, 2e9, 3e8, 3e7, 0.15, 0.15])
    # Fintech: a NULL document and an out-of-range 1e400 give no size; a bare 0.05 is the CAGR, "abc" is not
    assert (fintech["insights"], fintech["sized"], fintech["with_growth"]) == (2, 0, 1)
    assert math.isnan(fintech["tam_usd_mean"]) and fintech["cagr_mean"] == pytest.approx(0.05)


def test_sentiment_by_industry_by_hand(hand):
    frame = sentiment_by_industry(hand)
    assert_typed(frame, analytics.SENTIMENT_COLUMNS)
    assert rows(frame, "industry", "insights", "scored", "positive", "neutral", "negative") == [
        ("SaaS", 3, 2, 1, 1, 1),    # 0.5 labelled positive, -0.5 -> negative, "n/a" labelled " Neutral"
        ("Fintech", 2, 1, 0, 1, 0),  # an array has no score; 0.1 -> neutral
    ]
    assert frame["mean_sentiment"].tolist() == pytest.approx([0.0, 0.1])
    assert frame["median_sentiment"].tolist() == pytest.approx([0.0, 0.1])


def test_intelligence_filters(hand):
    later = sentiment_by_industry(hand, since="2025-02-01")
    assert rows(later, "industry", "insights") == [("Fintech", 2), ("SaaS", 2)]
    assert rows(market_by_industry(hand, industry=" saas "), "industry", "insights") == [("SaaS", 3)]
    assert rows(market_by_industry(hand, organization_id=ORG_A), "industry", "insights", "sized") == [("SaaS", 2, 2)]


def test_trend_counts_by_month_and_industry(hand):
    frame = trend_counts(hand)
    assert_typed(frame, analytics.TREND_COLUMNS)
    assert frame["complete"].tolist() == [True] * 6 + [False] * 3
    assert rows(frame, "period", "industry", "trends") == [
        (period("2025-01-01"), "Fintech", 0), (period("2025-01-01"), "SaaS", 2), (period("2025-01-01"), "unknown", 0),
        (period("2025-02-01"), "Fintech", 0), (period("2025-02-01"), "SaaS", 0), (period("2025-02-01"), "unknown", 0),
        (period("2025-03-01"), "Fintech", 1), (period("2025-03-01"), "SaaS", 0), (period("2025-03-01"), "unknown", 1)]
    overall = trend_counts(hand, by_industry=False)
    assert list(overall.columns) == ["period", "complete", "trends"]
    assert overall["trends"].tolist() == [2, 0, 2]
    assert rows(trend_counts(hand, "week", industry="saas"), "period", "trends") == [
        (period("2024-12-30"), 1), (period("2025-01-06"), 0), (period("2025-01-13"), 0), (period("2025-01-20"), 1)]


def test_top_news_ranks_by_relevance_then_recency(hand):
    frame = top_news(hand)
    assert_typed(frame, analytics.NEWS_COLUMNS)
    assert rows(frame, "rank", "title") == [(1, "b"), (2, "a"), (3, "e"), (4, "c"), (5, "d")]
    assert frame.loc[frame["title"] == "e", "published_at"].item() == utc("2025-02-15")  # created_at stands in
    assert top_news(hand, 2)["title"].tolist() == ["b", "a"]
    assert top_news(hand, category="FUNDING")["title"].tolist() == ["a", "c", "d"]
    assert top_news(hand, since="2025-02-01")["title"].tolist() == ["b", "e", "c", "d"]
    assert top_news(hand, industry="saas")["title"].tolist() == ["a"]  # e's tags are not a list


# --- notifications -----------------------------------------------------------------------


def test_notification_read_rates_by_type(hand):
    frame = notification_read_rates(hand)
    assert_typed(frame, analytics.NOTIFICATION_COLUMNS)
    assert rows(frame, "group", "sent", "read") == [("billing", 4, 3), ("system", 2, 1)]
    billing, system = frame.iloc[0], frame.iloc[1]
    # read after 1, 2, 3 hours: p90 = 2 + 0.8 x (3 - 2)
    assert billing[["read_rate", "median_hours_to_read", "p90_hours_to_read"]].tolist() == pytest.approx(
        [0.75, 2.0, 2.8])
    assert system["read_rate"] == 0.5 and math.isnan(system["median_hours_to_read"])  # read, but no read_at


def test_notification_read_rates_other_groupings(hand):
    assert rows(notification_read_rates(hand, by=None), "group", "sent", "read") == [("all", 6, 4)]
    assert rows(notification_read_rates(hand, by="channel"), "group", "sent") == [
        ("in_app", 4), ("email", 1), ("unknown", 1)]
    assert rows(notification_read_rates(hand, organization_id=ORG_B), "group", "sent") == [("system", 2)]
    assert notification_read_rates(hand, since="2025-01-11").empty


# --- industry of the user ----------------------------------------------------------------


def test_active_users_of_one_industry(hand):
    frame = active_users(hand, "week", industry="SaaS")  # u1's events; the anonymous page view is left out
    assert_typed(frame, analytics.ACTIVE_USERS_COLUMNS)
    assert rows(frame, "period", "active_users", "events") == [
        (period("2025-01-06"), 1, 3), (period("2025-01-13"), 1, 1), (period("2025-01-20"), 0, 0), (period("2025-01-27"), 0, 0),
        (period("2025-02-03"), 0, 0), (period("2025-02-10"), 1, 1), (period("2025-02-17"), 0, 0), (period("2025-02-24"), 0, 0),
        (period("2025-03-03"), 1, 1)]
    assert rows(active_users(hand, "month", industry=" FINTECH "), "period", "active_users", "events") == [
        (period("2025-01-01"), 1, 3), (period("2025-02-01"), 1, 3), (period("2025-03-01"), 2, 2)]  # u2 and u3


def test_funnel_of_one_industry(hand):
    assert funnel(hand, STEPS, industry="saas")["users"].tolist() == [1, 1, 1]  # u1
    # u2 completes 44 days after signup (outside the window); u3 goes through.
    assert funnel(hand, STEPS, industry="Fintech")["users"].tolist() == [2, 2, 1]


def test_retention_of_one_industry(hand):
    saas = retention(hand, "month", industry="SaaS")
    assert rows(saas, "cohort", "cohort_size", "period_number", "active_users") == [
        (period("2025-01-01"), 1, 0, 1), (period("2025-01-01"), 1, 1, 1), (period("2025-01-01"), 1, 2, 1)]
    fintech = retention(hand, "month", industry="fintech")
    assert rows(fintech, "cohort", "cohort_size", "period_number", "active_users") == [
        (period("2025-01-01"), 1, 0, 1), (period("2025-01-01"), 1, 1, 0), (period("2025-01-01"), 1, 2, 1),
        (period("2025-02-01"), 1, 0, 1), (period("2025-02-01"), 1, 1, 1)]
    assert fintech["complete"].tolist() == [True, True, False, True, False]


def test_session_lengths_of_one_industry(hand):
    assert rows(session_lengths(hand, by=None, industry="SaaS"), "sessions", "mean_minutes") == [
        (2, pytest.approx(20.0))]  # u1: 10 and 30 minutes
    assert rows(session_lengths(hand, industry="Fintech"), "group", "sessions") == [("phone", 1), ("unknown", 1)]


def test_notification_read_rates_of_one_industry(hand):
    assert rows(notification_read_rates(hand, industry="SaaS"), "group", "sent", "read") == [("billing", 2, 2)]
    assert rows(notification_read_rates(hand, industry="fintech"), "group", "sent", "read") == [
        ("billing", 2, 1), ("system", 2, 1)]


@pytest.mark.parametrize("call", [
    lambda c, v: active_users(c, industry=v),
    lambda c, v: funnel(c, STEPS, industry=v),
    lambda c, v: retention(c, industry=v),
    lambda c, v: session_lengths(c, industry=v),
    lambda c, v: notification_read_rates(c, industry=v),
], ids=["active_users", "funnel", "retention", "session_lengths", "notification_read_rates"])
@pytest.mark.parametrize("value", [5, ["SaaS"], b"SaaS", " "])
def test_an_industry_that_is_not_text_raises(hand, call, value):
    with pytest.raises(InvalidParameterError, match="industry"):
        call(hand, value)


@pytest.mark.parametrize("call", [
    lambda c: active_users(c, industry="Retail"), lambda c: funnel(c, STEPS, industry="Retail"),
    lambda c: retention(c, industry="Retail"), lambda c: session_lengths(c, industry="Retail"),
    lambda c: notification_read_rates(c, industry="Retail"), lambda c: market_by_industry(c, industry="Spaceships"),
], ids=["active_users", "funnel", "retention", "session_lengths", "notification_read_rates", "market"])
def test_an_industry_the_data_does_not_have_is_an_error_naming_the_known_ones(hand, call):
    with pytest.raises(InvalidParameterError, match="known industries: .*Fintech.*SaaS"):
        call(hand)


def test_an_organization_that_does_not_exist_is_an_error(hand):
    with pytest.raises(InvalidParameterError, match="no organization of this database"):
        active_users(hand, organization_id=uuid.UUID(int=999))


def test_industries_compare_case_and_space_insensitively_everywhere(hand):
    for spelling in ("Fintech", " fintech ", "FINTECH", "fin tech"):
        assert funnel(hand, STEPS, industry=spelling)["users"].tolist() == [2, 2, 1]
        assert rows(notification_read_rates(hand, industry=spelling), "group", "sent") == [("billing", 2),
                                                                                         ("system", 2)]


def test_a_resolved_selection_is_used_as_it_is(hand):
    bounds = analytics.report_bounds(hand, {"industry": "saas", "until": date(2025, 1, 31)})
    # the latest SaaS row is u1's page view of 2025-03-03 (the 03-15 trend has no industry)
    assert bounds.label == "data up to 2025-03-03 (end of day, UTC)"
    frame = active_users(hand, "month", bounds=bounds)
    assert rows(frame, "period", "active_users", "events") == [(period("2025-01-01"), 1, 4)]
    with pytest.raises(InvalidParameterError, match="bounds"):
        active_users(hand, bounds={"industry": "saas"})
    with pytest.raises(InvalidParameterError, match=r"either bounds or the selection \(industry\)"):
        active_users(hand, industry="fintech", bounds=bounds)


# --- empty results -----------------------------------------------------------------------


@pytest.mark.parametrize("report, columns", [
    (lambda c: active_users(c, "day", organization_id=ORG_C), analytics.ACTIVE_USERS_COLUMNS),
    (lambda c: retention(c, organization_id=ORG_C), analytics.RETENTION_COLUMNS),
    (lambda c: session_lengths(c, organization_id=ORG_C), analytics.SESSION_COLUMNS),
    (lambda c: sentiment_by_industry(c, organization_id=ORG_C), analytics.SENTIMENT_COLUMNS),
    (lambda c: market_by_industry(c, organization_id=ORG_C), analytics.MARKET_COLUMNS),
    (lambda c: notification_read_rates(c, organization_id=ORG_C), analytics.NOTIFICATION_COLUMNS),
    (lambda c: trend_counts(c, since="2030-01-01"), analytics.TREND_COLUMNS),
    (lambda c: top_news(c, since="2030-01-01"), analytics.NEWS_COLUMNS),
    (lambda c: active_users(c, until="2000-01-01"), analytics.ACTIVE_USERS_COLUMNS),
], ids=["active_users", "retention", "sessions", "sentiment", "market", "notifications", "trends", "news",
        "before_data"])
def test_no_data_gives_an_empty_typed_frame(hand, report, columns):
    frame = report(hand)
    assert frame.empty
    assert_typed(frame, columns)


def test_a_funnel_with_no_data_keeps_one_row_per_step(hand):
    frame = funnel(hand, STEPS, organization_id=ORG_C)
    assert_typed(frame, analytics.FUNNEL_COLUMNS)
    assert frame["users"].tolist() == [0, 0, 0] and frame["conversion_from_first"].isna().all()


def test_an_empty_database_gives_empty_frames(schema_database):
    with schema_database.connect() as conn:
        assert active_users(conn).empty and retention(conn).empty and session_lengths(conn).empty
        assert market_by_industry(conn).empty and top_news(conn).empty and notification_read_rates(conn).empty


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("call, parameter", [
    (lambda c: active_users(c, "year"), "period"),
    (lambda c: active_users(c, None), "period"),
    (lambda c: active_users(c, since="yesterday"), "since"),
    (lambda c: active_users(c, until="2025-13-01"), "until"),
    (lambda c: active_users(c, since=20250101), "since"),
    (lambda c: active_users(c, since="2025-02-01", until="2025-01-01"), "is before since"),
    (lambda c: active_users(c, as_of="2999-01-01"), "as_of .* is in the future"),
    (lambda c: active_users(c, organization_id="not-a-uuid"), "organization_id"),
    (lambda c: funnel(c, []), "steps"),
    (lambda c: funnel(c, "signup"), "steps"),
    (lambda c: funnel(c, ["signup", None]), "steps"),
    (lambda c: funnel(c, ["signup", " "]), "steps"),
    (lambda c: retention(c, "quarter"), "cohort"),
    (lambda c: retention(c, periods=-1), "periods"),
    (lambda c: retention(c, periods=2.5), "periods"),
    (lambda c: retention(c, as_of="soon"), "as_of"),
    (lambda c: session_lengths(c, by="country"), "by"),
    (lambda c: sentiment_by_industry(c, industry=""), "industry"),
    (lambda c: market_by_industry(c, industry=5), "industry"),
    (lambda c: trend_counts(c, "quarter"), "period"),
    (lambda c: trend_counts(c, by_industry="yes"), "by_industry"),
    (lambda c: top_news(c, 0), "limit"),
    (lambda c: top_news(c, 10_000), "limit"),
    (lambda c: top_news(c, category=" "), "category"),
    (lambda c: notification_read_rates(c, by="user"), "by"),
])
def test_bad_input_raises_naming_the_parameter(hand, call, parameter):
    with pytest.raises(InvalidParameterError, match=parameter):
        call(hand)


def test_accepted_forms_of_dates_and_periods(hand):
    expected = active_users(hand, "day", since="2025-01-06", until="2025-01-07")
    assert expected["events"].tolist() == [2, 1]
    for since, until in [(date(2025, 1, 6), date(2025, 1, 7)), (datetime(2025, 1, 6), datetime(2025, 1, 7)),
                         (pd.Timestamp("2025-01-06"), np.datetime64("2025-01-07")),
                         ("2025-01-06T00:00:00Z", "2025-01-07T01:00:00+01:00"),
                         (datetime(2025, 1, 5, 19, tzinfo=timezone(timedelta(hours=-5))), "2025-01-07 00:00")]:
        pd.testing.assert_frame_equal(active_users(hand, " Day ", since=since, until=until), expected)


def test_a_connection_is_required(hand_engine):
    with pytest.raises(InvalidParameterError, match="Connection"):
        active_users(hand_engine)


# --- the demo data -----------------------------------------------------------------------


DEMO_REPORTS = {
    "active_users_day": (lambda c: active_users(c, "day"), analytics.ACTIVE_USERS_COLUMNS),
    "active_users_week": (lambda c: active_users(c, "week"), analytics.ACTIVE_USERS_COLUMNS),
    "active_users_month": (lambda c: active_users(c, "month"), analytics.ACTIVE_USERS_COLUMNS),
    "funnel": (lambda c: funnel(c), analytics.FUNNEL_COLUMNS),
    "retention_month": (lambda c: retention(c), analytics.RETENTION_COLUMNS),
    "retention_week": (lambda c: retention(c, "week", 8), analytics.RETENTION_COLUMNS),
    "sessions_device": (lambda c: session_lengths(c), analytics.SESSION_COLUMNS),
    "sessions_source": (lambda c: session_lengths(c, by="source"), analytics.SESSION_COLUMNS),
    "sessions_all": (lambda c: session_lengths(c, by=None), analytics.SESSION_COLUMNS),
    "sentiment": (lambda c: sentiment_by_industry(c), analytics.SENTIMENT_COLUMNS),
    "market": (lambda c: market_by_industry(c), analytics.MARKET_COLUMNS),
    "trends": (lambda c: trend_counts(c), analytics.TREND_COLUMNS),
    "news": (lambda c: top_news(c), analytics.NEWS_COLUMNS),
    "notifications_type": (lambda c: notification_read_rates(c), analytics.NOTIFICATION_COLUMNS),
    "notifications_priority": (lambda c: notification_read_rates(c, by="priority"), analytics.NOTIFICATION_COLUMNS),
}


@pytest.mark.parametrize("name", list(DEMO_REPORTS))
def test_every_report_runs_on_the_demo_data(demo, name):
    report, columns = DEMO_REPORTS[name]
    frame = report(demo)
    assert not frame.empty
    assert_typed(frame, columns)
    assert not frame[[c for c, k in columns.items() if k in ("ts", "int")]].isna().any().any()


def test_demo_reports_agree_with_the_tables(demo):
    events, users = demo.execute(sa.text(
        "SELECT (SELECT count(*) FROM analytics_events), (SELECT count(*) FROM users)")).one()
    assert active_users(demo, "month")["events"].sum() == events
    monthly = retention(demo)
    assert monthly.drop_duplicates("cohort")["cohort_size"].sum() == users
    assert monthly["retention"].dropna().between(0, 1).all()
    assert monthly["retention"].isna().tolist() == (~monthly["complete"]).tolist()
    steps = funnel(demo)
    assert (steps["users"].diff().dropna() <= 0).all()  # nobody reaches a step without the one before
    news = top_news(demo, 20)
    assert news["rank"].tolist() == list(range(1, 21))
    assert news["relevance_score"].is_monotonic_decreasing


def test_demo_reports_are_stable_from_run_to_run(demo):
    pd.testing.assert_frame_equal(retention(demo, "week", 4), retention(demo, "week", 4))


def test_demo_reports_for_one_organization(demo):
    org = demo.execute(sa.text(
        "SELECT organization_id FROM analytics_events WHERE organization_id IS NOT NULL"
        " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")).scalar_one()
    # the ownership rule: the event's own organization, else its user's (counted) memberships
    events = demo.execute(sa.text(
        "SELECT count(*) FROM analytics_events e WHERE e.organization_id = :o OR (e.organization_id IS NULL"
        " AND EXISTS (SELECT 1 FROM organization_members m WHERE m.user_id = e.user_id"
        " AND m.organization_id = :o AND coalesce(m.status, 'active') <> 'invited'))"), {"o": org}).scalar_one()
    assert active_users(demo, "week", organization_id=org)["events"].sum() == events
    assert not retention(demo, organization_id=org).empty
    assert funnel(demo, organization_id=org)["users"].iloc[0] >= 1
    assert not notification_read_rates(demo, organization_id=org).empty
