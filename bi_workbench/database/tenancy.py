"""Tenant context per transaction: an analyst works inside one organization, and sees only it.

The isolation itself is row-level security in the database
(``bi_workbench/schema/sql/tenancy.sql``): every organization-scoped table has
a policy keyed on ``current_tenant()``, which returns the organization named by
the transaction-local setting ``bi_workbench.organization_id`` only if the
acting user (``bi_workbench.user_id``) is a member of it.

`tenant_transaction` opens a transaction, sets both settings with
``set_config(..., true)`` and switches to the ``bi_analyst`` role with
``SET LOCAL ROLE``. All three are transaction-local: when the block ends
(commit or rollback) the pooled connection returns to its original role with no
tenant setting, so one organization's context never leaks into the next use.

Connections that do not go through `tenant_transaction` are unaffected when
they log in as a superuser (superusers bypass row-level security): the schema
migration, the synthetic seed and the legacy migration work that way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import InvalidParameterError, TenantAccessError
from ..schema.tables import TENANT_COLUMN, metadata

#: The role analysts' transactions run as (NOLOGIN; see tenancy.sql).
ANALYST_ROLE = "bi_analyst"
#: Transaction-local settings read by current_tenant() and the audit trigger.
TENANT_SETTING = "bi_workbench.organization_id"
USER_SETTING = "bi_workbench.user_id"
#: Tables keyed by user rather than organization: a row is visible when its
#: user is a member of the tenant.
USER_SCOPED_TABLES = ("users", "subscriptions", "user_sessions", "email_subscriptions")
#: Tables scoped through a parent row (assessment_scores through its assessment).
PARENT_SCOPED_TABLES = ("assessment_scores",)
#: Global reference data, the same for every tenant, readable by analysts.
SHARED_TABLES = ("business_trends", "news_feed")

_SET_CONTEXT = sa.text(
    f"SELECT set_config('{TENANT_SETTING}', :organization_id, true), set_config('{USER_SETTING}', :user_id, true)"
)


def organization_scoped_tables() -> tuple[str, ...]:
    """Names of the model's tables that carry the tenant column (``organization_id``), sorted."""
    return tuple(sorted(t.name for t in metadata.tables.values() if TENANT_COLUMN in t.c))


def tenant_tables() -> tuple[str, ...]:
    """Every table under a tenant policy: organization-scoped, ``organizations``, user- and parent-scoped."""
    return tuple(sorted({*organization_scoped_tables(), "organizations", *USER_SCOPED_TABLES, *PARENT_SCOPED_TABLES}))


def _as_uuid(value, name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise InvalidParameterError(f"{name} must be a UUID, got {value!r}") from None


@contextmanager
def tenant_transaction(engine: Engine, organization_id, user_id) -> Iterator[Connection]:
    """Yield a Connection in a transaction that sees only ``organization_id``'s rows, acting as ``user_id``.

    The transaction runs as ``bi_analyst`` under row-level security; it commits
    when the block ends normally and rolls back on an exception. Raises
    TenantAccessError before yielding if the user is not a member of the
    organization (or either does not exist).

    Do not call ``commit()`` or ``rollback()`` on the yielded connection: the
    tenant context lives and dies with this one transaction. SQLAlchemy refuses
    any statement after it inside the block (InvalidRequestError), so nothing
    runs there as the original role. Savepoints (``begin_nested()``) are fine.
    """
    organization = _as_uuid(organization_id, "organization_id")
    user = _as_uuid(user_id, "user_id")
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(_SET_CONTEXT, {"organization_id": str(organization), "user_id": str(user)})
            # current_tenant() is SECURITY DEFINER: the membership check does
            # not depend on what the connecting role may read.
            if conn.execute(sa.text("SELECT current_tenant()")).scalar() is None:
                raise TenantAccessError(f"user {user} is not a member of organization {organization}")
            conn.exec_driver_sql(f"SET LOCAL ROLE {ANALYST_ROLE}")
            yield conn


def current_tenant(connection: Connection) -> uuid.UUID | None:
    """Return the organization the connection's transaction is scoped to, or None."""
    return connection.execute(sa.text("SELECT current_tenant()")).scalar()


#: Execution option carrying (organization_id, user_id) on a tenant engine.
TENANT_OPTION = "bi_workbench_tenant"


@sa.event.listens_for(Engine, "begin")
def _enter_tenant_context(conn: Connection) -> None:
    # Every transaction of a tenant engine starts inside the tenant context; the
    # settings and role are transaction-local, so the pooled connection leaves
    # it again at commit or rollback.
    tenant = conn.get_execution_options().get(TENANT_OPTION)
    if tenant is None:
        return
    organization, user = tenant
    conn.execute(_SET_CONTEXT, {"organization_id": organization, "user_id": user})
    conn.exec_driver_sql(f"SET LOCAL ROLE {ANALYST_ROLE}")


def tenant_engine(engine: Engine, organization_id, user_id) -> Engine:
    """Return a view of ``engine`` whose every transaction sees only ``organization_id``, acting as ``user_id``.

    The loaders and notebooks take it like any engine (``load(..., engine=tenant_engine(...))``).
    Raises TenantAccessError now if the user is not a member of the organization.

    Example::

        >>> org_engine = tenant_engine(get_engine(), org_id, analyst_id)
        >>> load("assessments", engine=org_engine)   # only that organization's rows
    """
    with tenant_transaction(engine, organization_id, user_id):
        pass  # proves the membership once, up front
    tenant = (str(_as_uuid(organization_id, "organization_id")), str(_as_uuid(user_id, "user_id")))
    return engine.execution_options(**{TENANT_OPTION: tenant})


def is_tenant_engine(engine: Engine) -> bool:
    """Return True when ``engine`` runs every transaction inside one tenant's context."""
    return engine.get_execution_options().get(TENANT_OPTION) is not None
