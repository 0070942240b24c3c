"""Who owns a row, and which industry it is in: the one written rule of every number and of tenancy.

The rules (``../shared/DESIGN.md``, "One definition of every number"):

- **Ownership.** A row belongs to its own organization when it has one
  (``organization_id`` set), else to every organization its user is a *counted
  member* of. A user in two organizations counts in both, and once in an
  all-organizations total (a total never joins memberships).
- **Counted membership.** Every ``organization_members`` row except those whose
  status is ``invited`` (an invitation not yet accepted): active and inactive
  members alike, since an inactive member's past work was done for the
  organization. `COUNTED_MEMBERSHIP` is that condition, used everywhere.
- **Writing.** A tenant writes only rows that are its organization's alone:
  the row names the organization (``organization_id``) and its user, when the
  entity has one, is a counted member of it (`writable_by`). A row without an
  organization would belong to every organization of its user, so a tenant
  never writes one, and never reaches one it merely sees through a member
  shared with another organization.
- **Industry.** A row's industry is its own industry column where the entity
  has one (market insights, business trends), else its user's. Industries
  compare case- and space-insensitively (`industry_key`).

Each rule is a SQLAlchemy Core expression builder, so the metrics layer, the
reports and the row-level security policies (``schema/sql``) compile the same
expression; nothing restates it as a string.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..schema.tables import organization_members, users

#: Membership statuses that do not make a user's rows the organization's.
UNCOUNTED_MEMBERSHIP_STATUSES = ("invited",)

#: How a row of an entity is owned (see `owned_by`).
OWNERSHIPS = ("row", "row_or_members", "members", "self", "global")
#: Ownerships whose rows can name one organization as theirs alone: the only ones a tenant may write.
WRITABLE_OWNERSHIPS = ("row", "row_or_members")


def counted_membership(member=organization_members) -> ColumnElement[bool]:
    """Return the condition that a membership row counts (its status is not ``invited``; NULL counts)."""
    return sa.func.coalesce(sa.func.lower(member.c.status), "active").not_in(UNCOUNTED_MEMBERSHIP_STATUSES)


def member_of(user_column, organization, *, constant: bool = False) -> ColumnElement[bool]:
    """Return ``EXISTS`` a counted membership of ``user_column``'s user in ``organization`` (a UUID or SQL).

    The subquery correlates to every enclosing table (the row's table, the organization of a view).
    ``constant``: ``organization`` is one value for the whole statement (a selection's filter), so the
    members are listed once, ``user = ANY(ARRAY(...))``: an InitPlan whose array an index scan can
    take, where the correlated EXISTS leaves the planner a scan of the whole table. That form is NULL,
    not false, for a row without a user: use it as a positive filter only.
    """
    member = organization_members.alias("owner_member")
    if constant:
        members = sa.select(member.c.user_id).where(member.c.organization_id == organization,
                                                    member.c.user_id.is_not(None), counted_membership(member))
        return user_column == sa.func.any(sa.func.array(members.scalar_subquery()))
    return sa.exists().where(member.c.user_id == user_column, member.c.organization_id == organization,
                             counted_membership(member)).correlate_except(member)


def owned_by(ownership: str, table, organization, *, user_column: str | None = None,
             constant: bool = False) -> ColumnElement[bool]:
    """Return the condition that a row of ``table`` belongs to ``organization``.

    ``ownership`` is one of `OWNERSHIPS`: ``row`` (its own organization_id),
    ``row_or_members`` (its own organization_id, else its user's counted
    memberships), ``members`` (its user's counted memberships), ``self`` (the
    organizations table: its id), ``global`` (reference data: every
    organization's). ``organization`` is a UUID, a bind parameter or any SQL
    expression (the tenancy policies pass their tenant function); ``constant``:
    it is one value for the whole statement (see `member_of`).
    Raises ValueError for an unknown ownership.
    """
    if ownership == "row":
        return table.c.organization_id == organization
    if ownership == "row_or_members":
        return sa.or_(table.c.organization_id == organization,
                      sa.and_(table.c.organization_id.is_(None),
                              member_of(table.c[user_column], organization, constant=constant)))
    if ownership == "members":
        return member_of(table.c[user_column], organization, constant=constant)
    if ownership == "self":
        return table.c.id == organization
    if ownership == "global":
        return sa.true()
    raise ValueError(f"unknown ownership {ownership!r}; expected one of {', '.join(OWNERSHIPS)}")


def writable_by(ownership: str, table, organization, *, user_column: str | None = None) -> ColumnElement[bool]:
    """Return the condition that ``organization`` (a tenant) may write a row of ``table``.

    The row is the organization's own (``organization_id`` is ``organization``,
    so no other organization sees it, whatever its user's memberships) and its
    user (``user_column``, if given) is a counted member of it. It is both the
    rows an UPDATE may reach and what an INSERT or UPDATE may leave. Raises
    ValueError for an ownership outside `WRITABLE_OWNERSHIPS`: such a row has no
    organization of its own and would be visible to every organization of its
    user, so no tenant may write it.
    """
    if ownership not in WRITABLE_OWNERSHIPS:
        raise ValueError(f"rows owned as {ownership!r} cannot be written by one organization alone; "
                         f"writable ownerships: {', '.join(WRITABLE_OWNERSHIPS)}")
    own = table.c.organization_id == organization
    return own if user_column is None else sa.and_(own, member_of(table.c[user_column], organization))


def owner_organization(ownership: str, table, *, user_column: str | None = None):
    """Return ``(organization expression, join target or None, join condition)`` to group rows by owner.

    A row owned through memberships appears once per counted membership of its
    user; a row with its own organization once. Global rows have no owner.
    """
    if ownership == "row":
        return table.c.organization_id, None, None
    if ownership == "self":
        return table.c.id, None, None
    if ownership in ("row_or_members", "members"):
        member = organization_members.alias("owner_member")
        condition = sa.and_(member.c.user_id == table.c[user_column], counted_membership(member))
        if ownership == "row_or_members":
            condition = sa.and_(table.c.organization_id.is_(None), condition)
            return sa.func.coalesce(table.c.organization_id, member.c.organization_id), member, condition
        return member.c.organization_id, member, condition
    raise ValueError(f"rows owned as {ownership!r} have no organization")


#: Every Unicode white space (what Python's str.isspace calls one), as a PostgreSQL regular expression: the
#: server's ``\s`` follows its locale, and in the C locale stops at ASCII.
WHITESPACE = r"[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u001c-\u001f]+"


def industry_key(expression) -> ColumnElement[str]:
    """Return the comparison key of an industry: lower case, every white space character removed (`WHITESPACE`).

    ``'Real Estate'``, ``' real  estate'``, ``'Real\u00a0Estate'`` and ``'REALESTATE'`` share one key;
    NULL and blank have no industry (NULL key).
    """
    key = sa.func.lower(sa.func.regexp_replace(expression, WHITESPACE, "", "g"))
    return sa.func.nullif(key, "")


def industry_of(table, *, own_column: str | None = None, user_column: str | None = None):
    """Return the SQL expression of a row's industry: its own column, else its user's (else NULL)."""
    if own_column is not None:
        return table.c[own_column]
    if user_column is not None:
        person = users.alias("industry_user")
        return (sa.select(person.c.industry).where(person.c.id == table.c[user_column])
                .correlate_except(person).scalar_subquery())
    return sa.null()


def in_industry(industry_expression, industry) -> ColumnElement[bool]:
    """Return the condition that ``industry_expression`` is ``industry`` (case- and space-insensitively)."""
    return industry_key(industry_expression) == industry_key(sa.literal(industry, sa.Text) if isinstance(
        industry, str) else industry)


def policy_expression(ownership: str, table, organization_sql: str, *, user_column: str | None = None,
                      writing: bool = False) -> str:
    """Return `owned_by` (or, ``writing``, `writable_by`) as PostgreSQL text for a row-level security policy.

    ``organization_sql`` is trusted SQL naming the tenant (e.g. ``"(SELECT current_tenant())"``); the
    result is the USING / WITH CHECK expression, with the table's columns unqualified-correlated as a
    policy needs. Example: ``policy_expression("row", assessments, "t()")`` -> ``"assessments.organization_id = t()"``.
    Raises ValueError as `owned_by` / `writable_by` do.
    """
    rule = writable_by if writing else owned_by
    condition = rule(ownership, table, sa.literal_column(organization_sql), user_column=user_column)
    statement = sa.select(sa.literal_column("1")).select_from(table).where(condition)
    text = str(statement.compile(dialect=_dialect(), compile_kwargs={"literal_binds": True}))
    return _top_level_where(text)


def _dialect():
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()


def _top_level_where(text: str) -> str:
    """Return what follows the outermost WHERE of a compiled SELECT."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith("WHERE ", index) and text[index - 1] in " \n":
            return text[index + len("WHERE "):].strip()
    raise ValueError("the compiled statement has no WHERE clause")
