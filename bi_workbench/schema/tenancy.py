"""Row-level security policies and the analysts' privileges, generated from the entity declarations.

`apply_tenancy` is run by the schema revisions (0005, 0008) and again by every
`init_schema` (`bi-workbench db init`), idempotently. It

1. creates ``tenant_logins`` if missing and runs ``sql/tenancy.sql`` (the
   ``bi_analyst`` group role, ``current_tenant()``, revoked TEMP / CREATE);
2. creates ``acting_user()``: the workbench's named acting user, if a counted
   member of the login's organization (the audit trail's actor);
3. gives every entity's table (`bi_workbench.metrics.entities`) the read
   policy of its ownership (`bi_workbench.metrics.ownership.policy_expression`):
   rows of their own organization, or of a counted member's when they have
   none; scores follow their assessment (``PARENT_ENTITY``), rollups their entity
   (``ROLLUPS``: the same owner columns); global reference
   data is readable by all; any other table with an ``organization_id`` is
   owned by that column. The tables analysts write get write policies with
   the write rule (``writable_by``): only rows of the tenant's own
   organization and of its counted members, both to reach and to leave;
4. grants ``bi_analyst`` SELECT on those tables and the two security-invoker
   views, and the few writes of `ANALYST_WRITES`, nothing else;
5. keeps what the boundary needs outside the schema (`tenant_roles.secure_roles`):
   no large-object or advisory-lock function for anyone but the owner,
   nothing owned by the analysts' roles, their role settings pinned.

The analyst never gets table-level UPDATE, DELETE or TRUNCATE: those are what
``LOCK TABLE`` in a strong mode needs, and one analyst's lock must never stop
the other tenants. Updates are granted per column.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from ..metrics.entities import ENTITIES, PARENT_ENTITY, ROLLUPS, entity_of_table
from ..metrics.ownership import counted_membership, policy_expression
from .sqlfiles import run_sql_file
from .tables import TENANT_COLUMN, metadata, organization_members
from .tenant_logins import tenant_logins
from .tenant_roles import secure_roles

#: The NOLOGIN group role holding the analysts' privileges (tenant logins are its members).
ANALYST_ROLE = "bi_analyst"
#: SQL naming the session's tenant inside policies (an InitPlan: once per statement).
TENANT_SQL = "(SELECT current_tenant())"
#: The policies: reading tenant data, reading global reference data, and the writes of `ANALYST_WRITES`.
POLICY = "tenant_isolation"
READ_POLICY = "tenant_read"
INSERT_POLICY = "tenant_insert"
UPDATE_POLICY = "tenant_update"
POLICIES = (POLICY, READ_POLICY, INSERT_POLICY, UPDATE_POLICY)
#: Setting through which the workbench names the acting user (the audit trail's; see `acting_user`).
USER_SETTING = "bi_workbench.user_id"

#: The analysts' writes, each for a documented workflow (docs/security.md):
#: saving and arranging dashboard widgets (hidden with is_active, never deleted),
#: marking notifications read, storing a simulation run. Each is checked by the
#: write rule (`bi_workbench.metrics.ownership.writable_by`), not the read rule.
ANALYST_WRITES: dict[str, tuple[str, ...]] = {
    "dashboard_widgets": ("INSERT", "UPDATE (widget_type, widget_config, position, is_active)"),
    "notifications": ("UPDATE (is_read, read_at)",),
    "simulations": ("INSERT",),
}
#: Views analysts may read: they run with the caller's rights (security_invoker), so the policies apply.
ANALYST_VIEWS = ("user_dashboard_summary", "organization_analytics")
#: Tables of no tenant that analysts may read: the schema revision (checked before a report runs).
ANALYST_METADATA = ("schema_version",)


@dataclass(frozen=True)
class Policy:
    """One row-level security policy: its command, USING expression and WITH CHECK expression (None: none)."""

    command: str
    using: str | None
    check: str | None = None


def tenant_policies() -> dict[str, dict[str, Policy]]:
    """Return ``{table: {policy name: Policy}}`` for every table under a tenant policy (a new dict each call).

    Every table gets a SELECT policy: `POLICY` (the read rule of its
    ownership) on tenant data, `READ_POLICY` (``true``) on global reference
    data. Tables of `ANALYST_WRITES` get `INSERT_POLICY` / `UPDATE_POLICY` with
    the write rule (`writable_by`) as USING and WITH CHECK; no table has a
    DELETE policy, so no DELETE reaches a row even if it were granted.
    """
    return {table: dict(policies) for table, policies in _declared_policies().items()}


@functools.cache
def _declared_policies() -> dict[str, dict[str, Policy]]:
    # Compiling every policy from the ownership rules takes a quarter of a second; `db init` and `db check`
    # read them a dozen times each, and the declarations are constants of the package.
    policies: dict[str, dict[str, Policy]] = {}
    for entity in (*ENTITIES.values(), *ROLLUPS.values()):
        if not entity.tenant_readable:
            continue
        if entity.ownership == "global":
            policies[entity.table.name] = {READ_POLICY: Policy("SELECT", "true")}
        else:
            policies[entity.table.name] = {POLICY: Policy("SELECT", policy_expression(
                entity.ownership, entity.table, TENANT_SQL, user_column=entity.user))}
    for table_name, (parent_name, key) in PARENT_ENTITY.items():
        policies[table_name] = {POLICY: Policy("SELECT", _parent_expression(table_name, parent_name, key))}
    for table in metadata.tables.values():
        if TENANT_COLUMN in table.c and table.name not in policies:
            policies[table.name] = {POLICY: Policy("SELECT", policy_expression("row", table, TENANT_SQL))}
    for table_name, privileges in ANALYST_WRITES.items():
        policies[table_name].update(_write_policies(table_name, privileges))
    return policies


def _write_policies(table_name: str, privileges: tuple[str, ...]) -> dict[str, Policy]:
    """The INSERT / UPDATE policies of a table the analysts write (the write rule both ways)."""
    entity = entity_of_table(table_name)
    table = metadata.tables[table_name]
    ownership, user = (entity.ownership, entity.user) if entity else ("row", None)
    rule = policy_expression(ownership, table, TENANT_SQL, user_column=user, writing=True)
    found = {}
    if "INSERT" in privileges:
        found[INSERT_POLICY] = Policy("INSERT", None, rule)
    if any(privilege.startswith("UPDATE") for privilege in privileges):
        found[UPDATE_POLICY] = Policy("UPDATE", rule, rule)
    return found


def _parent_expression(table_name: str, parent_name: str, key: str) -> str:
    """A row of ``table_name`` belongs to whoever owns its parent row (``key`` -> the parent's id)."""
    parent = ENTITIES[parent_name]
    owned = policy_expression(parent.ownership, parent.table, TENANT_SQL, user_column=parent.user)
    name = parent.table.name
    return f"EXISTS (SELECT 1 FROM {name} WHERE {name}.id = {table_name}.{key} AND ({owned}))"


def analyst_readable() -> tuple[str, ...]:
    """Tables and views ``bi_analyst`` may SELECT from, sorted."""
    return tuple(sorted({*tenant_policies(), *ANALYST_VIEWS} - {tenant_logins.name}))


def apply_tenancy(connection: Connection) -> None:
    """Create or refresh the tenant function, policies and analyst privileges (idempotent, in the caller's transaction)."""
    tenant_logins.create(connection, checkfirst=True)
    run_sql_file(connection, "bi_workbench.schema", "tenancy.sql")
    driver = connection.connection.driver_connection
    schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    driver.execute(_acting_user_function(connection.dialect.identifier_preparer.quote(schema)))
    for table_name, policies in tenant_policies().items():
        driver.execute(_policy_statements(table_name, policies))
    driver.execute(_grant_statements())
    secure_roles(connection, ANALYST_ROLE, login_search_path(connection))


def login_search_path(connection: Connection) -> str:
    """The tenant logins' search_path as SQL: the schema, then ``pg_temp`` (never first: nothing shadows a table)."""
    schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    return f"{connection.dialect.identifier_preparer.quote(schema)}, pg_temp"


def apply_audit_and_tenancy(connection: Connection) -> None:
    """Run ``audit.sql`` (the audit trigger reads `acting_user`), then `apply_tenancy`; what revisions 0005 and 0008 do."""
    run_sql_file(connection, "bi_workbench.schema", "audit.sql")
    apply_tenancy(connection)


def _acting_user_function(schema: str) -> str:
    member = organization_members.alias("acting_member")
    claimed = sa.func.nullif(sa.func.current_setting(USER_SETTING, True), "").cast(sa.Uuid)
    query = sa.select(member.c.user_id).where(
        member.c.user_id == claimed, member.c.organization_id == sa.literal_column(TENANT_SQL),
        counted_membership(member))
    body = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return f"""
CREATE OR REPLACE FUNCTION acting_user() RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER
AS $fn$ {body} $fn$;
ALTER FUNCTION acting_user() SET search_path = {schema}, pg_temp;
REVOKE ALL ON FUNCTION acting_user() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION acting_user() TO {ANALYST_ROLE};
"""


def _policy_statements(table_name: str, policies: dict[str, Policy]) -> str:
    statements = [f"ALTER TABLE {table_name} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY"]
    statements += [f"DROP POLICY IF EXISTS {name} ON {table_name}" for name in POLICIES]
    for name, policy in policies.items():
        using = "" if policy.using is None else f" USING ({policy.using})"
        check = "" if policy.check is None else f" WITH CHECK ({policy.check})"
        statements.append(f"CREATE POLICY {name} ON {table_name} FOR {policy.command}{using}{check}")
    return ";\n".join(statements) + ";"


def _grant_statements() -> str:
    grants = [f"GRANT SELECT ON {name} TO {ANALYST_ROLE}" for name in analyst_readable()]
    grants += [f"DO $do$ BEGIN IF to_regclass('{name}') IS NOT NULL THEN GRANT SELECT ON {name} TO {ANALYST_ROLE}; "
               f"END IF; END $do$" for name in ANALYST_METADATA]
    for table_name, privileges in ANALYST_WRITES.items():
        grants += [f"GRANT {privilege} ON {table_name} TO {ANALYST_ROLE}" for privilege in privileges]
    return ";\n".join(grants) + ";"
