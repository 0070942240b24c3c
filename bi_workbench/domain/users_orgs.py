"""Users and organizations (report ``01_users_orgs``): sign-ups, industries, company sizes, membership, plans.

Every function that reads the database takes an SQLAlchemy Connection (it never
opens one), runs one aggregate query beside it with bound parameters, and
returns a small DataFrame sorted the same way every time; the functions that
take a DataFrame only reshape what those return. No data gives an empty frame
with the same columns.

Filters, shared by the functions that read (all optional, None = no filter):

- ``organization_id``: users who are members of that organization; memberships
  and organizations of that organization;
- ``industry``: users of that industry (``users.industry``, compared
  case-insensitively, blanks ignored); memberships and subscriptions of those
  users; organizations with at least one member of that industry;
- ``since`` / ``until``: a half-open range ``[since, until)`` (as the loaders and
  `bi_workbench.domain.analytics` take it) of each row's own time: users by
  sign-up (``created_at``), organizations and subscriptions by ``created_at``,
  memberships by ``joined_at``.

`report_filters` turns a report's parameters (inclusive dates, ``as_of``) into
these keywords; the other report modules (`assessments_report`,
`market_report`) use it too, and the helpers they share with this module
(`filter_params`, `fetch_rows`, `fill_months`, `iso_day`, `measures_frame`).

The queries are the named files of ``bi_workbench/domain/sql/users_orgs/``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import InvalidParameterError
from ..schema.sqlfiles import read_sql
from ..timeparse import parse_instant
from .analytics import _frame, _range, _text, _uuid, _whole_number

#: Label of rows whose grouping value is NULL or blank.
UNKNOWN = "unknown"
#: Label of the rows folded together when a table is cut to its largest groups.
OTHER = "(other)"
#: Plans from the cheapest up; plans not listed here come after them, alphabetically.
PLAN_ORDER = ("free", "starter", "pro", "enterprise")
#: Subscription statuses in the order tables and figures show them; others come after, alphabetically.
STATUS_ORDER = ("active", "trial", "past_due", "canceled")
#: Member roles in the order tables and figures show them; others come after, alphabetically.
ROLE_ORDER = ("owner", "admin", "analyst", "member")
#: A subscription that brings revenue: a plan other than these, in one of PAYING_STATUSES.
FREE_PLANS = ("free",)
PAYING_STATUSES = ("active", "past_due")
#: Most rows a table of groups shows before folding the rest into OTHER.
MAX_ROWS = 15

_ONE_DAY = dt.timedelta(days=1)


# --- report parameters -> filters -------------------------------------------------------


def report_filters(params: Mapping, *, keys: tuple[str, ...] = ("organization_id", "industry")) -> dict:
    """Return the data filters of a report's parameters: ``keys`` (as given) plus ``since`` and ``until``.

    A report's ``since`` and ``until`` are inclusive dates and ``as_of`` is the
    report's "today"; the result is the half-open UTC range the loaders and the
    domain functions take: ``since`` at midnight UTC (None if unbounded), ``until``
    at midnight UTC after the earlier of the report's ``until`` and ``as_of``
    (None if both are None), so nothing after ``as_of`` is counted.
    Raises InvalidParameterError when ``as_of`` is before ``since``.

    Example: ``report_filters({"since": date(2025, 1, 1), "until": date(2025, 1, 31), "as_of": None,
    "organization_id": None, "industry": "SaaS"})`` ->
    ``{"organization_id": None, "industry": "SaaS", "since": 2025-01-01 00:00 UTC, "until": 2025-02-01 00:00 UTC}``.
    """
    start = _day_start(params.get("since"), "since")
    ends = [_day_start(params.get(name), name) for name in ("until", "as_of")]
    ends = [end + _ONE_DAY for end in ends if end is not None]
    end = min(ends) if ends else None
    if start is not None and end is not None and end <= start:
        raise InvalidParameterError(f"as_of ({params.get('as_of')}) is before since ({params.get('since')}): "
                                    "the report would describe a period that had not started yet.")
    return {**{key: params.get(key) for key in keys}, "since": start, "until": end}


def _day_start(value, name: str) -> dt.datetime | None:
    """Return midnight UTC of the day ``value`` (a date, datetime or ISO text) falls on, or None."""
    if value is None:
        return None
    instant = parse_instant(value)
    if instant is None:
        raise InvalidParameterError(f"{name} must be a date such as '2025-01-31'; got {value!r}")
    return dt.datetime(instant.year, instant.month, instant.day, tzinfo=dt.timezone.utc)


# --- helpers shared with the other report modules ----------------------------------------------


def filter_params(organization_id=None, industry=None, since=None, until=None) -> dict:
    """Return the bound parameters of the common filters, validated (InvalidParameterError naming the bad one)."""
    return {"organization_id": _uuid(organization_id, "organization_id"), "industry": _text(industry, "industry"),
            **_range(since, until)}


def fetch_rows(conn: Connection, sql: str, params: dict) -> list[tuple]:
    """Return the rows of ``sql`` run on ``conn`` with ``params`` (InvalidParameterError unless conn is a Connection)."""
    if not isinstance(conn, Connection):
        raise InvalidParameterError("conn must be an SQLAlchemy Connection (engine.connect()); "
                                    f"got {type(conn).__name__}")
    return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def iso_day(value) -> str:
    """Return the UTC date of a timestamp as 'YYYY-MM-DD' ('' for None or NaT)."""
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d")


def measures_frame(measures, values) -> pd.DataFrame:
    """Return a two-column table of headline figures: measure (string) and value (object), one row per measure."""
    return pd.DataFrame({"measure": pd.Series(measures, dtype="string"), "value": pd.Series(values, dtype=object)})


def fill_months(counted: pd.DataFrame) -> pd.DataFrame:
    """Return a monthly frame (non-empty, ``period`` at month starts) with the months missing between its first
    and last period added, their counts 0."""
    months = pd.date_range(counted["period"].min(), counted["period"].max(), freq="MS")
    return counted.set_index("period").reindex(months, fill_value=0).rename_axis("period").reset_index()


def _query(name: str) -> str:
    """Return the text of the named query of ``bi_workbench/domain/sql/users_orgs/``."""
    return read_sql("bi_workbench.domain", f"users_orgs/{name}.sql")


def _run(conn: Connection, name: str, params: dict, columns: dict[str, str]) -> pd.DataFrame:
    """Return the rows of the named query run with ``params`` as a frame typed by ``columns`` ({name: kind})."""
    return _frame(fetch_rows(conn, _query(name), params), columns)


# --- overview ----------------------------------------------------------------------------

OVERVIEW_MEASURES = ("users signed up", "organizations created", "memberships started", "subscriptions started",
                     "paying subscriptions", "first sign-up", "latest sign-up")


def overview(conn: Connection, *, organization_id=None, industry=None, since=None, until=None) -> pd.DataFrame:
    """Return the headline figures of the selection: columns measure, value (one row per OVERVIEW_MEASURES).

    Counts are integers; the first and latest sign-up are ISO dates ('' without
    sign-ups). Paying means a plan other than FREE_PLANS in one of PAYING_STATUSES.
    Example: two users signed up on 2025-01-06 and 2025-01-20 ->
    rows ("users signed up", 2), ..., ("first sign-up", "2025-01-06"), ("latest sign-up", "2025-01-20").
    """
    params = {**filter_params(organization_id, industry, since, until), "free": list(FREE_PLANS),
              "paying": list(PAYING_STATUSES)}
    (row,) = fetch_rows(conn, _query("overview"), params)
    values = [int(v) for v in row[:5]] + [iso_day(v) for v in row[5:]]
    return measures_frame(OVERVIEW_MEASURES, values)


# --- sign-ups ------------------------------------------------------------------------------

SIGNUP_COLUMNS = {"period": "ts", "signups": "int", "cumulative": "int"}


def signups_per_month(conn: Connection, *, organization_id=None, industry=None, since=None,
                      until=None) -> pd.DataFrame:
    """Return users signing up per calendar month (UTC): period, signups, cumulative.

    Months without sign-ups between the first and the last are included with 0;
    ``cumulative`` counts the selection's sign-ups up to and including the month.
    Example: sign-ups on 2025-01-06, 2025-01-20 and 2025-03-03 ->
    rows (2025-01-01, 2, 2), (2025-02-01, 0, 2), (2025-03-01, 1, 3).
    """
    counted = _run(conn, "signups_per_month", filter_params(organization_id, industry, since, until),
                   {"period": "ts", "signups": "int"})
    if counted.empty:
        return _frame([], SIGNUP_COLUMNS)
    filled = fill_months(counted)
    filled["cumulative"] = filled["signups"].cumsum()
    return _frame(list(filled.itertuples(index=False, name=None)), SIGNUP_COLUMNS)


def recent_months(frame: pd.DataFrame, months: int = 12) -> pd.DataFrame:
    """Return the last ``months`` rows of a monthly frame (oldest first), its ``period`` written 'YYYY-MM' as ``month``.

    For showing a monthly series as a short table. Example: `signups_per_month`'s
    36 months -> the last 12, columns month, signups, cumulative.
    """
    months = _whole_number(months, "months", 1000)
    tail = frame.sort_values("period", kind="stable").tail(months)
    labels = pd.to_datetime(tail["period"], utc=True).dt.strftime("%Y-%m").astype("string")
    columns = ["month", *tail.columns.drop("period")]
    return tail.drop(columns="period").assign(month=labels)[columns].reset_index(drop=True)


# --- industries and company sizes ----------------------------------------------------------



def users_by_industry(conn: Connection, *, organization_id=None, industry=None, since=None, until=None,
                      max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """Return users per industry: industry, users, share (of the selection's users, 4 decimals).

    Largest first (ties by name); a NULL or blank industry is 'unknown'; beyond
    ``max_rows`` industries the smallest are folded into one row '(other)', last.
    Example: 3 SaaS users and 1 without industry -> rows ("SaaS", 3, 0.75), ("unknown", 1, 0.25).
    """
    frame = _users_by(conn, "users_by_industry", filter_params(organization_id, industry, since, until))
    frame = frame.sort_values(["users", "value"], ascending=[False, True], kind="stable")
    return _with_share(_fold_tail(frame, "value", "users", max_rows)).rename(columns={"value": "industry"})


def users_by_company_size(conn: Connection, *, organization_id=None, industry=None, since=None,
                          until=None) -> pd.DataFrame:
    """Return users per company size band: company_size, users, share (4 decimals).

    Bands are in size order (by the first number of the label: '1-10' before
    '11-50' before '1000+'); labels without a number, then 'unknown', come last.
    Example: users of '11-50', '1-10' and none -> rows "1-10", "11-50", "unknown".
    """
    frame = _users_by(conn, "users_by_company_size", filter_params(organization_id, industry, since, until))
    order = frame["value"].map(_size_key)
    frame = frame.assign(_key=order).sort_values("_key", kind="stable").drop(columns="_key")
    return _with_share(frame).rename(columns={"value": "company_size"})


def _users_by(conn: Connection, query: str, params: dict) -> pd.DataFrame:
    """Return value, users: the selection's users per value of a column of users (the named query)."""
    return _run(conn, query, params, {"value": "str", "users": "int"})


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
                          count: pd.Series([tail[count].sum()], dtype=frame[count].dtype)})
    return pd.concat([head, other], ignore_index=True)


def _with_share(frame: pd.DataFrame, count: str = "users") -> pd.DataFrame:
    """Return ``frame`` with a ``share`` column: each row's ``count`` over the total, rounded to 4 decimals."""
    total = frame[count].sum()
    share = (frame[count] / total).round(4) if total else pd.Series(np.nan, index=frame.index)
    return frame.assign(share=share.astype("float64")).reset_index(drop=True)


# --- organizations and their members ----------------------------------------------------------

MEMBERSHIP_COLUMNS = {"organization_id": "object", "organization": "str", "slug": "str",
                      "organization_status": "str", "role": "str", "status": "str", "members": "int"}


def membership(conn: Connection, *, organization_id=None, industry=None, since=None, until=None) -> pd.DataFrame:
    """Return memberships per organization, role and member status (long): the input of the membership tables.

    Columns: organization_id, organization (name), slug, organization_status, role,
    status (of the membership: active, invited, inactive...), members. Memberships
    are chosen by ``joined_at``; the industry is the member's.
    Example: org A with an active owner and an invited member ->
    rows (A, ..., "member", "invited", 1), (A, ..., "owner", "active", 1).
    """
    return _run(conn, "membership", filter_params(organization_id, industry, since, until), MEMBERSHIP_COLUMNS)


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


def subscriptions_by_plan(conn: Connection, *, organization_id=None, industry=None, since=None,
                          until=None) -> pd.DataFrame:
    """Return subscriptions per plan and status (long): plan, status, subscriptions.

    Subscriptions are chosen by their ``created_at`` and by their user (industry,
    membership). Plans in PLAN_ORDER, statuses in STATUS_ORDER, others after them.
    Example: two active pro and one canceled free -> rows ("free", "canceled", 1), ("pro", "active", 2).
    """
    frame = _run(conn, "subscriptions_by_plan", filter_params(organization_id, industry, since, until),
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


PAYING_COLUMNS = {"industry": "str", "users": "int", "subscribed": "int", "paying": "int", "paying_share": "float"}


def paying_share_by_industry(conn: Connection, *, organization_id=None, industry=None, since=None,
                             until=None, max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """Return, per industry, how many of the users who signed up pay now.

    Columns: industry, users, subscribed, paying, paying_share.

    Users are chosen by sign-up (``since``/``until``); paying means a subscription on a
    plan other than FREE_PLANS in one of PAYING_STATUSES; ``paying_share`` = paying /
    users (4 decimals). Largest industries first; beyond ``max_rows`` the rest is '(other)'.
    Example: 4 SaaS users, one on pro (active), one on free -> ("SaaS", 4, 2, 1, 0.25).
    """
    params = {**filter_params(organization_id, industry, since, until), "free": list(FREE_PLANS),
              "paying": list(PAYING_STATUSES)}
    frame = _run(conn, "paying_share_by_industry", params, {k: v for k, v in PAYING_COLUMNS.items() if k != "paying_share"})
    frame = frame.sort_values(["users", "industry"], ascending=[False, True], kind="stable")
    max_rows = _whole_number(max_rows, "max_rows", 1000)
    if len(frame) > max_rows:
        head, tail = frame.iloc[:max_rows - 1], frame.iloc[max_rows - 1:]
        other = pd.DataFrame([{"industry": OTHER, **tail[["users", "subscribed", "paying"]].sum().to_dict()}])
        frame = pd.concat([head, other], ignore_index=True)
    frame = frame.assign(paying_share=(frame["paying"] / frame["users"]).round(4) if len(frame) else [])
    return _frame(list(frame[list(PAYING_COLUMNS)].itertuples(index=False, name=None)), PAYING_COLUMNS)
