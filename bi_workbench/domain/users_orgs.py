"""Users and organizations (report ``01_users_orgs``): sign-ups, industries, company sizes, membership, plans.

Every function that reads the database takes an SQLAlchemy Connection (it never
opens one) and the report's `bi_workbench.metrics.Bounds` (`selection` resolves a
report's parameters once); the numbers come from the metrics layer: counts
through `bi_workbench.metrics.query` (`report_selection.metric_frame`), lists
through SQLAlchemy Core SELECTs on `bi_workbench.metrics.selected_rows`, so the
organization, industry, date and as_of rules are those of the metrics layer
(DESIGN.md, "One definition of every number"): a user belongs to the
organizations it is a counted member of, memberships to their organization,
subscriptions to their user's organizations; industries compare case- and
space-insensitively. The functions that take a DataFrame only reshape what
those return. No data gives an empty frame with the same columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import metrics
from ..schema import tables as t
from .analytics import _frame, _whole_number
from .report_selection import (
    UNKNOWN, industry_label, iso_day, label, labelled, measures_frame, metric_frame, monthly, resolve, run,
)
#: Label of the rows folded together when a table is cut to its largest groups.
OTHER = "(other)"
#: Plans from the cheapest up; plans not listed here come after them, alphabetically.
PLAN_ORDER = ("free", "starter", "pro", "enterprise")
#: Subscription statuses in the order tables and figures show them; others come after, alphabetically.
STATUS_ORDER = ("active", "trial", "past_due", "canceled")
#: Member roles in the order tables and figures show them; others come after, alphabetically.
ROLE_ORDER = ("owner", "admin", "analyst", "member")
#: Most rows a table of groups shows before folding the rest into OTHER.
MAX_ROWS = 15
#: The headline numbers of the report (metric names), shown at its top.
HEADLINES = ("users", "organizations", "memberships", "paying_customers", "mrr")
#: (metric, dimension) of the key findings' breakdown: the industries' share of users.
SHARE = ("users", "industry")


def selection(conn: Connection, params: Mapping) -> metrics.Bounds:
    """Return the report's selection resolved on ``conn`` (`report_selection.resolve`); errors name known values."""
    return resolve(conn, params)


# --- overview ----------------------------------------------------------------------------

#: (measure shown, metric) of `overview`, in order; then the first and latest sign-up.
OVERVIEW_METRICS = (("users signed up", "users"), ("organizations created", "organizations"),
                    ("memberships started", "memberships"), ("subscriptions started", "subscriptions"),
                    ("paying customers (at the end)", "paying_customers"))
OVERVIEW_MEASURES = (*(label for label, _ in OVERVIEW_METRICS), "first sign-up", "latest sign-up")


def overview(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return the figures of the selection: columns measure, value (one row per OVERVIEW_MEASURES).

    Counts are the metrics of OVERVIEW_METRICS (integers); the first and latest
    sign-up are ISO dates ('' without sign-ups).
    Example: two users signed up on 2025-01-06 and 2025-01-20 ->
    rows ("users signed up", 2), ..., ("first sign-up", "2025-01-06"), ("latest sign-up", "2025-01-20").
    """
    values = metric_frame(conn, bounds, [name for _, name in OVERVIEW_METRICS])
    counts = [int(values[name].iloc[0]) for _, name in OVERVIEW_METRICS]
    users = metrics.selected_rows("user", bounds).subquery()
    first, latest = run(conn, sa.select(sa.func.min(users.c.created_at), sa.func.max(users.c.created_at)),
                        ["first", "latest"]).iloc[0]
    return measures_frame(OVERVIEW_MEASURES, [*counts, iso_day(first), iso_day(latest)])


# --- sign-ups ------------------------------------------------------------------------------

SIGNUP_COLUMNS = ["period", "complete", "signups", "cumulative"]


def signups_per_month(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return users signing up per calendar month (UTC): period, complete, signups, cumulative.

    The metric ``users`` by month; months without sign-ups between the first and the
    last are included with 0; ``complete`` is False for a month not over at the
    selection's as_of; ``cumulative`` counts the selection's sign-ups up to and including the month.
    Example: sign-ups on 2025-01-06, 2025-01-20 and 2025-03-03 ->
    rows (2025-01-01, True, 2, 2), (2025-02-01, True, 0, 2), (2025-03-01, ..., 1, 3).
    """
    frame = monthly(metric_frame(conn, bounds, "users", grain="month").rename(columns={"users": "signups"}),
                    ["signups"])
    frame["cumulative"] = frame["signups"].cumsum().astype("int64")
    return frame[SIGNUP_COLUMNS]


def recent_months(frame: pd.DataFrame, months: int = 12) -> pd.DataFrame:
    """Return the last ``months`` rows of a monthly frame (oldest first), its ``period`` written 'YYYY-MM' as ``month``.

    For showing a monthly series as a short table. Example: `signups_per_month`'s
    36 months -> the last 12, columns month, complete, signups, cumulative.
    """
    months = _whole_number(months, "months", 1000)
    tail = frame.sort_values("period", kind="stable").tail(months)
    labels = pd.to_datetime(tail["period"], utc=True).dt.strftime("%Y-%m").astype("string")
    columns = ["month", *tail.columns.drop("period")]
    return tail.drop(columns="period").assign(month=labels)[columns].reset_index(drop=True)


# --- industries and company sizes ----------------------------------------------------------


def users_by_industry(conn: Connection, bounds: metrics.Bounds, max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """Return users per industry (the metric ``users`` by industry): industry, users, share (4 decimals).

    Largest first (ties by name); no industry is 'unknown'; beyond ``max_rows``
    industries the smallest are folded into one row '(other)', last.
    Example: 3 SaaS users and 1 without industry -> rows ("SaaS", 3, 0.75), ("unknown", 1, 0.25).
    """
    frame = _users_by(conn, bounds, "industry")
    frame = frame.sort_values(["users", "value"], ascending=[False, True], kind="stable")
    return _with_share(_fold_tail(frame, "value", "users", max_rows)).rename(columns={"value": "industry"})


def users_by_company_size(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return users per company size band (the metric ``users`` by company_size): company_size, users, share.

    Bands are in size order (by the first number of the label: '1-10' before
    '11-50' before '1000+'); labels without a number, then 'unknown', come last.
    Example: users of '11-50', '1-10' and none -> rows "1-10", "11-50", "unknown".
    """
    frame = _users_by(conn, bounds, "company_size")
    order = frame["value"].map(_size_key)
    frame = frame.assign(_key=order).sort_values("_key", kind="stable").drop(columns="_key")
    return _with_share(frame).rename(columns={"value": "company_size"})


def _users_by(conn: Connection, bounds: metrics.Bounds, dimension: str) -> pd.DataFrame:
    """Return value, users: the metric ``users`` per value of ``dimension`` (none: 'unknown')."""
    frame = metric_frame(conn, bounds, "users", by=dimension)
    frame = pd.DataFrame({"value": labelled(frame[dimension]), "users": frame["users"]}).groupby("value", as_index=False, sort=False).sum()
    return _frame(list(frame.itertuples(index=False, name=None)), {"value": "str", "users": "int"})


def _size_key(label) -> tuple:
    """Return the sort key of a company size band: (0, lower bound) for '11-50', (1, label) for text, (2,) unknown."""
    if label == UNKNOWN:
        return (2, 0, "")
    found = re.match(r"\s*(\d[\d,]*)", str(label))
    if found:
        return (0, int(found.group(1).replace(",", "")), str(label))
    return (1, 0, str(label))



def _fold_tail(frame: pd.DataFrame, label: str, count: str, max_rows: int) -> pd.DataFrame:
    """Return ``frame`` (sorted, largest first) cut to ``max_rows`` rows, the rest summed into one '(other)' row."""
    max_rows = _whole_number(max_rows, "max_rows", 1000)
    if len(frame) <= max_rows:
        return frame.reset_index(drop=True)
    head, tail = frame.iloc[:max_rows - 1], frame.iloc[max_rows - 1:]
    other = pd.DataFrame({label: pd.Series([OTHER], dtype=frame[label].dtype),
                          **{c: pd.Series([tail[c].sum()], dtype=frame[c].dtype) for c in frame.columns if c != label}})
    return pd.concat([head, other], ignore_index=True)


def _with_share(frame: pd.DataFrame, count: str = "users") -> pd.DataFrame:
    """Return ``frame`` with a ``share`` column: each row's ``count`` over the total, rounded to 4 decimals."""
    total = frame[count].sum()
    share = (frame[count] / total).round(4) if total else pd.Series(np.nan, index=frame.index)
    return frame.assign(share=share.astype("float64")).reset_index(drop=True)


# --- organizations and their members ----------------------------------------------------------

MEMBERSHIP_COLUMNS = {"organization_id": "object", "organization": "str", "slug": "str",
                      "organization_status": "str", "role": "str", "status": "str", "members": "int"}


def membership(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return memberships per organization, role and member status (long): the input of the membership tables.

    Columns: organization_id, organization (name), slug, organization_status, role,
    status (of the membership: active, invited, inactive...), members. The memberships
    are those of the selection (`metrics.selected_rows("membership")`: by ``joined_at``,
    the organization's own, of members of the industry).
    Example: org A with an active owner and an invited member ->
    rows (A, ..., "member", "invited", 1), (A, ..., "owner", "active", 1).
    """
    m = metrics.selected_rows("membership", bounds).subquery("m")
    o = t.organizations
    role, status = label(m.c.role), label(m.c.status)
    statement = (sa.select(o.c.id, o.c.name, o.c.slug, sa.func.coalesce(o.c.status, UNKNOWN), role, status,
                           sa.func.count())
                 .select_from(m.join(o, o.c.id == m.c.organization_id))
                 .group_by(o.c.id, o.c.name, o.c.slug, o.c.status, role, status)
                 .order_by(o.c.name, o.c.slug, role, status))
    return _frame(list(run(conn, statement, list(MEMBERSHIP_COLUMNS)).itertuples(index=False, name=None)),
                  MEMBERSHIP_COLUMNS)


def in_order(values, order: tuple[str, ...]) -> list[str]:
    """Return the distinct ``values``: those in ``order`` first, in that order, then the others alphabetically."""
    present = set(values)
    return [v for v in order if v in present] + sorted(present - set(order))


def largest_organizations(members: pd.DataFrame, top_n: int = 10) -> pd.DataFrame:
    """Return the ``top_n`` organizations with the most members, from `membership`'s frame.

    Columns: organization, slug, organization_status, members, then one column per
    membership status (active, invited, ...) and one per role (owner, admin,
    analyst, member, ... in ROLE_ORDER), counts. Most members first, then by name
    and slug. Example: A (3 members) and B (1) with top_n=1 -> one row, A.
    """
    top_n = _whole_number(top_n, "top_n", 1000)
    keys = ["organization_id", "organization", "slug", "organization_status"]
    columns = ["organization", "slug", "organization_status", "members"]
    if members.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "members" else "string") for c in columns})
    totals = members.groupby(keys, sort=False)["members"].sum().rename("members")
    by_status = members.pivot_table(index=keys, columns="status", values="members", aggfunc="sum", fill_value=0)
    by_role = members.pivot_table(index=keys, columns="role", values="members", aggfunc="sum", fill_value=0)
    by_status = by_status[in_order(by_status.columns, ("active", "invited", "inactive"))]
    by_role = by_role[in_order(by_role.columns, ROLE_ORDER)].add_prefix("role_")
    table = pd.concat([totals, by_status, by_role], axis=1).reset_index()
    table = table.sort_values(["members", "organization", "slug"], ascending=[False, True, True], kind="stable")
    table = table.drop(columns="organization_id").head(top_n).reset_index(drop=True)
    counts = [c for c in table.columns if c not in ("organization", "slug", "organization_status")]
    table[counts] = table[counts].astype("int64")
    table.columns.name = None
    return table


def roles_per_organization(members: pd.DataFrame, top_n: int = 10) -> pd.DataFrame:
    """Return members per role of the ``top_n`` largest organizations (long): organization, role, members.

    Organizations in `largest_organizations` order (labelled by name, with the slug
    when two share a name), roles in ROLE_ORDER; only roles an organization has.
    Example: A with an owner and 2 members -> rows (A, "owner", 1), (A, "member", 2).
    """
    largest = largest_organizations(members, top_n)
    columns = {"organization": "str", "role": "str", "members": "int"}
    if largest.empty:
        return _frame([], columns)
    labels = _organization_labels(largest)
    roles = [c for c in largest.columns if c.startswith("role_")]
    long = largest[roles].assign(organization=labels).melt(id_vars="organization", value_vars=roles,
                                                           var_name="role", value_name="members")
    long["role"] = long["role"].str.removeprefix("role_")
    long = long[long["members"] > 0]
    rank = {label: i for i, label in enumerate(labels)}
    role_rank = {role: i for i, role in enumerate(r.removeprefix("role_") for r in roles)}
    long = long.assign(_o=long["organization"].map(rank), _r=long["role"].map(role_rank))
    long = long.sort_values(["_o", "_r"], kind="stable")
    return _frame(list(long[list(columns)].itertuples(index=False, name=None)), columns)


def _organization_labels(table: pd.DataFrame) -> list[str]:
    """Return a label per organization: its name, or 'name (slug)' where names repeat."""
    repeated = table["organization"].duplicated(keep=False)
    return [f"{name} ({slug})" if twice else str(name)
            for name, slug, twice in zip(table["organization"], table["slug"], repeated)]


def roles_by_status(members: pd.DataFrame) -> pd.DataFrame:
    """Return memberships per role (rows) and status (columns), with a total column, from `membership`'s frame.

    Roles in ROLE_ORDER and statuses active, invited, inactive, each followed by any
    others alphabetically: a fixed order, so the table reads the same for any selection.
    Example: an active owner and an invited member -> rows owner (1, 0, 1) and member (0, 1, 1).
    """
    if members.empty:
        return pd.DataFrame({"role": pd.Series(dtype="string"), "total": pd.Series(dtype="int64")})
    table = members.pivot_table(index="role", columns="status", values="members", aggfunc="sum", fill_value=0)
    table = table.reindex(index=in_order(table.index, ROLE_ORDER),
                          columns=in_order(table.columns, ("active", "invited", "inactive")))
    table["total"] = table.sum(axis=1)
    table = table.astype("int64").reset_index()
    table.columns.name = None
    return table



# --- plans and subscriptions ---------------------------------------------------------------------

SUBSCRIPTION_COLUMNS = {"plan": "str", "status": "str", "subscriptions": "int"}


def subscriptions_by_plan(conn: Connection, bounds: metrics.Bounds) -> pd.DataFrame:
    """Return subscriptions per plan and status (long; the metric ``subscriptions`` by plan and status).

    Columns plan, status, subscriptions. Subscriptions are chosen by their
    ``created_at`` and by their user (industry, membership). Plans in PLAN_ORDER,
    statuses in STATUS_ORDER, others after them; blank is 'unknown'.
    Example: two active pro and one canceled free -> rows ("free", "canceled", 1), ("pro", "active", 2).
    """
    frame = metric_frame(conn, bounds, "subscriptions", by=["plan", "status"])
    frame = frame.assign(plan=labelled(frame["plan"]), status=labelled(frame["status"]))
    frame = _frame(list(frame[["plan", "status", "subscriptions"]].itertuples(index=False, name=None)),
                   SUBSCRIPTION_COLUMNS)
    return _sort_by_order(frame, {"plan": PLAN_ORDER, "status": STATUS_ORDER})


def plan_status_table(subscriptions: pd.DataFrame) -> pd.DataFrame:
    """Return `subscriptions_by_plan`'s frame as a table: one row per plan, one column per status, and total.

    Example: rows ("free", "canceled", 1), ("pro", "active", 2) ->
    plan free: active 0, canceled 1, total 1; plan pro: active 2, canceled 0, total 2.
    """
    if subscriptions.empty:
        return pd.DataFrame({"plan": pd.Series(dtype="string"), "total": pd.Series(dtype="int64")})
    table = subscriptions.pivot_table(index="plan", columns="status", values="subscriptions", aggfunc="sum",
                                      fill_value=0)
    table = table.reindex(index=in_order(table.index, PLAN_ORDER), columns=in_order(table.columns, STATUS_ORDER))
    table["total"] = table.sum(axis=1)
    table = table.astype("int64").reset_index()
    table.columns.name = None
    return table


def _sort_by_order(frame: pd.DataFrame, orders: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Return ``frame`` sorted by the columns ``orders`` names, each in its order (others alphabetically after)."""
    keys = {f"_{name}": frame[name].map({v: i for i, v in enumerate(in_order(frame[name], order))})
            for name, order in orders.items()}
    return frame.assign(**keys).sort_values(list(keys), kind="stable").drop(columns=list(keys)).reset_index(drop=True)



PAYING_COLUMNS = {"industry": "str", "users": "int", "paying": "int", "paying_share": "float"}


def paying_share_by_industry(conn: Connection, bounds: metrics.Bounds, max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """Return, per industry, how many of the users who signed up are paying customers at the end of the selection.

    Columns: industry, users, paying, paying_share (paying / users, 4 decimals).
    Users are the selection's (by sign-up); paying means a subscription that is a
    ``paying_customers`` row of the metrics layer (a plan other than free, active or
    past_due) at the end of the selection. Largest industries first; beyond
    ``max_rows`` the rest is '(other)'.
    Example: 4 SaaS users, one on pro (active), one on free -> ("SaaS", 4, 1, 0.25).
    """
    users = metrics.selected_rows("user", bounds, dimensions=("industry",)).subquery("u")
    paying = metrics.selected_rows("subscription", bounds, stock=True,
                                   where=metrics.metric("paying_customers").where).subquery("s")
    statement = (sa.select(industry_label(users.c.industry), sa.func.count(sa.distinct(users.c.id)), sa.func.count(sa.distinct(paying.c.id)))
                 .select_from(users.outerjoin(paying, paying.c.user_id == users.c.id))
                 .group_by(users.c.dim_industry))
    frame = run(conn, statement, ["industry", "users", "paying"]).astype({"users": "int64", "paying": "int64"})
    frame = frame.groupby("industry", as_index=False, sort=False).sum()
    frame = frame.sort_values(["users", "industry"], ascending=[False, True], kind="stable")
    frame = _fold_tail(frame, "industry", "users", max_rows)
    frame = frame.assign(paying_share=(frame["paying"] / frame["users"]).round(4) if len(frame) else [])
    return _frame(list(frame[list(PAYING_COLUMNS)].itertuples(index=False, name=None)), PAYING_COLUMNS)
