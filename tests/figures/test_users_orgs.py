"""Figures of the users and organizations report: their data (traces, x and y), titles, and "no data" when empty."""

from __future__ import annotations

import pandas as pd

from bi_workbench.domain import users_orgs as uo
from bi_workbench.figures.common import NO_DATA
from bi_workbench.figures import users_orgs as fig


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def assert_no_data(figure, title: str) -> None:
    assert len(figure.data) == 0
    assert [a.text for a in figure.layout.annotations] == [NO_DATA]
    assert figure.layout.title.text == title
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text


def assert_titled(figure) -> None:
    assert figure.layout.title.text and figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
    assert not figure.layout.annotations


SIGNUPS = pd.DataFrame({"period": [utc("2025-01-01"), utc("2025-02-01"), utc("2025-03-01")],
                        "complete": [True, True, True], "signups": [2, 0, 1], "cumulative": [2, 2, 3]})
MEMBERS = pd.DataFrame({
    "organization_id": [1, 1, 1, 2], "organization": ["Acme", "Acme", "Acme", "Beta"],
    "slug": ["acme", "acme", "acme", "beta"],
    "organization_status": ["active"] * 4, "role": ["member", "owner", "member", "owner"],
    "status": ["active", "active", "invited", "active"], "members": [3, 1, 1, 1],
})
SUBSCRIPTIONS = pd.DataFrame({"plan": ["free", "pro", "pro", "custom"],
                              "status": ["active", "active", "canceled", "trial"], "subscriptions": [5, 2, 1, 1]})


def test_signups_per_month_bars_and_cumulative_line():
    figure = fig.signups_per_month(SIGNUPS)
    assert_titled(figure)
    bars, line = figure.data
    assert (bars.type, line.type, line.yaxis) == ("bar", "scatter", "y2")
    assert list(bars.y) == [2, 0, 1] and list(line.y) == [2, 2, 3]
    assert [pd.Timestamp(x) for x in bars.x] == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01"),
                                                  pd.Timestamp("2025-03-01")]
    assert figure.layout.yaxis2.overlaying == "y"


def test_signups_per_month_shade_the_month_not_over():
    figure = fig.signups_per_month(SIGNUPS.assign(complete=[True, True, False]))
    (shade,) = figure.layout.shapes
    assert pd.Timestamp(shade.x0) == pd.Timestamp("2025-03-01")
    assert [a.text for a in figure.layout.annotations] == ["period not over"]


def test_users_by_industry_and_company_size_bars():
    industries = pd.DataFrame({"industry": ["SaaS", "unknown"], "users": [3, 1], "share": [0.75, 0.25]})
    figure = fig.users_by_industry(industries)
    assert_titled(figure)
    assert figure.data[0].orientation == "h"
    assert list(figure.data[0].y) == ["SaaS", "unknown"] and list(figure.data[0].x) == [3, 1]
    assert figure.layout.yaxis.autorange == "reversed"  # the largest at the top
    sizes = pd.DataFrame({"company_size": ["1-10", "11-50"], "users": [2, 5], "share": [0.2857, 0.7143]})
    figure = fig.users_by_company_size(sizes)
    assert list(figure.data[0].x) == ["1-10", "11-50"] and list(figure.data[0].y) == [2, 5]
    assert figure.layout.xaxis.type == "category"


def test_roles_per_organization_stacks_one_trace_per_role():
    figure = fig.roles_per_organization(uo.roles_per_organization(MEMBERS))
    assert_titled(figure)
    assert figure.layout.barmode == "stack"
    assert [t.name for t in figure.data] == ["owner", "member"]
    owner, member = figure.data
    assert list(owner.x) == ["Acme", "Beta"] and list(owner.y) == [1, 1]
    assert list(member.y) == [4, 0]  # Beta has no plain member


def test_subscriptions_by_plan_stacks_one_trace_per_status():
    figure = fig.subscriptions_by_plan(SUBSCRIPTIONS)
    assert [t.name for t in figure.data] == ["active", "trial", "canceled"]
    assert list(figure.data[0].x) == ["free", "pro", "custom"]  # known plans first, cheapest first
    assert {t.name: list(t.y) for t in figure.data} == {"active": [5, 2, 0], "trial": [0, 0, 1], "canceled": [0, 1, 0]}


def test_paying_share_by_industry_on_a_percent_axis():
    paying = pd.DataFrame({"industry": ["SaaS", "Retail"], "users": [4, 2], "paying": [1, 0],
                           "paying_share": [0.25, 0.0]})
    figure = fig.paying_share_by_industry(paying)
    assert list(figure.data[0].x) == ["SaaS", "Retail"] and list(figure.data[0].y) == [0.25, 0.0]
    assert figure.layout.yaxis.tickformat == ".0%"
    assert [list(c) for c in figure.data[0].customdata] == [[1, 4], [0, 2]]


def test_every_figure_says_no_data_when_empty():
    empty_members = MEMBERS.iloc[0:0]
    cases = [
        (fig.signups_per_month, pd.DataFrame(columns=list(uo.SIGNUP_COLUMNS)), "Sign-ups per month"),
        (fig.users_by_industry, pd.DataFrame(columns=["industry", "users", "share"]), "Users by industry"),
        (fig.users_by_company_size, pd.DataFrame(columns=["company_size", "users", "share"]), "Users by company size"),
        (fig.roles_per_organization, uo.roles_per_organization(empty_members),
         "Members by role in the largest organizations"),
        (fig.subscriptions_by_plan, SUBSCRIPTIONS.iloc[0:0], "Subscriptions by plan and status"),
        (fig.paying_share_by_industry, pd.DataFrame(columns=list(uo.PAYING_COLUMNS)),
         "Share of users on a paying plan, by industry"),
    ]
    for build, frame, title in cases:
        assert_no_data(build(frame), title)


def test_the_figures_draw_the_demo_data(demo_engine):
    with demo_engine.connect() as conn:
        bounds = uo.selection(conn, {"as_of": "2026-06-05"})
        signups = uo.signups_per_month(conn, bounds)
        industries = uo.users_by_industry(conn, bounds)
        members = uo.membership(conn, bounds)
        subscriptions = uo.subscriptions_by_plan(conn, bounds)
        paying = uo.paying_share_by_industry(conn, bounds)
    drawn = fig.signups_per_month(signups)
    assert sum(drawn.data[0].y) == signups["signups"].sum()
    assert pd.Timestamp(drawn.layout.shapes[0].x0) == pd.Timestamp("2026-06-01")  # June is not over on the 5th
    assert sum(fig.users_by_industry(industries).data[0].x) == industries["users"].sum()
    roles = fig.roles_per_organization(uo.roles_per_organization(members, 10))
    assert sum(sum(t.y) for t in roles.data) == uo.largest_organizations(members, 10)["members"].sum()
    assert len(roles.data[0].x) == 10
    assert sum(sum(t.y) for t in fig.subscriptions_by_plan(subscriptions).data) == subscriptions["subscriptions"].sum()
    assert list(fig.paying_share_by_industry(paying).data[0].y) == list(paying["paying_share"])
