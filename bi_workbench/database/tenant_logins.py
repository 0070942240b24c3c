"""Tenant logins: one database login per organization, made, listed and removed by the owner.

A tenant login is a LOGIN role that is no superuser, owns nothing, inherits
nothing (NOINHERIT) and is a member of one role only, the NOLOGIN group
``bi_analyst``, which it uses as its sessions' default role; it cannot
``SET ROLE`` to anything else. ``tenant_logins`` binds it to its organization
(`bi_workbench.schema.tenant_logins`). Its password is generated here, sent to
the server only as a SCRAM verifier, and kept for the workbench in the OS
user's secret store (`bi_workbench.database.secrets`).

Role settings pin what a session starts with: ``search_path`` with
``pg_temp`` last, a ``statement_timeout``, a ``lock_timeout`` and an idle
transaction timeout (`bi_workbench.schema.tenant_roles.LOGIN_SETTINGS`), and a
connection limit. A login can change its own settings and password (PostgreSQL
lets every role); `add_login` run again (and `db init`) resets them, and the
tenant engine sets what it needs on every session instead of trusting them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError

from ..errors import InvalidParameterError, TenantAccessError
from ..schema.tables import organizations
from ..schema.tenancy import ANALYST_ROLE, login_search_path
from ..schema.tenant_roles import pin_login_settings
from ..schema.tenant_logins import tenant_logins
from ..settings import load_settings
from . import secrets

#: Connections one tenant login may hold at once.
CONNECTION_LIMIT = 20


@dataclass(frozen=True)
class TenantLogin:
    """One tenant login: its role, organization (id and name), when it was made, whether its password is stored."""

    role: str
    organization_id: uuid.UUID
    organization_name: str
    created_at: datetime
    password_stored: bool


def as_uuid(value, name: str) -> uuid.UUID:
    """Return ``value`` as a UUID, or raise InvalidParameterError naming ``name``."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, TypeError, AttributeError):
        raise InvalidParameterError(f"{name} must be a UUID, got {value!r}") from None


def role_name(database: str, organization_id: uuid.UUID) -> str:
    """Return the login role of ``organization_id`` in ``database`` (42 characters).

    Roles are server-wide and every login can list them (pg_roles), so the name
    is a digest of database and organization: it names neither.
    """
    digest = hashlib.sha256(f"{database}/{organization_id}".encode()).hexdigest()[:32]
    return f"bi_tenant_{digest}"


def store_path(data_dir: Path | None = None) -> Path:
    """Return the secret store of tenant passwords (under ``data_dir``, default: the settings' data folder)."""
    return secrets.tenant_store(data_dir or load_settings().data_dir)


def add_login(engine: Engine, organization_id, *, store: Path | None = None) -> TenantLogin:
    """Create (or renew the password of) ``organization_id``'s tenant login; return it.

    ``engine`` must connect as the owner (superuser or BYPASSRLS with
    CREATEROLE). Raises InvalidParameterError for a malformed id and
    TenantAccessError for an organization that does not exist. One transaction:
    nothing is half made.
    """
    organization = as_uuid(organization_id, "organization_id")
    store = store or store_path()
    password = secrets.new_password()
    with engine.begin() as conn:
        if conn.execute(sa.select(organizations.c.id).where(organizations.c.id == organization)).first() is None:
            raise TenantAccessError(f"organization {organization} does not exist")
        role = role_name(conn.engine.url.database, organization)
        driver = conn.connection.driver_connection
        verifier = _verifier(driver, role, password)
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        conn.exec_driver_sql(("ALTER ROLE {} " if exists else "CREATE ROLE {} ").format(_quote(conn, role))
                             + _attributes(verifier))
        conn.exec_driver_sql(f"GRANT {ANALYST_ROLE} TO {_quote(conn, role)}")
        # A database copied from a template does not inherit the template's database
        # privileges: take TEMP and CREATE from PUBLIC here too (tenancy.sql does at init).
        conn.exec_driver_sql(f"REVOKE TEMPORARY, CREATE ON DATABASE {_quote(conn, conn.engine.url.database)} FROM PUBLIC")
        # Whatever the login set for itself (ALTER ROLE ... [IN DATABASE ...] SET) goes.
        pin_login_settings(conn, _quote(conn, role), ANALYST_ROLE, login_search_path(conn))
        conn.execute(sa.text("INSERT INTO tenant_logins (role_name, organization_id) VALUES (:r, :o) "
                             "ON CONFLICT (role_name) DO NOTHING"), {"r": role, "o": organization})
        secrets.save_tenant_password(store, engine.url, role, password)
    return next(login for login in list_logins(engine, store=store) if login.role == role)


def restore_passwords(engine: Engine, *, store: Path | None = None) -> list[str]:
    """Set every tenant login's password back to the one stored for the workbench; return the roles set.

    A login may change its own password (PostgreSQL lets every role), which
    would lock the workbench out of it; `db init` runs this. Logins without a
    stored password are left as they are (`tenant add` renews them).
    """
    store = store or store_path()
    restored = []
    with engine.begin() as conn:
        driver = conn.connection.driver_connection
        for role in conn.execute(sa.select(tenant_logins.c.role_name).order_by(tenant_logins.c.role_name)).scalars():
            password = secrets.tenant_password(store, engine.url, role)
            if password is None:
                continue
            conn.exec_driver_sql(f"ALTER ROLE {_quote(conn, role)} PASSWORD {_literal(_verifier(driver, role, password))}")
            restored.append(role)
    return restored


def list_logins(engine: Engine, *, store: Path | None = None) -> list[TenantLogin]:
    """Return every tenant login of the database, by organization name."""
    store = store or store_path()
    query = (sa.select(tenant_logins.c.role_name, tenant_logins.c.organization_id, organizations.c.name,
                       tenant_logins.c.created_at)
             .join(organizations, organizations.c.id == tenant_logins.c.organization_id)
             .order_by(organizations.c.name, tenant_logins.c.role_name))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [TenantLogin(role, org, name, created, secrets.tenant_password(store, engine.url, role) is not None)
            for role, org, name, created in rows]


def remove_login(engine: Engine, organization_id, *, store: Path | None = None) -> str:
    """Drop ``organization_id``'s tenant login (ending its sessions) and forget its password; return the role.

    In one transaction: the binding goes, the login's sessions end, whatever it
    owns in this database is given to the owner (``REASSIGN OWNED``) and every
    privilege granted to it is revoked (``DROP OWNED``), then the role is
    dropped. Raises TenantAccessError if the organization has no tenant login,
    or, with nothing changed, if the role cannot be dropped (e.g. it owns
    something in another database of the server).
    """
    organization = as_uuid(organization_id, "organization_id")
    store = store or store_path()
    try:
        with engine.begin() as conn:
            role = login_role(conn, organization)
            if role is None:
                raise TenantAccessError(f"organization {organization} has no tenant login")
            quoted = _quote(conn, role)
            conn.execute(tenant_logins.delete().where(tenant_logins.c.role_name == role))
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                         {"r": role})
            conn.exec_driver_sql(f"REASSIGN OWNED BY {quoted} TO CURRENT_USER")
            conn.exec_driver_sql(f"DROP OWNED BY {quoted}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {quoted}")
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        raise TenantAccessError(f"removing the tenant login of organization {organization} failed, nothing was "
                                f"changed: {reason}") from None
    secrets.save_tenant_password(store, engine.url, role, None)
    return role


def login_role(conn, organization: uuid.UUID) -> str | None:
    """Return the login role bound to ``organization`` (read as the owner), or None."""
    return conn.execute(sa.select(tenant_logins.c.role_name)
                        .where(tenant_logins.c.organization_id == organization)).scalar()


def login_url(owner_url: URL, role: str, *, store: Path | None = None) -> URL:
    """Return ``owner_url`` with ``role`` and its stored password: the tenant login's URL.

    Raises TenantAccessError if no password is stored for it (`bi-workbench tenant add` renews it).
    """
    password = secrets.tenant_password(store or store_path(), owner_url, role)
    if password is None:
        raise TenantAccessError(f"no password is stored for tenant login {role} on {owner_url.database}; "
                                "run `bi-workbench tenant add ORGANIZATION_ID` as the owner to renew it")
    return owner_url.set(username=role, password=password)


def _attributes(verifier: str) -> str:
    return (f"LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS "
            f"CONNECTION LIMIT {CONNECTION_LIMIT} PASSWORD {_literal(verifier)}")


def _verifier(driver, role: str, password: str) -> str:
    """The SCRAM verifier of ``password`` for ``role``: all the server ever receives."""
    return driver.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()


def _quote(conn, identifier: str) -> str:
    return conn.dialect.identifier_preparer.quote(identifier)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
