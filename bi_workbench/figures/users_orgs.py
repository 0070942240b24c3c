"""Figures of report ``01_users_orgs``: each takes a frame of `bi_workbench.domain.users_orgs` and returns a Figure.

Every figure has a title and axis titles; a frame without rows gives the same
figure with no traces and a centred "no data" annotation (`no_data`), so a
report on an empty selection still runs and says why a chart is blank. The
other report figure modules (`assessments`, `market`) share `no_data` and `titled`.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .common import mark_incomplete, naive_utc, no_data, titled

from ..domain.users_orgs import PLAN_ORDER, ROLE_ORDER, STATUS_ORDER, in_order


def signups_per_month(frame: pd.DataFrame) -> go.Figure:
    """Return sign-ups per month as bars and the cumulative count as a line on a second axis.

    ``frame``: `users_orgs.signups_per_month` (period, complete, signups, cumulative); a month not
    over at the selection's as_of is shaded (`mark_incomplete`), not read as a drop.
    """
    title, x_title, y_title = "Sign-ups per month", "month (UTC)", "users signing up"
    if frame.empty:
        return no_data(title, x_title, y_title)
    months = naive_utc(frame["period"])
    fig = go.Figure([
        go.Bar(x=months, y=list(frame["signups"]), name="sign-ups"),
        go.Scatter(x=months, y=list(frame["cumulative"]), name="cumulative", mode="lines", yaxis="y2"),
    ])
    mark_incomplete(fig, frame.assign(period=months))
    return titled(fig, title, x_title, y_title,
                  yaxis2={"title": {"text": "cumulative users"}, "overlaying": "y", "side": "right",
                          "rangemode": "tozero"},
                  legend={"orientation": "h", "y": -0.2})


def users_by_industry(frame: pd.DataFrame) -> go.Figure:
    """Return users per industry as horizontal bars, the largest at the top.

    ``frame``: `users_orgs.users_by_industry` (industry, users, share).
    """
    title, x_title, y_title = "Users by industry", "users", "industry"
    if frame.empty:
        return no_data(title, x_title, y_title)
    fig = go.Figure(go.Bar(x=list(frame["users"]), y=list(frame["industry"]), orientation="h", name="users",
                           customdata=list(frame["share"]),
                           hovertemplate="%{y}: %{x} users (%{customdata:.1%})<extra></extra>"))
    return titled(fig, title, x_title, y_title, yaxis={"autorange": "reversed"})


def users_by_company_size(frame: pd.DataFrame) -> go.Figure:
    """Return users per company size band as bars, smallest band first.

    ``frame``: `users_orgs.users_by_company_size` (company_size, users, share).
    """
    title, x_title, y_title = "Users by company size", "company size (employees)", "users"
    if frame.empty:
        return no_data(title, x_title, y_title)
    fig = go.Figure(go.Bar(x=list(frame["company_size"]), y=list(frame["users"]), name="users",
                           customdata=list(frame["share"]),
                           hovertemplate="%{x}: %{y} users (%{customdata:.1%})<extra></extra>"))
    return titled(fig, title, x_title, y_title, xaxis={"type": "category"})


def roles_per_organization(frame: pd.DataFrame) -> go.Figure:
    """Return members per role of each organization as stacked bars, one trace per role.

    ``frame``: `users_orgs.roles_per_organization` (organization, role, members); the
    organizations keep the frame's order (largest first).
    """
    title, x_title, y_title = "Members by role in the largest organizations", "organization", "members"
    if frame.empty:
        return no_data(title, x_title, y_title)
    organizations = list(dict.fromkeys(frame["organization"]))
    traces = []
    for role in in_order(frame["role"], ROLE_ORDER):
        counts = frame[frame["role"] == role].set_index("organization")["members"].reindex(organizations, fill_value=0)
        traces.append(go.Bar(x=organizations, y=[int(v) for v in counts], name=role))
    return titled(go.Figure(traces), title, x_title, y_title, barmode="stack",
                  xaxis={"type": "category", "categoryorder": "array", "categoryarray": organizations},
                  legend={"title": {"text": "role"}})


def subscriptions_by_plan(frame: pd.DataFrame) -> go.Figure:
    """Return subscriptions per plan as stacked bars, one trace per status (plans cheapest first).

    ``frame``: `users_orgs.subscriptions_by_plan` (plan, status, subscriptions).
    """
    title, x_title, y_title = "Subscriptions by plan and status", "plan", "subscriptions"
    if frame.empty:
        return no_data(title, x_title, y_title)
    plans = in_order(frame["plan"], PLAN_ORDER)
    traces = []
    for status in in_order(frame["status"], STATUS_ORDER):
        counts = (frame[frame["status"] == status].groupby("plan")["subscriptions"].sum()
                  .reindex(plans, fill_value=0))
        traces.append(go.Bar(x=plans, y=[int(v) for v in counts], name=status))
    return titled(go.Figure(traces), title, x_title, y_title, barmode="stack",
                  xaxis={"type": "category", "categoryorder": "array", "categoryarray": plans},
                  legend={"title": {"text": "status"}})


def paying_share_by_industry(frame: pd.DataFrame) -> go.Figure:
    """Return the share of each industry's users who pay as bars (percent axis), in the frame's order.

    ``frame``: `users_orgs.paying_share_by_industry` (industry, users, paying, paying_share).
    """
    title, x_title, y_title = "Share of users on a paying plan, by industry", "industry", "paying users / users"
    if frame.empty:
        return no_data(title, x_title, y_title)
    fig = go.Figure(go.Bar(
        x=list(frame["industry"]), y=[float(v) for v in frame["paying_share"]], name="paying share",
        customdata=list(zip(frame["paying"].astype(int), frame["users"].astype(int))),
        hovertemplate="%{x}: %{y:.1%} (%{customdata[0]} of %{customdata[1]} users)<extra></extra>",
    ))
    return titled(fig, title, x_title, y_title, yaxis={"tickformat": ".0%", "rangemode": "tozero"},
                  xaxis={"type": "category"})
