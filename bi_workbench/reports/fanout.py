"""Per-organization fan-out: each report once per organization, each rendered as that organization's analyst.

The member a report renders as is chosen here, in one query: an active member
of the organization, an ``analyst`` first, then an ``admin``, then any other
role (earliest joined, then lowest id). The kernel then connects with the
organization's tenant login, acting as that member
(`bi_workbench.reports.kernel.kernel_environment`), and the report's
``organization_id`` parameter names the organization. An organization without
a member or without a tenant login is left out, with a line saying why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Engine

from ..errors import ConfigurationError
from ..schema.tables import organization_members, organizations
from .parameters import validate
from .render import RunRequest

ORGANIZATION_PARAMETER = "organization_id"
#: The order in which members' roles are preferred as the one a report renders as.
ROLE_PREFERENCE = ("analyst", "admin")


@dataclass(frozen=True)
class Fanout:
    """The per-organization requests, and one line for each report or organization left out (and why)."""

    requests: list[RunRequest]
    left_out: list[str]


def organization_analysts(engine: Engine) -> list[tuple[uuid.UUID, str, uuid.UUID | None]]:
    """Return (organization id, name, the member to render as or None) for every organization, by name then id."""
    m = organization_members
    preference = sa.case({role: rank for rank, role in enumerate(ROLE_PREFERENCE)}, value=m.c.role,
                         else_=len(ROLE_PREFERENCE))
    member = (
        sa.select(m.c.organization_id, m.c.user_id)
        .where(sa.func.coalesce(m.c.status, "active") == "active")
        .ext(distinct_on(m.c.organization_id))
        .order_by(m.c.organization_id, preference, m.c.joined_at, m.c.user_id)
        .subquery()
    )
    query = (sa.select(organizations.c.id, organizations.c.name, member.c.user_id)
             .select_from(organizations.outerjoin(member, member.c.organization_id == organizations.c.id))
             .order_by(organizations.c.name, organizations.c.id))
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def per_organization(engine: Engine, requests: list[RunRequest], *, named: bool) -> Fanout:
    """Return one request per (request, organization), each as that organization's analyst.

    ``named``: the reports were named by the user, so one without an
    ``organization_id`` parameter is an error (ConfigurationError); with
    ``--all`` it is left out with a line saying so. A request that already
    names an organization is an error: the fan-out chooses them.
    """
    from ..database.tenant_logins import login_role

    analysts = organization_analysts(engine)
    with engine.connect() as conn:
        logins = {organization for organization, _name, _user in analysts if login_role(conn, organization)}
    fanned, left_out = [], []
    for request in requests:
        names = {p.name for p in request.report.parameters}
        why = None
        if request.report.platform_only:
            why = f"report {request.report.name} reads the platform's own records, so it renders only for the platform"
        elif ORGANIZATION_PARAMETER not in names:
            why = f"report {request.report.name} has no {ORGANIZATION_PARAMETER} parameter, so it cannot render per organization"
        if why:
            if named:
                raise ConfigurationError(f"{why}; leave it out or drop --per-organization.")
            left_out.append(f"{why}; left out.")
            continue
        if request.parameters.get(ORGANIZATION_PARAMETER) is not None:
            raise ConfigurationError("--per-organization chooses the organizations; do not also give -p organization_id.")
        for organization, name, user in analysts:
            if user is None or organization not in logins:
                why = "no active member to render as" if user is None else \
                    f"no tenant login (`bi-workbench tenant add {organization}`)"
                left_out.append(f"organization {name} ({organization}) has {why}; {request.report.name} left out for it.")
                continue
            values = {**request.notebook_parameters(), ORGANIZATION_PARAMETER: str(organization)}
            fanned.append(RunRequest(request.report, validate(request.report, values), request.schedule_name,
                                     request.slot, tenant=(str(organization), str(user))))
    return Fanout(fanned, left_out)
