"""Users and organizations report functions: hand-made data worked out by hand, the demo data, empty results.

The hand-made data (times UTC)::

    users   u1 SaaS, 11-50, signs up 2025-01-06      member of A (owner, active)      pro / active
            u2 saas (lower case), 1-10, 2025-01-20   member of A (member, invited)    free / active
            u3 Retail, 1000+, 2025-03-03             member of A (analyst, active)    starter / canceled
                                                     and of B (owner, active)
            u4 no industry, no size, 2025-03-15      member of B (member, inactive)   enterprise / past_due
            u5 ' ' industry, 201-500, 2025-05-02     no organization                  no subscription
    orgs    A 'Acme' (created 2025-01-06, owner u1), B 'Beta' (2025-03-03, owner u3),
            C 'Acme' too (2025-04-01, no members, no owner)

Rules of the metrics layer these check: u2's invited membership does not make u2 (or u2's subscription)
organization A's; 'SaaS' and 'saas' are one industry; the data's latest day (2025-05-02) is the as_of bound.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pandas as pd
import pytest

from bi_workbench.domain import users_orgs as uo
from bi_workbench.errors import InvalidParameterError
from bi_workbench.schema import tables as t

U1, U2, U3, U4, U5 = (uuid.UUID(int=i) for i in range(1, 6))
ORG_A, ORG_B, ORG_C = (uuid.UUID(int=i) for i in (101, 102, 103))
NOTHING = {"since": "2000-01-01", "until": "2000-01-31"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def insert_hand_data(conn) -> None:
    conn.execute(t.users.insert(), [
        {"id": u, "email": f"u{i}@example.com", "first_name": "U", "last_name": str(i), "industry": industry,
         "company_size": size, "created_at": at(created)}
        for i, (u, industry, size, created) in enumerate([
            (U1, "SaaS", "11-50", "2025-01-06 10:00"), (U2, "saas", "1-10", "2025-01-20 09:00"),
            (U3, "Retail", "1000+", "2025-03-03 12:00"), (U4, None, None, "2025-03-15 08:00"),
            (U5, " ", "201-500", "2025-05-02 08:00")], start=1)
    ])
    conn.execute(t.organizations.insert(), [
        {"id": ORG_A, "name": "Acme", "slug": "acme", "owner_id": U1, "created_at": at("2025-01-06 10:00")},
        {"id": ORG_B, "name": "Beta", "slug": "beta", "owner_id": U3, "created_at": at("2025-03-03 12:00")},
        {"id": ORG_C, "name": "Acme", "slug": "acme-2", "owner_id": None, "created_at": at("2025-04-01 00:00")},
    ])
    conn.execute(t.organization_members.insert(), [
        {"organization_id": org, "user_id": user, "role": role, "status": status, "joined_at": at(joined)}
        for org, user, role, status, joined in [
            (ORG_A, U1, "owner", "active", "2025-01-06 10:00"), (ORG_A, U2, "member", "invited", "2025-01-20 09:00"),
            (ORG_A, U3, "analyst", "active", "2025-03-03 12:00"), (ORG_B, U3, "owner", "active", "2025-03-03 12:00"),
            (ORG_B, U4, "member", "inactive", "2025-03-15 08:00")]
    ])
    conn.execute(t.subscriptions.insert(), [
        {"user_id": user, "plan": plan, "status": status, "created_at": at(created)}
        for user, plan, status, created in [
            (U1, "pro", "active", "2025-01-07 00:00"), (U2, "free", "active", "2025-01-20 09:00"),
            (U3, "starter", "canceled", "2025-03-04 00:00"), (U4, "enterprise", "past_due", "2025-03-16 00:00")]
    ])


def sel(conn, **params):
    """The report's selection of ``params`` (organization_id, industry, since, until, as_of)."""
    return uo.selection(conn, params)


def overview_dict(frame: pd.DataFrame) -> dict:
    return dict(zip(frame["measure"], frame["value"]))


# --- the selection -----------------------------------------------------------------------------------


def test_the_selection_is_bounded_by_the_latest_day_of_data(hand):
    assert sel(hand).label == "data up to 2025-05-02 (end of day, UTC)"
    assert sel(hand, as_of="2025-03-10").label == "data up to 2025-03-10 (end of day, UTC)"


def test_an_unknown_industry_or_organization_is_an_error_naming_the_known_ones(hand):
    with pytest.raises(InvalidParameterError, match="known industries: Retail, SaaS"):
        sel(hand, industry="Spaceships")
    with pytest.raises(InvalidParameterError, match="is no organization.*Acme"):
        sel(hand, organization_id=uuid.UUID(int=999))
    with pytest.raises(InvalidParameterError, match="organization_id must be a UUID"):
        sel(hand, organization_id="not-a-uuid")
    with pytest.raises(InvalidParameterError, match="is before since"):
        sel(hand, since="2025-02-01", until="2025-01-01")
    with pytest.raises(InvalidParameterError, match="Connection"):
        sel(object())


# --- the hand-made data ------------------------------------------------------------------------------


def test_overview_counts_the_selection(hand):
    assert overview_dict(uo.overview(hand, sel(hand))) == {
        "users signed up": 5, "organizations created": 3, "memberships started": 4, "subscriptions started": 4,
        "paying customers (at the end)": 2, "first sign-up": "2025-01-06", "latest sign-up": "2025-05-02",
    }  # paying: u1 pro active, u4 enterprise past_due; not u2 (free) nor u3 (canceled)
    saas = overview_dict(uo.overview(hand, sel(hand, industry="saas")))
    assert saas["users signed up"] == 2 and saas["organizations created"] == 1 and saas["memberships started"] == 1
    org_b = overview_dict(uo.overview(hand, sel(hand, organization_id=ORG_B)))
    assert list(org_b.values())[:5] == [2, 1, 2, 2, 1]  # u3 active and u4 inactive both count for B


def test_an_invited_member_is_not_the_organizations(hand):
    org_a = overview_dict(uo.overview(hand, sel(hand, organization_id=ORG_A)))
    # users u1, u3 (not u2, invited); A's two counted memberships (not the invitation); subscriptions of u1 and u3
    assert list(org_a.values())[:5] == [2, 1, 2, 2, 1]


def test_overview_of_nothing_is_zeros_and_blank_dates(hand):
    assert list(uo.overview(hand, sel(hand, **NOTHING))["value"]) == [0, 0, 0, 0, 0, "", ""]
    assert list(uo.overview(hand, sel(hand, organization_id=ORG_C))["value"])[:5] == [0, 1, 0, 0, 0]


def test_signups_per_month_fill_the_gaps_accumulate_and_mark_the_open_month(hand):
    frame = uo.signups_per_month(hand, sel(hand))
    assert list(frame["period"]) == [pd.Timestamp(f"2025-0{m}-01") for m in (1, 2, 3, 4, 5)]
    assert list(frame["signups"]) == [2, 0, 2, 0, 1]
    assert list(frame["cumulative"]) == [2, 2, 4, 4, 5]
    assert list(frame["complete"]) == [True, True, True, True, False]  # May is not over on 2025-05-02
    march = uo.signups_per_month(hand, sel(hand, since="2025-03-01", until="2025-03-31"))
    assert list(march["signups"]) == [2] and list(march["complete"]) == [True]


def test_recent_months_keeps_the_last_months_as_text(hand):
    table = uo.recent_months(uo.signups_per_month(hand, sel(hand)), 2)
    assert table.to_dict("list") == {"month": ["2025-04", "2025-05"], "complete": [True, False], "signups": [0, 1],
                                     "cumulative": [4, 5]}
    assert list(uo.recent_months(uo.signups_per_month(hand, sel(hand, **NOTHING)), 12).columns) == \
        ["month", "complete", "signups", "cumulative"]


def test_users_by_industry_share_and_unknown(hand):
    frame = uo.users_by_industry(hand, sel(hand))
    # 'SaaS' and 'saas' are one industry (shown as first spelled); blank and NULL industries are 'unknown'
    assert frame.to_dict("list") == {"industry": ["SaaS", "unknown", "Retail"], "users": [2, 2, 1],
                                     "share": [0.4, 0.4, 0.2]}
    folded = uo.users_by_industry(hand, sel(hand), max_rows=2)
    assert folded.to_dict("list") == {"industry": ["SaaS", "(other)"], "users": [2, 3], "share": [0.4, 0.6]}
    assert uo.users_by_industry(hand, sel(hand, industry=" SAAS "))["users"].sum() == 2


def test_users_by_company_size_in_size_order(hand):
    frame = uo.users_by_company_size(hand, sel(hand))
    assert list(frame["company_size"]) == ["1-10", "11-50", "201-500", "1000+", "unknown"]
    assert list(frame["users"]) == [1, 1, 1, 1, 1]


def test_membership_largest_organizations_and_roles(hand):
    members = uo.membership(hand, sel(hand))
    assert members["members"].sum() == 5
    largest = uo.largest_organizations(members, 10)
    assert list(largest.columns) == ["organization", "slug", "organization_status", "members", "active", "invited",
                                     "inactive", "role_owner", "role_analyst", "role_member"]
    assert largest.iloc[0].to_dict() == {"organization": "Acme", "slug": "acme", "organization_status": "active",
                                         "members": 3, "active": 2, "invited": 1, "inactive": 0, "role_owner": 1,
                                         "role_analyst": 1, "role_member": 1}
    assert list(largest["organization"]) == ["Acme", "Beta"]  # C has no members
    assert list(uo.largest_organizations(members, 1)["slug"]) == ["acme"]
    roles = uo.roles_per_organization(members, 10)
    assert list(roles.itertuples(index=False, name=None)) == [
        ("Acme", "owner", 1), ("Acme", "analyst", 1), ("Acme", "member", 1),
        ("Beta", "owner", 1), ("Beta", "member", 1)]
    table = uo.roles_by_status(members)
    assert table.to_dict("list") == {"role": ["owner", "analyst", "member"], "active": [2, 1, 0],
                                     "invited": [0, 0, 1], "inactive": [0, 0, 1], "total": [2, 1, 2]}


def test_organization_labels_carry_the_slug_when_names_repeat():
    members = pd.DataFrame({"organization_id": [1, 2], "organization": ["Acme", "Acme"], "slug": ["acme", "acme-2"],
                            "organization_status": ["active", "active"], "role": ["owner", "owner"],
                            "status": ["active", "active"], "members": [2, 1]})
    assert list(uo.roles_per_organization(members)["organization"]) == ["Acme (acme)", "Acme (acme-2)"]


def test_membership_follows_the_selection(hand):
    assert uo.membership(hand, sel(hand, organization_id=ORG_B))["members"].sum() == 2
    assert uo.membership(hand, sel(hand, industry="retail"))["members"].sum() == 2  # u3 in A and in B
    assert uo.membership(hand, sel(hand, since="2025-03-01"))["members"].sum() == 3
    assert uo.membership(hand, sel(hand, as_of="2025-03-03"))["members"].sum() == 4  # not u4's of 03-15


def test_subscriptions_by_plan_and_the_plan_table(hand):
    frame = uo.subscriptions_by_plan(hand, sel(hand))
    assert list(frame.itertuples(index=False, name=None)) == [
        ("free", "active", 1), ("starter", "canceled", 1), ("pro", "active", 1), ("enterprise", "past_due", 1)]
    table = uo.plan_status_table(frame)
    assert list(table.columns) == ["plan", "active", "past_due", "canceled", "total"]
    assert table.set_index("plan")["total"].to_dict() == {"free": 1, "starter": 1, "pro": 1, "enterprise": 1}


def test_paying_share_by_industry_counts_the_catalogues_paying_customers(hand):
    frame = uo.paying_share_by_industry(hand, sel(hand))
    # SaaS: u1 pro active pays, u2 free does not; unknown: u4 enterprise past_due pays, u5 has none
    assert list(frame.itertuples(index=False, name=None)) == [
        ("SaaS", 2, 1, 0.5), ("unknown", 2, 1, 0.5), ("Retail", 1, 0, 0.0)]
    folded = uo.paying_share_by_industry(hand, sel(hand), max_rows=2)
    assert list(folded.itertuples(index=False, name=None)) == [("SaaS", 2, 1, 0.5), ("(other)", 3, 1, 0.3333)]


def test_every_function_returns_typed_empty_frames_for_an_empty_selection(hand):
    for params in (NOTHING, {"organization_id": ORG_C}):
        bounds = sel(hand, **params)
        assert uo.signups_per_month(hand, bounds).empty
        assert uo.users_by_industry(hand, bounds).empty
        assert uo.users_by_company_size(hand, bounds).empty
        members = uo.membership(hand, bounds)
        assert members.empty and uo.largest_organizations(members).empty
        assert uo.roles_per_organization(members).empty and uo.roles_by_status(members).empty
        subscriptions = uo.subscriptions_by_plan(hand, bounds)
        assert subscriptions.empty and uo.plan_status_table(subscriptions).empty
        assert list(uo.paying_share_by_industry(hand, bounds).columns) == list(uo.PAYING_COLUMNS)
    assert list(uo.signups_per_month(hand, sel(hand, **NOTHING)).columns) == uo.SIGNUP_COLUMNS


def test_bad_arguments_are_refused(hand):
    with pytest.raises(InvalidParameterError, match="top_n"):
        uo.largest_organizations(uo.membership(hand, sel(hand)), 0)
    with pytest.raises(InvalidParameterError, match="max_rows"):
        uo.users_by_industry(hand, sel(hand), max_rows=0)


# --- the demo data ------------------------------------------------------------------------------------


def test_the_demo_data_adds_up(demo):
    bounds = sel(demo)
    overview = overview_dict(uo.overview(demo, bounds))
    signups = uo.signups_per_month(demo, bounds)
    assert overview["users signed up"] == signups["signups"].sum() == signups["cumulative"].iloc[-1] > 0
    assert uo.users_by_industry(demo, bounds)["users"].sum() == overview["users signed up"]
    assert uo.users_by_company_size(demo, bounds)["users"].sum() == overview["users signed up"]
    assert abs(uo.users_by_industry(demo, bounds)["share"].sum() - 1) < 1e-3
    members = uo.membership(demo, bounds)
    invited = members.loc[members["status"] == "invited", "members"].sum()    # listed, but not counted
    assert members["members"].sum() - invited == overview["memberships started"] and invited > 0
    assert uo.roles_by_status(members)["total"].sum() - invited == overview["memberships started"]
    assert uo.plan_status_table(uo.subscriptions_by_plan(demo, bounds))["total"].sum() == \
        overview["subscriptions started"]
    assert uo.paying_share_by_industry(demo, bounds)["paying"].sum() <= overview["paying customers (at the end)"]
    largest = uo.largest_organizations(members, 5)
    assert len(largest) == 5 and largest["members"].is_monotonic_decreasing


def test_a_lower_case_industry_finds_the_demo_saas_users(demo):
    """Issue 10, example 1: `industry saas` (lower case) finds the 75 SaaS users, and their paying customers."""
    bounds = sel(demo, industry="saas")
    assert overview_dict(uo.overview(demo, bounds))["users signed up"] == 75
    assert overview_dict(uo.overview(demo, bounds))["paying customers (at the end)"] > 0


def test_the_demo_tables_are_the_same_on_every_call(demo):
    def tables():
        bounds = sel(demo)
        return (uo.users_by_industry(demo, bounds), uo.largest_organizations(uo.membership(demo, bounds)),
                uo.paying_share_by_industry(demo, bounds))

    for a, b in zip(tables(), tables()):
        pd.testing.assert_frame_equal(a, b)
