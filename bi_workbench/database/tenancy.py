"""The tenant engine: an organization's analyst connects as that organization's login, and sees only it.

The isolation is the database's (``bi_workbench/schema/sql/tenancy.sql`` and
`bi_workbench.schema.tenancy`): every row is under a row-level security policy
keyed on ``current_tenant()``, the organization bound to the session's login
(`bi_workbench.database.tenant_logins`). Nothing a session sends changes that:
the login is no superuser, owns nothing, and can become no one else.

`tenant_engine` connects AS the login (its password from the secret store),
sets what its sessions need (``bi_analyst``, the pinned ``search_path``, the
timeouts) instead of trusting the login's role defaults, which the login can
change itself, and on every new connection checks who it is: the expected ``session_user``,
running as ``bi_analyst``, neither superuser nor BYPASSRLS, bound to the
organization asked for; any other answer is refused (TenantAccessError).
Connections are reset with ``DISCARD ALL`` (and those settings set again) when
they return to the pool, so nothing one user set in a session reaches the next.

The acting user (optional) names the member who works, for the audit trail
only; it must be a counted member of the organization. Rights never depend
on it: they are the login's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from ..errors import TenantAccessError
from ..schema.tenancy import ANALYST_ROLE, USER_SETTING, tenant_policies
from . import jsonvalues
from .connection import _json_dumps, check_reachable
from ..schema.tenant_roles import LOGIN_SETTINGS
from .tenant_logins import as_uuid, login_role, login_url

#: Kept for readers of the tenant option (the ADBC fast path sets it, harmlessly): nothing reads it any more.
TENANT_SETTING = "bi_workbench.organization_id"
#: Execution option carrying (organization_id, acting user id or "") on a tenant engine.
TENANT_OPTION = "bi_workbench_tenant"

_WHO = sa.text(
    "SELECT session_user, current_user, r.rolsuper OR r.rolbypassrls FROM pg_roles AS r WHERE r.rolname = session_user"
)
#: What a tenant session must not be able to make: temporary tables (they shadow the platform's) or objects.
_CAN_MAKE = ("SELECT has_database_privilege(current_database(), 'TEMPORARY') "
             "OR has_database_privilege(current_database(), 'CREATE') OR has_schema_privilege(current_schema(), 'CREATE')")
_SET_USER = sa.text(f"SELECT set_config('{USER_SETTING}', :user_id, true)")
#: The schema of the tenancy: where the owner's security-definer current_tenant() lives (no tenant can create one).
_SCHEMA = sa.text("SELECT DISTINCT pronamespace::regnamespace::text FROM pg_proc "
                  "WHERE proname = 'current_tenant' AND prosecdef")


def tenant_tables() -> tuple[str, ...]:
    """Every table under a tenant policy (tenant data and global reference data), sorted."""
    return tuple(sorted(tenant_policies()))


def tenant_engine(engine: Engine, organization_id, user_id=None) -> Engine:
    """Return an Engine connected as ``organization_id``'s tenant login, acting as ``user_id`` (optional).

    ``engine`` is either the owner's (superuser or BYPASSRLS: the login and its
    stored password are looked up) or already the tenant login's (used as is,
    after checking that it is bound to ``organization_id``). The loaders and
    notebooks take the result like any engine. Raises InvalidParameterError for
    ids that are not UUIDs, TenantAccessError when the organization has no
    login, when the login is bound elsewhere, or when ``user_id`` is not a
    counted member of the organization.

    Example::

        >>> org_engine = tenant_engine(get_engine(), org_id, analyst_id)
        >>> load("assessments", engine=org_engine)   # only that organization's rows
    """
    organization = as_uuid(organization_id, "organization_id")
    user = None if user_id in (None, "") else as_uuid(user_id, "user_id")
    with engine.connect() as conn:
        session_user, _current, privileged = conn.execute(_WHO).one()
        schemas = conn.execute(_SCHEMA).scalars().all()
        if len(schemas) != 1:
            raise TenantAccessError(f"refusing the connection: the database has {len(schemas)} tenancy schemas "
                                    "(current_tenant()); run `bi-workbench db init` as the owner")
        if privileged:
            role = login_role(conn, organization)
            if role is None:
                raise TenantAccessError(f"organization {organization} has no tenant login; "
                                        f"run `bi-workbench tenant add {organization}` as the owner")
            url = login_url(engine.url, role)
        else:
            role, url = session_user, engine.url
    search_path = f"{engine.dialect.identifier_preparer.quote(schemas[0])}, pg_temp"
    login = _login_engine(url.render_as_string(hide_password=False), role, str(organization), search_path)
    _check_acting_user(login, organization, user)
    return login.execution_options(**{TENANT_OPTION: (str(organization), "" if user is None else str(user))})


@contextmanager
def tenant_transaction(engine: Engine, organization_id, user_id=None) -> Iterator[Connection]:
    """Yield a Connection in a transaction of ``organization_id``'s tenant login (see `tenant_engine`).

    Commits when the block ends normally, rolls back on an exception. Whatever
    the block runs (COMMIT, ROLLBACK, SET ROLE, ...) it runs as the login.
    """
    with tenant_engine(engine, organization_id, user_id).begin() as conn:
        yield conn


def connects_as_owner(engine: Engine) -> bool:
    """True when ``engine`` logs in as a superuser or BYPASSRLS role (the schema's owner), not a tenant."""
    with engine.connect() as conn:
        return bool(conn.execute(_WHO).one()[2])


def current_tenant(connection: Connection) -> uuid.UUID | None:
    """Return the organization the connection's login is bound to, or None (the owner, or no login)."""
    return connection.execute(sa.text("SELECT current_tenant()")).scalar()


def is_tenant_engine(engine: Engine) -> bool:
    """Return True when ``engine`` is a tenant engine (connected as a tenant login)."""
    return engine.get_execution_options().get(TENANT_OPTION) is not None


@lru_cache(maxsize=32)
def _login_engine(url: str, role: str, organization: str, search_path: str) -> Engine:
    """One pooled Engine per login: pinned and checked on connect, reset with DISCARD ALL and pinned again on return."""
    # Prepared statements off: DISCARD ALL drops them server-side on every return.
    login = sa.create_engine(make_url(url), pool_pre_ping=True, connect_args={"prepare_threshold": None},
                             json_serializer=_json_dumps, json_deserializer=jsonvalues.loads)

    def connected(dbapi, _record):
        try:
            _pin_session(dbapi, search_path)
        except psycopg.Error as exc:  # e.g. a role that is no member of bi_analyst
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise TenantAccessError(f"refusing the connection: it cannot be set up as a tenant session ({reason}); "
                                    f"a tenant connection must be the login {role} as {ANALYST_ROLE}, "
                                    f"bound to {organization}") from None
        _verify_login(dbapi, role, organization)

    sa.event.listen(login, "connect", connected)
    sa.event.listen(login, "checkin", lambda dbapi, record: _discard_all(dbapi, record, search_path))
    sa.event.listen(login, "begin", _name_acting_user)
    check_reachable(login)
    return login


def _session_settings(search_path: str) -> dict[str, str]:
    """What every tenant session runs with: bi_analyst, the pinned search_path, the login timeouts."""
    return {"role": ANALYST_ROLE, "search_path": search_path, **LOGIN_SETTINGS}


def _pin_session(dbapi_connection, search_path: str) -> None:
    """Set `_session_settings` for the session, committed (the login's role defaults are its own to change)."""
    settings = _session_settings(search_path)
    dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, false)"] * len(settings)),
                           [item for pair in settings.items() for item in pair])
    finally:
        dbapi_connection.autocommit = False


def _verify_login(dbapi_connection, role: str, organization: str) -> None:
    """Refuse a connection that is not ``role``, as bi_analyst, unprivileged, bound to ``organization``."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_WHO.text)
        session_user, current_user, privileged = cursor.fetchone()
        bound, can_make = None, None
        if not privileged and current_user == ANALYST_ROLE:
            cursor.execute("SELECT current_tenant()")
            bound = cursor.fetchone()[0]
            cursor.execute(_CAN_MAKE)
            can_make = cursor.fetchone()[0]
    dbapi_connection.rollback()
    if can_make:
        raise TenantAccessError(f"refusing the connection: {role} could create temporary tables or objects in "
                                "this database; run `bi-workbench db init` as the owner to take that privilege away")
    if (session_user, current_user, privileged, str(bound)) != (role, ANALYST_ROLE, False, organization):
        raise TenantAccessError(
            f"refusing the connection: it is {session_user} as {current_user}"
            f"{' (privileged)' if privileged else ''}, bound to {bound or 'no organization'}; "
            f"a tenant connection must be the login {role} as {ANALYST_ROLE}, bound to {organization}")


def _discard_all(dbapi_connection, record, search_path: str) -> None:
    # Nothing of one checkout's session (settings, role, prepared statements)
    # reaches the next; DISCARD ALL falls back to the login's role defaults,
    # so the session settings are set again. A connection that cannot be
    # reset is not reused.
    try:
        dbapi_connection.rollback()
        dbapi_connection.autocommit = True
        dbapi_connection.execute("DISCARD ALL")
        _pin_session(dbapi_connection, search_path)
    except Exception:  # noqa: BLE001 - any failure: close it rather than reuse it
        record.invalidate()


def _name_acting_user(conn: Connection) -> None:
    tenant = conn.get_execution_options().get(TENANT_OPTION)
    if tenant and tenant[1]:
        conn.execute(_SET_USER, {"user_id": tenant[1]})


def _check_acting_user(login: Engine, organization: uuid.UUID, user: uuid.UUID | None) -> None:
    """Raise TenantAccessError unless ``user`` is None or a counted member of the login's organization."""
    with login.begin() as conn:
        if user is None:
            return
        conn.execute(_SET_USER, {"user_id": str(user)})
        if conn.execute(sa.text("SELECT acting_user()")).scalar() != user:
            raise TenantAccessError(f"user {user} is not a member of organization {organization}")


