"""Report 07_notifications on the metrics layer: hand-made data with numbers worked out by hand, the demo data, empty results.

The hand-made data (times UTC; weeks start on Monday)::

    users          u1 (SaaS, org A), u2 (Retail, org A), u3 (SaaS, org B); org C has no members and no data.
    notifications  u1, org A: billing high   Mon 2025-01-06 10:00, read 12:00 (2 h)
                   u1, org A: billing low    Tue 2025-01-07 10:00, never read
                   u2, org A: system  urgent Mon 2025-01-20 10:00, read 14:00 (4 h)  (week of 01-13 has none)
                   u3, org B: billing medium Mon 2025-01-20 11:00, is_read without a read time
    team messages  org A: u1 -> u2 text 2025-01-06 read after 1 h; u2 -> u1 mention 2025-01-07 unread;
                   u1 system 2025-01-08 (no recipient); org B: u3 -> u3 text 2025-01-09 read after 3 h
    subscriptions  u1 weekly_digest active (weekly), u1 marketing inactive (daily), u2 weekly_digest active (daily),
                   u3 weekly_digest inactive (no preference); all created 2025-01-10.

Users, organizations and memberships date from 2025-01-01; without an as_of the bound is the end of 2025-01-20.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from bi_workbench.domain import analytics
from bi_workbench.domain import notifications_report as nr
from bi_workbench.errors import InvalidParameterError
from bi_workbench.schema import tables as t
from tests.domain.people import NEW_YEAR, at, insert_people

U1, U2, U3 = (uuid.UUID(int=i) for i in (1, 2, 3))
ORG_A, ORG_B, ORG_C = (uuid.UUID(int=i) for i in (101, 102, 103))


@pytest.fixture
def hand(schema_database):
    """An Engine on a schema database holding the hand-made data of the module docstring."""
    with schema_database.begin() as conn:
        insert_people(conn, [(u, n, i, NEW_YEAR) for u, n, i in [(U1, "u1", "SaaS"), (U2, "u2", "Retail"),
                                                                  (U3, "u3", "SaaS")]],
                      [(ORG_A, "A", "a"), (ORG_B, "B", "b"), (ORG_C, "C", "c")],
                      [(ORG_A, U1, "owner"), (ORG_A, U2, "member"), (ORG_B, U3, "owner")])

        def note(user, org, kind, priority, sent, hours=None, is_read=None):
            created = at(sent)
            return {"user_id": user, "organization_id": org, "type": kind, "title": "t", "message": "m",
                    "priority": priority, "created_at": created, "metadata": {"channel": "email"},
                    "read_at": None if hours is None else created + timedelta(hours=hours),
                    "is_read": hours is not None if is_read is None else is_read}

        conn.execute(t.notifications.insert(), [
            note(U1, ORG_A, "billing", "high", "2025-01-06 10:00", 2),
            note(U1, ORG_A, "billing", "low", "2025-01-07 10:00"),
            note(U2, ORG_A, "system", "urgent", "2025-01-20 10:00", 4),
            note(U3, ORG_B, "billing", "medium", "2025-01-20 11:00", is_read=True),
        ])

        def message(org, sender, recipient, kind, sent, hours=None):
            created = at(sent)
            return {"organization_id": org, "sender_id": sender, "recipient_id": recipient, "message_type": kind,
                    "content": "c", "created_at": created, "is_read": hours is not None,
                    "read_at": None if hours is None else created + timedelta(hours=hours)}

        conn.execute(t.team_messages.insert(), [
            message(ORG_A, U1, U2, "text", "2025-01-06 10:00", 1),
            message(ORG_A, U2, U1, "mention", "2025-01-07 10:00"),
            message(ORG_A, U1, None, "system", "2025-01-08 10:00"),
            message(ORG_B, U3, U3, "text", "2025-01-09 10:00", 3),
        ])
        conn.execute(t.email_subscriptions.insert(), [
            {"user_id": u, "email_type": e, "is_active": a, "preferences": p, "created_at": at("2025-01-10 10:00")}
            for u, e, a, p in [(U1, "weekly_digest", True, {"frequency": "weekly"}),
                               (U1, "marketing", False, {"frequency": "daily"}),
                               (U2, "weekly_digest", True, {"frequency": "daily"}),
                               (U3, "weekly_digest", False, {})]
        ])
    return schema_database


@pytest.fixture
def demo(demo_engine):
    """The small demo database (seed 42), shared by the session."""
    return demo_engine


def sel(conn, **params):
    """The report's selection of ``params``, resolved once."""
    return analytics.report_bounds(conn, params)


# --- notifications ------------------------------------------------------------------------------------


def test_notifications_per_period_and_type(hand):
    with hand.connect() as conn:
        weekly = nr.notifications_per_period(conn, sel(conn), "week")
    assert weekly.to_dict("records") == [  # the week of 01-20 runs past the bound (end of 01-20)
        {"period": pd.Timestamp("2025-01-06"), "complete": True, "type": "billing", "sent": 2, "read": 1},
        {"period": pd.Timestamp("2025-01-20"), "complete": False, "type": "billing", "sent": 1, "read": 1},
        {"period": pd.Timestamp("2025-01-20"), "complete": False, "type": "system", "sent": 1, "read": 1},
    ]


def test_period_totals_fill_quiet_periods(hand):
    with hand.connect() as conn:
        totals = nr.period_totals(conn, sel(conn), "week")
    assert totals["period"].tolist() == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-13"), pd.Timestamp("2025-01-20")]
    assert totals["sent"].tolist() == [2, 0, 2] and totals["read"].tolist() == [1, 0, 2]
    assert totals.loc[0, "read_rate"] == 0.5 and math.isnan(totals.loc[1, "read_rate"])
    assert totals.loc[2, "read_rate"] == 1.0
    assert totals["complete"].tolist() == [True, True, False]


def test_filters_narrow_the_notifications(hand):
    with hand.connect() as conn:
        org_a = nr.notifications_per_period(conn, sel(conn, organization_id=ORG_A), "month")
        retail = nr.notifications_per_period(conn, sel(conn, industry="RETAIL"), "month")
        first_week = nr.notifications_per_period(conn, sel(conn, since=date(2025, 1, 7), until=date(2025, 1, 7)),
                                                 "day")
    assert org_a[["type", "sent"]].values.tolist() == [["billing", 2], ["system", 1]]
    assert retail[["type", "sent", "read"]].values.tolist() == [["system", 1, 1]]
    assert first_week[["period", "sent", "read"]].values.tolist() == [[pd.Timestamp("2025-01-07"), 1, 0]]


def test_read_rates_by_type_and_priority(hand):
    with hand.connect() as conn:
        by_type = nr.read_rates(conn, sel(conn), "type")
        by_priority = nr.read_rates(conn, sel(conn), "priority")
    assert by_type[["group", "sent", "read", "read_rate", "median_hours_to_read"]].values.tolist() == [
        ["billing", 3, 2, 0.6667, 2.0], ["system", 1, 1, 1.0, 4.0]]
    assert by_priority["group"].tolist() == ["urgent", "high", "medium", "low"]


def test_priority_mix_and_its_table(hand):
    with hand.connect() as conn:
        mix = nr.priority_mix(conn, sel(conn))
    assert mix.to_dict("records") == [
        {"type": "billing", "priority": "high", "sent": 1, "share_of_type": 0.3333},
        {"type": "billing", "priority": "medium", "sent": 1, "share_of_type": 0.3333},
        {"type": "billing", "priority": "low", "sent": 1, "share_of_type": 0.3333},
        {"type": "system", "priority": "urgent", "sent": 1, "share_of_type": 1.0},
    ]
    table = nr.priority_table(mix)
    assert table.columns.tolist() == ["type", "urgent", "high", "medium", "low", "total"]
    assert table.values.tolist() == [["billing", 0, 1, 1, 1, 3], ["system", 1, 0, 0, 0, 1]]


# --- team messages and subscriptions ---------------------------------------------------------------------


def test_team_messages_by_organization(hand):
    with hand.connect() as conn:
        by_org = nr.team_messages_by_organization(conn, sel(conn))
        saas = nr.team_messages_by_organization(conn, sel(conn, industry="saas"))
    assert by_org.to_dict("records") == [
        {"organization": "A", "slug": "a", "messages": 3, "to_a_recipient": 2, "read": 1, "read_share": 0.5,
         "senders": 2},
        {"organization": "B", "slug": "b", "messages": 1, "to_a_recipient": 1, "read": 1, "read_share": 1.0,
         "senders": 1},
    ]
    assert saas[["organization", "messages"]].values.tolist() == [["A", 2], ["B", 1]]


def test_team_messages_by_type(hand):
    with hand.connect() as conn:
        by_type = nr.team_messages_by_type(conn, sel(conn))
    assert by_type["message_type"].tolist() == ["text", "mention", "system"]
    assert by_type[["messages", "to_a_recipient", "read"]].values.tolist() == [[2, 2, 2], [1, 1, 0], [1, 0, 0]]
    assert by_type.loc[0, "median_hours_to_read"] == 2.0
    assert math.isnan(by_type.loc[2, "read_share"])


def test_subscriptions_by_type_and_frequencies(hand):
    with hand.connect() as conn:
        by_type = nr.subscriptions_by_type(conn, sel(conn))
        org_a = nr.subscriptions_by_type(conn, sel(conn, organization_id=ORG_A))
        frequencies = nr.active_frequencies(conn, sel(conn))
    assert by_type.to_dict("records") == [
        {"email_type": "weekly_digest", "subscriptions": 3, "active": 2, "inactive": 1, "active_share": 0.6667},
        {"email_type": "marketing", "subscriptions": 1, "active": 0, "inactive": 1, "active_share": 0.0},
    ]
    assert org_a.set_index("email_type")["subscriptions"].to_dict() == {"weekly_digest": 2, "marketing": 1}
    assert frequencies.columns.tolist() == ["email_type", "daily", "weekly", "monthly", "total"]
    assert frequencies.values.tolist() == [["weekly_digest", 1, 1, 0, 2]]


# --- empty results and bad input ---------------------------------------------------------------------------


def assert_all_empty(conn, params) -> None:
    filters = sel(conn, **params)
    frames = {
        "per_period": nr.notifications_per_period(conn, filters, "week"),
        "totals": nr.period_totals(conn, filters, "week"),
        "mix": nr.priority_mix(conn, filters), "by_org": nr.team_messages_by_organization(conn, filters),
        "by_type": nr.team_messages_by_type(conn, filters), "subs": nr.subscriptions_by_type(conn, filters),
        "frequencies": nr.active_frequencies(conn, filters),
        "rates": nr.read_rates(conn, filters, "type"), "priority": nr.read_rates(conn, filters, "priority"),
    }
    for name, frame in frames.items():
        assert frame.empty, name
    assert frames["per_period"].columns.tolist() == list(nr.PER_PERIOD_COLUMNS)
    assert frames["by_org"].columns.tolist() == list(nr.MESSAGES_BY_ORG_COLUMNS)
    assert frames["subs"].columns.tolist() == list(nr.SUBSCRIPTION_COLUMNS)
    assert nr.priority_table(frames["mix"]).columns.tolist() == ["type", "urgent", "high", "medium", "low", "total"]


@pytest.mark.parametrize("filters", [{}, {"since": date(2025, 3, 1), "as_of": date(2025, 1, 1)}],
                         ids=["all", "as_of before since"])
def test_a_database_without_data_gives_empty_frames_with_their_columns(schema_database, filters):
    with schema_database.connect() as conn:
        assert_all_empty(conn, filters)


@pytest.mark.parametrize("filters", [{"organization_id": ORG_C}, {"since": date(2000, 1, 1), "until": date(2000, 1, 31)},
                                     {"since": date(2025, 3, 1), "as_of": date(2025, 1, 1)}],
                         ids=["organization without data", "days without data", "as_of before since"])
def test_a_selection_of_nothing_gives_empty_frames(hand, filters):
    with hand.connect() as conn:
        assert_all_empty(conn, filters)


def test_an_industry_no_user_has_stops_the_report(hand):
    with hand.connect() as conn, pytest.raises(InvalidParameterError, match="known industries: Retail, SaaS"):
        sel(conn, industry="Mining")


def test_read_rates_apply_organization_days_and_industry(hand):
    with hand.connect() as conn:
        org_b = nr.read_rates(conn, sel(conn, organization_id=ORG_B), "type")
        retail = nr.read_rates(conn, sel(conn, industry="retail"), "type")  # u2's notification only
        saas = nr.read_rates(conn, sel(conn, industry=" SaaS"), "priority")  # u1's and u3's
        january_6 = nr.read_rates(conn, sel(conn, since=date(2025, 1, 6), until=date(2025, 1, 6)), None)
    assert org_b[["group", "sent", "read"]].values.tolist() == [["billing", 1, 1]]
    assert retail[["group", "sent", "read"]].values.tolist() == [["system", 1, 1]]
    assert saas["group"].tolist() == ["high", "medium", "low"] and saas["sent"].sum() == 3
    assert january_6[["group", "sent", "read"]].values.tolist() == [["all", 1, 1]]


def test_a_bad_granularity_is_refused(hand):
    with hand.connect() as conn, pytest.raises(InvalidParameterError, match="granularity"):
        nr.notifications_per_period(conn, sel(conn), "fortnight")


# --- the demo data -------------------------------------------------------------------------------------------


def test_on_the_demo_data_the_sections_agree_with_the_tables(demo):
    with demo.connect() as conn:
        sent, read = conn.execute(sa.text(
            "SELECT count(*), count(*) FILTER (WHERE is_read OR read_at IS NOT NULL) FROM notifications")).one()
        messages = conn.execute(sa.text("SELECT count(*) FROM team_messages")).scalar()
        subscriptions = conn.execute(sa.text("SELECT count(*) FROM email_subscriptions")).scalar()
        bounds = sel(conn)
        per_period = nr.notifications_per_period(conn, bounds, "month")
        totals = nr.period_totals(conn, bounds, "month")
        by_type = nr.read_rates(conn, sel(conn), "type")
        mix = nr.priority_mix(conn, sel(conn))
        by_message_type = nr.team_messages_by_type(conn, sel(conn))
        by_org = nr.team_messages_by_organization(conn, sel(conn))
        subs = nr.subscriptions_by_type(conn, sel(conn))
        frequencies = nr.active_frequencies(conn, sel(conn))
    assert per_period["sent"].sum() == sent == totals["sent"].sum() == by_type["sent"].sum() == mix["sent"].sum()
    assert per_period["read"].sum() == read == by_type["read"].sum()
    assert totals["period"].diff().dropna().dt.days.between(28, 31).all()  # every month, none skipped
    assert by_message_type["messages"].sum() == messages
    assert len(by_org) <= nr.TABLE_ROWS and by_org["messages"].is_monotonic_decreasing
    assert subs["subscriptions"].sum() == subscriptions
    assert frequencies.set_index("email_type")["total"].to_dict() == subs.set_index("email_type")["active"].to_dict()
