"""Tenant isolation on a real PostgreSQL: row-level security, the analysts' role, the tenant transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlalchemy.exc import DBAPIError

from bi_workbench.database.tenancy import (
    ANALYST_ROLE,
    SHARED_TABLES,
    USER_SCOPED_TABLES,
    current_tenant,
    organization_scoped_tables,
    tenant_tables,
    tenant_transaction,
)
from bi_workbench.errors import InvalidParameterError, TenantAccessError
from bi_workbench.schema.tables import TENANT_COLUMN, metadata

RLS_VIOLATION = "violates row-level security policy"


# --- a database with two tenants, A and B, and a row of each in every tenant table ---


@dataclass
class Tenants:
    a: uuid.UUID
    b: uuid.UUID
    a_user: uuid.UUID
    b_user: uuid.UUID
    outsider: uuid.UUID
    #: {table: {"A": id, "B": id}}
    rows: dict[str, dict[str, uuid.UUID]] = field(default_factory=dict)


def _required_value(column: sa.Column, organization: uuid.UUID, user: uuid.UUID):
    """A value for ``column`` in a row of ``organization``, or ``...`` to leave it to its default."""
    if column.name == TENANT_COLUMN:
        return organization
    for fk in column.foreign_keys:
        target = fk.column.table.name
        if target == "users":
            return user
        if target == "organizations":
            return organization
    if column.nullable or column.server_default is not None or column.identity is not None or column.primary_key:
        return ...
    kind = column.type
    if isinstance(kind, JSONB):
        return {"seeded": True}
    if isinstance(kind, ARRAY):
        return ["x"]
    if isinstance(kind, INET):
        return "192.0.2.1"
    if isinstance(kind, sa.DateTime):
        return datetime.now(timezone.utc) + timedelta(days=7)
    if isinstance(kind, sa.Uuid):
        return uuid.uuid4()
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Numeric):
        return 0
    if isinstance(kind, sa.Text):
        return f"{column.name}-{uuid.uuid4().hex[:8]}"
    raise AssertionError(f"no test value for {column.table.name}.{column.name} ({kind})")


def _row(table: sa.Table, organization: uuid.UUID, user: uuid.UUID) -> dict:
    values = {c.name: _required_value(c, organization, user) for c in table.columns}
    return {name: value for name, value in values.items() if value is not ...}


def _insert(conn, table_name: str, values: dict) -> uuid.UUID:
    table = metadata.tables[table_name]
    return conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()


@pytest.fixture
def tenants(schema_database) -> Tenants:
    with schema_database.begin() as conn:  # as the superuser: RLS does not apply
        users = {
            key: _insert(conn, "users", {"email": f"{key}@example.com", "first_name": key, "last_name": "T"})
            for key in ("a_user", "b_user", "outsider")
        }
        a = _insert(conn, "organizations", {"name": "Org A", "slug": "org-a", "owner_id": users["a_user"]})
        b = _insert(conn, "organizations", {"name": "Org B", "slug": "org-b", "owner_id": users["b_user"]})
        found = Tenants(a, b, users["a_user"], users["b_user"], users["outsider"])
        members = {
            side: _insert(conn, "organization_members", {"organization_id": org, "user_id": user, "role": "analyst"})
            for side, org, user in (("A", a, found.a_user), ("B", b, found.b_user))
        }
        found.rows["organization_members"] = members
        found.rows["organizations"] = {"A": a, "B": b}
        found.rows["users"] = {"A": found.a_user, "B": found.b_user}
        for name in organization_scoped_tables():
            if name == "organization_members":
                continue
            table = metadata.tables[name]
            found.rows[name] = {
                side: _insert(conn, name, _row(table, org, user))
                for side, org, user in (("A", a, found.a_user), ("B", b, found.b_user))
            }
        found.rows["assessment_scores"] = {
            side: _insert(conn, "assessment_scores", {"assessment_id": found.rows["assessments"][side], "overall_score": 3})
            for side in ("A", "B")
        }
        for name in ("subscriptions", "user_sessions", "email_subscriptions"):
            found.rows[name] = {
                side: _insert(conn, name, _row(metadata.tables[name], org, user))
                for side, org, user in (("A", a, found.a_user), ("B", b, found.b_user))
            }
        conn.execute(sa.text("INSERT INTO business_trends (title, insight) VALUES ('t', 'shared by every tenant')"))
    return found


def _privilege(conn, table: str, privilege: str) -> bool:
    return conn.execute(
        sa.text("SELECT has_table_privilege(:role, :table, :privilege)"),
        {"role": ANALYST_ROLE, "table": table, "privilege": privilege},
    ).scalar_one()


# --- reading ---------------------------------------------------------------------------


def test_every_tenant_table_is_seeded_for_both_tenants(tenants):
    assert set(tenants.rows) == set(tenant_tables())
    assert set(organization_scoped_tables()) == {t.name for t in metadata.tables.values() if TENANT_COLUMN in t.c}


@pytest.mark.parametrize("side", ["A", "B"])
def test_an_analyst_reads_only_their_own_organizations_rows_in_every_tenant_table(schema_database, tenants, side):
    organization, user = (tenants.a, tenants.a_user) if side == "A" else (tenants.b, tenants.b_user)
    with tenant_transaction(schema_database, organization, user) as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar() == ANALYST_ROLE
        assert current_tenant(conn) == organization
        for name in tenant_tables():
            table = metadata.tables[name]
            visible = set(conn.execute(sa.select(table.c.id)).scalars())
            assert visible == {tenants.rows[name][side]}, name
            if TENANT_COLUMN in table.c:
                assert set(conn.execute(sa.select(table.c[TENANT_COLUMN]).distinct()).scalars()) == {organization}, name
        # Global reference data is the same for everyone.
        assert conn.execute(sa.text("SELECT count(*) FROM business_trends")).scalar() == 1


def test_the_superuser_still_sees_every_row(schema_database, tenants):
    with schema_database.connect() as conn:
        for name in tenant_tables():
            ids = set(conn.execute(sa.select(metadata.tables[name].c.id)).scalars())
            assert set(tenants.rows[name].values()) <= ids, name


def test_the_views_show_only_the_tenants_users_and_organization(schema_database, tenants):
    with tenant_transaction(schema_database, tenants.a, tenants.a_user) as conn:
        dashboard = conn.execute(sa.text("SELECT user_id, total_assessments, avg_assessment_score FROM user_dashboard_summary")).all()
        assert [(row.user_id, row.total_assessments, float(row.avg_assessment_score)) for row in dashboard] == [
            (tenants.a_user, 1, 3.0)
        ]
        organizations = conn.execute(sa.text("SELECT organization_id, member_count FROM organization_analytics")).all()
        assert [tuple(row) for row in organizations] == [(tenants.a, 1)]


def test_a_user_in_two_organizations_sees_in_each_only_that_organizations_rows(schema_database, tenants):
    with schema_database.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO organization_members (organization_id, user_id, role) VALUES (:o, :u, 'viewer')"),
            {"o": tenants.b, "u": tenants.a_user},
        )
    for organization, side in ((tenants.a, "A"), (tenants.b, "B")):
        with tenant_transaction(schema_database, organization, tenants.a_user) as conn:
            assert set(conn.execute(sa.text("SELECT id FROM assessments")).scalars()) == {tenants.rows["assessments"][side]}
            assert set(conn.execute(sa.text("SELECT id FROM organizations")).scalars()) == {organization}


@pytest.mark.parametrize("relation", ["assessment_analytics_summary", "audit_log", "snapshots", "analytics_events_default"])
def test_relations_that_cannot_be_isolated_are_not_readable_by_analysts(schema_database, tenants, relation):
    with tenant_transaction(schema_database, tenants.a, tenants.a_user) as conn:
        with pytest.raises(DBAPIError, match="permission denied") as caught:
            conn.execute(sa.text(f"SELECT * FROM {relation}"))
        assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege)


# --- writing ---------------------------------------------------------------------------


def _fails(conn, statement, params=None) -> str:
    """Run ``statement`` in a savepoint; return the error message (asserting that it failed)."""
    savepoint = conn.begin_nested()
    try:
        conn.execute(statement, params or {})
    except DBAPIError as error:
        savepoint.rollback()
        assert isinstance(error.orig, psycopg.errors.InsufficientPrivilege), error
        return str(error.orig)
    savepoint.rollback()
    raise AssertionError(f"{statement} succeeded")


def test_an_analyst_writes_nothing_into_another_organization(schema_database, tenants):
    checked = {"insert": [], "update": [], "delete": []}
    with tenant_transaction(schema_database, tenants.a, tenants.a_user) as conn:
        for name in organization_scoped_tables():
            table = metadata.tables[name]
            b_row = tenants.rows[name]["B"]
            a_row = tenants.rows[name]["A"]
            # INSERT of a row of B
            statement = table.insert().values(**_row(table, tenants.b, tenants.a_user))
            if _privilege(conn, name, "INSERT"):
                assert RLS_VIOLATION in _fails(conn, statement), name
                checked["insert"].append(name)
            else:
                assert "permission denied" in _fails(conn, statement), name
            # UPDATE and DELETE of B's row touch nothing; moving A's row into B is refused
            if _privilege(conn, name, "UPDATE"):
                touch = table.update().where(table.c.id == b_row).values({TENANT_COLUMN: table.c[TENANT_COLUMN]})
                assert conn.execute(touch).rowcount == 0, name
                move = table.update().where(table.c.id == a_row).values({TENANT_COLUMN: tenants.b})
                assert RLS_VIOLATION in _fails(conn, move), name
                checked["update"].append(name)
            else:
                assert "permission denied" in _fails(conn, table.update().where(table.c.id == b_row).values({TENANT_COLUMN: tenants.b}))
            if _privilege(conn, name, "DELETE"):
                assert conn.execute(table.delete().where(table.c.id == b_row)).rowcount == 0, name
                checked["delete"].append(name)
            else:
                assert "permission denied" in _fails(conn, table.delete().where(table.c.id == b_row))
        # The tenant-scoped tables without an organization_id column.
        for name in ("organizations", *USER_SCOPED_TABLES, "assessment_scores"):
            table = metadata.tables[name]
            b_row = tenants.rows[name]["B"]
            assert conn.execute(table.update().where(table.c.id == b_row).values(id=table.c.id)).rowcount == 0, name
        scores = metadata.tables["assessment_scores"]
        assert RLS_VIOLATION in _fails(conn, scores.insert().values(assessment_id=tenants.rows["assessments"]["B"]))
        assert conn.execute(scores.delete().where(scores.c.id == tenants.rows["assessment_scores"]["B"])).rowcount == 0
    # Every organization-scoped table but the membership itself is writable within the tenant.
    writable = set(organization_scoped_tables()) - {"organization_members"}
    assert set(checked["insert"]) == set(checked["update"]) == set(checked["delete"]) == writable
    with schema_database.connect() as conn:  # B's rows are all still there, unchanged
        for name, sides in tenants.rows.items():
            table = metadata.tables[name]
            assert conn.execute(sa.select(sa.func.count()).where(table.c.id == sides["B"])).scalar() == 1, name
        for name in organization_scoped_tables():
            table = metadata.tables[name]
            assert conn.execute(
                sa.select(table.c[TENANT_COLUMN]).where(table.c.id == tenants.rows[name]["A"])
            ).scalar() == tenants.a, name


def test_an_analyst_can_write_within_their_own_organization(schema_database, tenants):
    with tenant_transaction(schema_database, tenants.a, tenants.a_user) as conn:
        new = conn.execute(
            sa.text(
                "INSERT INTO assessments (user_id, organization_id, assessment_type) VALUES (:u, :o, 'quarterly') RETURNING id"
            ),
            {"u": tenants.a_user, "o": tenants.a},
        ).scalar_one()
        conn.execute(sa.text("INSERT INTO assessment_scores (assessment_id, overall_score) VALUES (:a, 4.5)"), {"a": new})
        assert conn.execute(sa.text("UPDATE users SET title = 'Analyst' WHERE id = :u"), {"u": tenants.a_user}).rowcount == 1
    with schema_database.connect() as conn:
        assert conn.execute(sa.text("SELECT organization_id FROM assessments WHERE id = :i"), {"i": new}).scalar() == tenants.a


# --- the catalog: nothing with a tenant column escapes a policy ------------------------------


def _live_tenant_tables(conn) -> dict[str, tuple[bool, bool, int, bool]]:
    """{table: (rls enabled, rls forced, policies, is partition)} for live tables with the tenant column."""
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid), c.relispartition "
            "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = :column AND NOT a.attisdropped "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
        ),
        {"column": TENANT_COLUMN},
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def test_every_table_with_a_tenant_column_has_a_forced_policy(schema_database):
    with schema_database.connect() as conn:
        live = _live_tenant_tables(conn)
        model = set(organization_scoped_tables())
        assert model and model <= set(live)
        parents = {name for name, (*_, partition) in live.items() if not partition}
        unguarded = []
        for name in sorted(model | parents | set(tenant_tables())):
            enabled, forced, policies = conn.execute(
                sa.text(
                    "SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) "
                    "FROM pg_class c WHERE c.oid = to_regclass(:name)"
                ),
                {"name": name},
            ).one()
            if not (enabled and forced and policies):
                unguarded.append((name, enabled, forced, policies))
        assert unguarded == []
        # Partitions carry no policy of their own: analysts must not reach them directly.
        partitions = sorted(name for name, (*_, partition) in live.items() if partition)
        assert partitions  # analytics_events has its default and monthly partitions
        for name in partitions:
            assert not _privilege(conn, name, "SELECT, INSERT, UPDATE, DELETE"), name


def test_every_relation_an_analyst_can_read_is_isolated_or_shared(schema_database):
    with schema_database.connect() as conn:
        readable = conn.execute(
            sa.text(
                "SELECT c.relname, c.relkind, c.relrowsecurity AND c.relforcerowsecurity, "
                "       coalesce('security_invoker=true' = ANY (c.reloptions), false) "
                "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                "AND c.relkind IN ('r', 'p', 'v', 'm') AND has_table_privilege(:role, c.oid, 'SELECT')"
            ),
            {"role": ANALYST_ROLE},
        ).all()
    leaks = [
        name for name, kind, forced, invoker in readable
        if not (forced or (kind == "v" and invoker) or name in SHARED_TABLES)
    ]
    assert leaks == []
    assert {name for name, kind, *_ in readable if kind == "v"} == {"user_dashboard_summary", "organization_analytics"}


# --- refusals and the pooled connection ----------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "member_of_other", "no_such_organization", "no_such_user"])
def test_a_user_who_is_not_a_member_is_refused_before_anything_runs(schema_database, tenants, who):
    organization, user = {
        "outsider": (tenants.a, tenants.outsider),
        "member_of_other": (tenants.a, tenants.b_user),
        "no_such_organization": (uuid.uuid4(), tenants.a_user),
        "no_such_user": (tenants.a, uuid.uuid4()),
    }[who]
    entered = False
    with pytest.raises(TenantAccessError, match=f"user {user} is not a member of organization {organization}"):
        with tenant_transaction(schema_database, organization, user):
            entered = True
    assert not entered


def test_identifiers_that_are_not_uuids_are_refused(schema_database):
    with pytest.raises(InvalidParameterError, match="organization_id must be a UUID"):
        with tenant_transaction(schema_database, "org-a", uuid.uuid4()):
            pass


def _session_state(conn) -> tuple:
    return conn.execute(
        sa.text(
            "SELECT pg_backend_pid(), current_user, "
            "       NULLIF(current_setting('bi_workbench.organization_id', true), ''), "
            "       NULLIF(current_setting('bi_workbench.user_id', true), ''), current_tenant()"
        )
    ).one()


@pytest.mark.parametrize("ending", ["commit", "exception"])
def test_the_pooled_connection_keeps_no_tenant_context_after_the_block(schema_database, tenants, ending):
    engine = sa.create_engine(schema_database.url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            pid, original_role, *_ = _session_state(conn)
        assert original_role != ANALYST_ROLE

        class Boom(Exception):
            pass

        try:
            with tenant_transaction(engine, tenants.a, tenants.a_user) as conn:
                inside = _session_state(conn)
                assert inside == (pid, ANALYST_ROLE, str(tenants.a), str(tenants.a_user), tenants.a)
                if ending == "exception":
                    raise Boom
        except Boom:
            pass
        with engine.connect() as conn:
            assert _session_state(conn) == (pid, original_role, None, None, None)
            # Back as the original role, outside any tenant: RLS is bypassed again.
            assert conn.execute(sa.text("SELECT count(*) FROM organizations")).scalar() == 2
    finally:
        engine.dispose()


def test_no_statement_runs_as_the_original_role_after_a_commit_inside_the_block(schema_database, tenants):
    with pytest.raises(sa.exc.InvalidRequestError, match="closed transaction"):
        with tenant_transaction(schema_database, tenants.a, tenants.a_user) as conn:
            conn.commit()
            conn.execute(sa.text("SELECT count(*) FROM organizations"))  # would run as the superuser
