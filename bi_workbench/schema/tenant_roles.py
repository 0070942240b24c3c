"""What the tenancy needs outside the schema: server functions no tenant may call, and the analysts' roles kept clean.

Privileges, policies and functions of the schema are the schema's
(``tenancy``); this module keeps the rest the boundary depends on, in the
workbench database and on the server's roles:

- `GUARDED_FUNCTIONS`: the server-side large-object functions (one storage
  area shared by every role of the database: a tenant's object would be read,
  changed and deleted by every other tenant) and the advisory lock functions
  (a tenant could hold the legacy migration's lock key, or any other). EXECUTE
  is revoked from everyone but their owner (the bootstrap superuser), in this
  database only: ``pg_proc`` is per database.
- Ownership: ``bi_analyst`` and the tenant logins own nothing; whatever they
  own in this database is reassigned to the schema's owner.
- Role settings: PostgreSQL lets every role ``ALTER ROLE`` itself (``SET``,
  ``IN DATABASE ... SET``, ``PASSWORD``). `pin_login_settings` resets all of a
  login's settings in every database and sets `LOGIN_SETTINGS` again;
  ``bi_analyst`` has none.

`secure_roles` does all three (`apply_tenancy`, so `db init`, runs it);
`role_state` reads them for `catalog` (so `db check` reports a grant, an owned
object or a setting that differs from what `secure_roles` leaves).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: pg_catalog functions no role but their owner may execute in the workbench database.
GUARDED_FUNCTIONS = (
    "lo_creat", "lo_create", "lo_from_bytea", "lo_import", "lo_export", "lo_open", "lo_close", "loread", "lowrite",
    "lo_get", "lo_put", "lo_lseek", "lo_lseek64", "lo_tell", "lo_tell64", "lo_truncate", "lo_truncate64", "lo_unlink",
    "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared",
    "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared", "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared", "pg_advisory_unlock", "pg_advisory_unlock_shared", "pg_advisory_unlock_all",
    "pg_logical_emit_message",   # writes any amount of WAL, no table involved
)
#: Session defaults of every tenant login (besides its role and search_path; see `login_settings`).
LOGIN_SETTINGS = {
    "statement_timeout": "5min",
    "lock_timeout": "5s",
    "idle_in_transaction_session_timeout": "10min",
}

_GUARDED_GRANTS = sa.text(
    "SELECT 'pg_catalog.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, "
    "a.privilege_type FROM pg_proc AS p "
    "CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a "
    "WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY(:names) AND a.grantee <> p.proowner"
)
_OWNED = sa.text(
    "SELECT d.refobjid::regrole::text, pg_describe_object(d.classid, d.objid, d.objsubid) FROM pg_shdepend AS d "
    "WHERE d.deptype = 'o' AND d.refobjid::regrole::text = ANY(:roles) "
    "AND d.dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))"
)
_SETTINGS = sa.text(
    "SELECT s.setrole::regrole::text, coalesce(d.datname, ''), array_to_string(s.setconfig, ', ') "
    "FROM pg_db_role_setting AS s LEFT JOIN pg_database AS d ON d.oid = s.setdatabase "
    "WHERE s.setrole::regrole::text = ANY(:roles)"
)


def analyst_roles(connection: Connection, analyst_role: str) -> list[str]:
    """Return ``analyst_role`` and every tenant login of this database (quoted as ``regrole`` prints them)."""
    logins = []
    if connection.execute(sa.text("SELECT to_regclass('tenant_logins')")).scalar() is not None:
        logins = connection.execute(sa.text(
            "SELECT r.oid::regrole::text FROM tenant_logins AS t JOIN pg_roles AS r ON r.rolname = t.role_name "
            "ORDER BY 1")).scalars().all()
    return [analyst_role, *logins]


def role_state(connection: Connection, analyst_role: str) -> dict[tuple[str, str], str]:
    """Return ``{(kind, target): state}`` of the guarded functions' grants, the roles' objects and settings."""
    roles = analyst_roles(connection, analyst_role)
    state: dict[tuple[str, str], str] = {}
    for function, grantee, privilege in connection.execute(_GUARDED_GRANTS, {"names": list(GUARDED_FUNCTIONS)}):
        state["grant", f"{function} to {grantee}"] = privilege
    for role, what in connection.execute(_OWNED, {"roles": roles}):
        state["object owned by an analyst role", f"{what} owned by {role}"] = "owned"
    for role, database, settings in connection.execute(_SETTINGS, {"roles": roles}):
        state["role setting", f"{role} in {database or 'every database'}"] = settings
    return state


def secure_roles(connection: Connection, analyst_role: str, search_path: str) -> None:
    """Revoke the guarded functions, reassign what the analysts' roles own, pin their settings (idempotent)."""
    for function, grantee, _privilege in connection.execute(_GUARDED_GRANTS, {"names": list(GUARDED_FUNCTIONS)}).all():
        connection.exec_driver_sql(f"REVOKE ALL ON FUNCTION {function} FROM {grantee}")
    roles = analyst_roles(connection, analyst_role)
    for role in {role for role, _what in connection.execute(_OWNED, {"roles": roles})}:
        connection.exec_driver_sql(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
    _reset_settings(connection, analyst_role)
    for role in roles[1:]:
        pin_login_settings(connection, role, analyst_role, search_path)


def pin_login_settings(connection: Connection, role: str, analyst_role: str, search_path: str) -> None:
    """Reset every setting of ``role`` (in every database), then set its intended defaults again.

    ``role`` and ``search_path`` are trusted SQL (a quoted identifier; quoted schema names and ``pg_temp``).
    """
    _reset_settings(connection, role)
    defaults = {"role": _literal(analyst_role), "search_path": search_path,
                **{name: _literal(value) for name, value in LOGIN_SETTINGS.items()}}
    for setting, value in defaults.items():
        connection.exec_driver_sql(f"ALTER ROLE {role} SET {setting} = {value}")


def _reset_settings(connection: Connection, role: str) -> None:
    """``ALTER ROLE ... [IN DATABASE ...] RESET ALL`` wherever ``role`` has settings."""
    for _role, database, _settings in connection.execute(_SETTINGS, {"roles": [role]}).all():
        scope = f" IN DATABASE {connection.dialect.identifier_preparer.quote(database)}" if database else ""
        connection.exec_driver_sql(f"ALTER ROLE {role}{scope} RESET ALL")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
