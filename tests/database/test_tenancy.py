"""Tenant isolation as an attacker tries it: organization A's analyst against organization B, on two servers.

Every test runs on the embedded server and on Debian's PostgreSQL 15 (the
``tenancy`` fixture, tests/database/conftest.py), on one database built once
per module and server. The analyst's session is arbitrary SQL, so each test
sends what a notebook cell could, then counts what it got of B.
"""

from __future__ import annotations

import threading
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from bi_workbench.database.tenancy import current_tenant, tenant_engine, tenant_tables, tenant_transaction
from bi_workbench.errors import InvalidParameterError, LockBusyError, TenantAccessError
from bi_workbench.events.audit import acting_as
from bi_workbench.schema import init_schema, locking
from bi_workbench.schema.apply import ensure_partitions_ahead
from bi_workbench.schema.drift import compare_catalog
from bi_workbench.schema.tables import metadata
from bi_workbench.schema.tenancy import ANALYST_METADATA, ANALYST_ROLE, ANALYST_VIEWS, ANALYST_WRITES
from tests.database.tenant_world import VISIBLE_TO_A, key_of, row_values

# --- probes -------------------------------------------------------------------------------


def leaked_rows(conn, world) -> int:
    """How many rows hidden from A the session can read, over every tenant table (refused reads count 0)."""
    total = 0
    for name in tenant_tables():
        hidden = world.hidden_from_a(name)
        if hidden:
            table = metadata.tables[name]
            total += _autocommit_try(conn, sa.select(sa.func.count()).where(key_of(table).in_(hidden))) or 0
    return total


def _autocommit_try(conn, statement):
    """Run ``statement`` on an AUTOCOMMIT connection; return its scalar, or None if refused."""
    try:
        return conn.execute(statement).scalar()
    except DBAPIError:
        return None


def privileged(conn) -> bool:
    """True if the session runs as, or can act as, anything but a tenant login as bi_analyst."""
    who = conn.execute(sa.text(
        "SELECT r.rolsuper OR r.rolbypassrls OR c.rolsuper OR c.rolbypassrls "
        "FROM pg_roles r, pg_roles c WHERE r.rolname = session_user AND c.rolname = current_user")).scalar()
    return bool(who)


def attempt(conn, statement, params=None, *, scalar=False):
    """Run ``statement`` in a savepoint; return its result (scalar or rowcount), or None if the server refused it."""
    savepoint = conn.begin_nested()
    try:
        result = conn.execute(sa.text(statement) if isinstance(statement, str) else statement, params or {})
        value = result.scalar() if scalar else result.rowcount
    except DBAPIError:
        savepoint.rollback()
        return None
    savepoint.commit()
    return value


def escapes_then_probe(tenancy, *statements) -> tuple[int, bool]:
    """As A's analyst, send ``statements`` (each may fail), then return (rows of B read, privileged?).

    The session is in AUTOCOMMIT, so what a statement sets at session level stays,
    and COMMIT / ROLLBACK are sent to the server as they are.
    """
    with tenancy.a.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        for statement in statements:
            try:
                conn.exec_driver_sql(statement)
            except DBAPIError:
                pass
        return leaked_rows(conn, tenancy.world), privileged(conn)


# --- what A sees --------------------------------------------------------------------------


def test_a_sees_exactly_its_rows_in_every_tenant_table(tenancy):
    """Own rows, migrated rows of counted members, a shared member's, global data; never B's, never invited members'."""
    wrong = {}
    with tenancy.a.connect() as conn:
        assert current_tenant(conn) == tenancy.world.a
        for name in tenant_tables():
            if name == "tenant_logins":
                continue
            table = metadata.tables[name]
            seen = set(conn.execute(sa.select(key_of(table))).scalars())
            if seen != tenancy.world.visible_to_a(name):
                wrong[name] = (seen - tenancy.world.visible_to_a(name), tenancy.world.visible_to_a(name) - seen)
    assert wrong == {}


def test_the_views_show_only_as_users_and_organization(tenancy):
    world = tenancy.world
    with tenancy.a.connect() as conn:
        users = set(conn.execute(sa.text("SELECT user_id FROM user_dashboard_summary")).scalars())
        organizations = set(conn.execute(sa.text("SELECT organization_id FROM organization_analytics")).scalars())
    assert users == world.ids("users", "A", "AB")
    assert organizations == {world.a}


# --- every relation x select/insert/update/delete x own/other organization ---------------


def _relations(owner) -> dict[str, str]:
    with owner.connect() as conn:
        return dict(conn.execute(sa.text(
            "SELECT relname, relkind FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relkind IN ('r', 'p', 'v', 'm')")).all())


def _writable_column(name: str) -> str | None:
    """A column the analyst may update in ``name`` (from ANALYST_WRITES), else None."""
    for privilege in ANALYST_WRITES.get(name, ()):
        if privilege.startswith("UPDATE ("):
            return privilege[len("UPDATE ("):].split(",")[0].rstrip(")").strip()
    return None


def _expected_insert(name: str) -> bool:
    return "INSERT" in ANALYST_WRITES.get(name, ())


def test_every_relation_and_command_leaks_nothing_of_b_and_allows_only_the_documented_writes(tenancy):
    world, relations = tenancy.world, _relations(tenancy.owner)
    attempts, leaks, unexpected = 0, [], []
    with tenancy.a.connect() as conn:
        for name, kind in sorted(relations.items()):
            table = metadata.tables.get(name)
            # SELECT: other = rows hidden from A, own = rows visible to A (checked above in full).
            attempts += 2
            if table is not None and world.labels.get(name):
                hidden = attempt(conn, sa.select(sa.func.count()).where(key_of(table).in_(world.hidden_from_a(name))),
                                 scalar=True)
                if hidden:
                    leaks.append((name, "select other", hidden))
            elif name in (*ANALYST_VIEWS, *ANALYST_METADATA):
                pass  # the views' rows: test_the_views_show_only_as_users_and_organization; metadata: no tenant's
            else:
                readable = attempt(conn, f"SELECT count(*) FROM {name}", scalar=True)
                if readable is not None:
                    leaks.append((name, "select", readable))
            if kind not in ("r", "p"):
                continue
            if not world.labels.get(name):  # not tenant data: no write of any kind
                attempts += 4
                writes = [attempt(conn, f"DELETE FROM {name}"), attempt(conn, f"TRUNCATE {name}"),
                          attempt(conn, sa.text("SELECT has_any_column_privilege(:t, 'INSERT, UPDATE')"), {"t": name},
                                  scalar=True) or None]
                if table is not None:
                    column = next(iter(table.columns)).name
                    writes.append(attempt(conn, f"UPDATE {name} SET {column} = {column}"))
                if any(result is not None for result in writes):
                    leaks.append((name, "write", writes))
                continue
            for side, organization, user in (("other", world.b, world.users["b"]), ("own", world.a, world.users["a"])):
                attempts += 3
                ids = world.hidden_from_a(name) if side == "other" else world.ids(name, "A")
                inserted = attempt(conn, table.insert().values(**row_values(table, organization, user)))
                if inserted and side == "other":
                    leaks.append((name, "insert other", inserted))
                if bool(inserted) != (side == "own" and _expected_insert(name)):
                    unexpected.append((name, f"insert {side}", inserted))
                column = _writable_column(name) or next(c.name for c in table.columns if not c.primary_key)
                updated = attempt(conn, table.update().where(key_of(table).in_(ids)).values({column: table.c[column]}))
                if updated and side == "other":
                    leaks.append((name, "update other", updated))
                if bool(updated) != (side == "own" and bool(ids) and _writable_column(name) is not None):
                    unexpected.append((name, f"update {side}", updated))
                deleted = attempt(conn, table.delete().where(key_of(table).in_(ids)))
                if deleted:
                    (leaks if side == "other" else unexpected).append((name, f"delete {side}", deleted))
        conn.rollback()
    assert leaks == []
    assert unexpected == []
    assert attempts >= 4 * len(relations)


def _organizationless(owner, name: str, ids: set) -> set:
    """Those of ``ids`` whose row has no organization of its own (visible to A through a member only)."""
    table = metadata.tables[name]
    with owner.connect() as conn:
        return set(conn.execute(sa.select(table.c.id).where(table.c.id.in_(ids), table.c.organization_id.is_(None)))
                   .scalars())


def test_writes_reach_and_leave_only_rows_of_as_own_organization_and_counted_members(tenancy):
    """The write rule, not the read rule: no org-less row (it would be B's too), no user who is not A's counted member."""
    world, written, reached = tenancy.world, [], {}
    with tenancy.a.connect() as conn:
        for name, privileges in ANALYST_WRITES.items():
            table = metadata.tables[name]
            if "INSERT" in privileges:
                for organization, user in ((None, "both"), (None, "a"), (world.a, "b"), (world.a, "invited"),
                                           (world.a, "outsider")):
                    values = row_values(table, organization, world.users[user])
                    if attempt(conn, table.insert().values(**values)):
                        written.append((name, organization and "A", user))
            column = _writable_column(name)
            if column is None:
                continue
            seen = world.ids(name, "A", "AB")
            for kind, ids in (("org-less", _organizationless(tenancy.owner, name, seen)),
                              ("own", seen - _organizationless(tenancy.owner, name, seen))):
                assert ids, (name, kind)  # the world has rows of both kinds
                reached[name, kind] = attempt(conn, table.update().where(table.c.id.in_(ids))
                                              .values({column: table.c[column]}))
        conn.rollback()
    assert written == []
    assert {key: count for key, count in reached.items() if key[1] == "org-less" and count} == {}
    assert all(count for key, count in reached.items() if key[1] == "own")


# --- the escapes of the issue, each followed by a probe ------------------------------------


@pytest.mark.parametrize("statements", [
    ["RESET ROLE"],
    ["SET ROLE NONE"],
    ["SET ROLE postgres"],
    ["SET ROLE bi_analyst", "RESET ROLE"],
    ["SET SESSION AUTHORIZATION postgres"],
    ["RESET SESSION AUTHORIZATION"],
    ["SET SESSION AUTHORIZATION DEFAULT"],
    ["BEGIN", "COMMIT", "RESET ROLE"],
    ["BEGIN", "SET LOCAL ROLE NONE", "ROLLBACK", "RESET ROLE"],
    ["BEGIN", "SELECT 1", "COMMIT AND CHAIN", "RESET ROLE"],
    ["SET row_security = off"],
    ["SELECT set_config('role', 'postgres', false)"],
    ["SELECT set_config('session_authorization', 'postgres', false)"],
    ["SELECT set_config('row_security', 'off', false)"],
    ["SELECT set_config('search_path', 'pg_temp, public', false)"],
    ["CREATE TEMP TABLE growth_levers (id uuid)"],
    ["CREATE TABLE pg_temp.growth_levers (id uuid)"],
    ["CREATE TABLE public.organizations_copy AS SELECT * FROM organizations"],
    ["CREATE FUNCTION public.current_tenant() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid'"],
    ["CREATE OR REPLACE FUNCTION pg_temp.current_tenant() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid'"],
    ["ALTER TABLE analytics_events DISABLE ROW LEVEL SECURITY"],
    ["ALTER TABLE analytics_events NO FORCE ROW LEVEL SECURITY"],
    ["DROP POLICY tenant_isolation ON analytics_events"],
    ["GRANT pg_read_all_data TO bi_analyst"],
    ["ALTER ROLE bi_analyst BYPASSRLS"],
    ["COPY (SELECT 1) TO PROGRAM 'id'"],
    ["SELECT pg_read_file('pg_hba.conf')"],
    ["BEGIN", "PREPARE TRANSACTION 'escape'", "RESET ROLE"],
], ids=lambda s: " / ".join(s)[:60])
def test_no_session_statement_reaches_b(tenancy, statements):
    assert escapes_then_probe(tenancy, *statements) == (0, False)


def test_no_setting_names_the_tenant(tenancy):
    """set_config of every setting the workbench or the policies could read: B's ids change nothing."""
    world = tenancy.world
    settings = {"bi_workbench.organization_id": str(world.b), "bi_workbench.user_id": str(world.users["b"]),
                "bi_workbench.tenant": str(world.b), "bi_workbench.audit": "off"}
    statements = [f"SELECT set_config('{name}', '{value}', false)" for name, value in settings.items()]
    assert escapes_then_probe(tenancy, *statements) == (0, False)
    with tenancy.a.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
        assert current_tenant(conn) == world.a


def test_roles_of_others_cannot_be_taken(tenancy):
    for role in ("postgres", tenancy.b_role, "pg_read_all_data", "pg_execute_server_program"):
        assert escapes_then_probe(tenancy, f"SET ROLE {role}", f"SET SESSION AUTHORIZATION {role}") == (0, False)


def test_autocommit_and_raw_dbapi_connections_are_the_login_too(tenancy):
    world = tenancy.world
    with tenancy.a.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        assert (leaked_rows(conn, world), privileged(conn)) == (0, False)
        assert conn.execute(sa.text("SELECT session_user")).scalar() == tenancy.a_role
    raw = tenancy.a.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute("SELECT count(*) FROM organizations WHERE id = %s", (world.b,))
            assert cursor.fetchone()[0] == 0
        raw.rollback()
    finally:
        raw.close()
    # Straight through the driver with the login's URL: no workbench code in between.
    url = tenancy.a.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("RESET ROLE")
        assert conn.execute("SELECT count(*) FROM organizations WHERE id = %s", (world.b,)).fetchone()[0] == 0


def test_two_phase_commit_gives_nothing(tenancy):
    world = tenancy.world
    url = tenancy.a.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(url)
    try:
        conn.tpc_begin(conn.xid(1, "escape", "a"))
        conn.execute("RESET ROLE")
        assert conn.execute("SELECT count(*) FROM organizations WHERE id = %s", (world.b,)).fetchone()[0] == 0
        with pytest.raises(psycopg.Error):
            conn.tpc_prepare()  # max_prepared_transactions = 0 on both servers; nothing gained if it were not
    finally:
        conn.close()


def test_nothing_of_a_session_reaches_the_next_user_of_its_pooled_connection(tenancy):
    tenancy.a.dispose()  # one pooled connection from here on, reused by each checkout below
    with tenancy.a.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        conn.commit()
        for statement in ("SET search_path = pg_temp, public", "SET bi_workbench.audit = 'off'",
                          "SET statement_timeout = 0", "SET ROLE NONE", "PREPARE shadow AS SELECT 1"):
            conn.exec_driver_sql(statement)
        conn.commit()
    with tenancy.a.connect() as conn:
        state = conn.execute(sa.text(
            "SELECT pg_backend_pid(), current_user, current_setting('search_path'), "
            "current_setting('bi_workbench.audit', true), current_setting('statement_timeout'), "
            "(SELECT count(*) FROM pg_prepared_statements)")).one()
    assert tuple(state) == (pid, ANALYST_ROLE, "public, pg_temp", "", "5min", 0)


@pytest.mark.parametrize("mode", ["SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"])
def test_no_shared_table_can_be_locked_against_other_tenants(tenancy, mode):
    locked = []
    with tenancy.a.connect() as conn:
        for name in (*tenant_tables(), "events", "audit_log", "snapshots"):
            if attempt(conn, f"LOCK TABLE {name} IN {mode} MODE NOWAIT") is not None:
                locked.append(name)
        conn.rollback()
    assert locked == []


def test_the_analyst_cannot_write_the_event_log_audit_trail_snapshots_or_memberships(tenancy):
    world = tenancy.world
    statements = [
        "UPDATE events SET event_data = '{}'", "DELETE FROM events", "TRUNCATE events",
        "INSERT INTO events (aggregate_id, aggregate_type, event_type, event_data, version) "
        "VALUES (gen_random_uuid(), 'x', 'x', '{}', 1)",
        "DELETE FROM audit_log", "UPDATE audit_log SET user_id = NULL", "INSERT INTO audit_log (table_name, operation) "
        "VALUES ('x', 'INSERT')", "TRUNCATE audit_log",
        "DELETE FROM snapshots", "INSERT INTO snapshots (aggregate_id, aggregate_type, state, version) "
        "VALUES (gen_random_uuid(), 'x', '{}', 1)",
        f"UPDATE users SET role = 'admin' WHERE id = '{world.users['a']}'",
        f"UPDATE organizations SET owner_id = '{world.users['a']}'",
        "UPDATE organizations SET sso_config = '{}'",
        "UPDATE organization_members SET role = 'owner'",
        f"INSERT INTO organization_members (organization_id, user_id, role) VALUES ('{world.a}', '{world.users['b']}', 'x')",
        "DELETE FROM notifications", "DELETE FROM dashboard_widgets",
        f"INSERT INTO tenant_logins (role_name, organization_id) VALUES (session_user, '{world.b}')",
        "UPDATE tenant_logins SET organization_id = organization_id",
    ]
    with tenancy.a.connect() as conn:
        done = {statement: attempt(conn, statement) for statement in statements}
        conn.rollback()
    assert {statement: result for statement, result in done.items() if result is not None} == {}


@pytest.mark.parametrize("call", [
    "lo_from_bytea(0, 'secret of A')", "lo_create(0)", "lo_creat(-1)", "lo_import('/etc/hostname')",
    "lo_open(1, 262144)", "lo_get(1)", "lo_put(1, 0, 'x')", "lo_unlink(1)",
    "pg_advisory_lock(1651073901)", "pg_try_advisory_lock(1651073901)", "pg_advisory_xact_lock(7)",
    "pg_try_advisory_xact_lock_shared(7)", "pg_advisory_lock(1, 2)", "pg_advisory_unlock_all()",
    "pg_logical_emit_message(false, 'x', 'y')",
])
def test_no_large_object_or_advisory_lock_function_runs_for_a_tenant(tenancy, call):
    """Large objects are one area shared by every role; an advisory lock could hold the migration's key."""
    done = []
    with tenancy.a.connect() as conn:
        for prefix in ("RESET ROLE", "SET ROLE NONE"):  # as bi_analyst, and as the login itself
            conn.exec_driver_sql(prefix)
            done.append(attempt(conn, f"SELECT {call}", scalar=True) is not None)
        conn.rollback()
    assert done == [False, False]


def test_role_settings_a_tenant_gives_itself_are_reported_and_reset_by_db_init(tenancy):
    """ALTER ROLE self ... SET cannot be forbidden; `db check` reports it and `db init` / `tenant add` put it back."""
    database = tenancy.owner.url.database
    statements = ["ALTER ROLE current_user SET statement_timeout = 0", "ALTER ROLE current_user SET row_security = off",
                  "SET ROLE NONE", "ALTER ROLE current_user SET lock_timeout = 0",
                  f"ALTER ROLE current_user IN DATABASE {database} SET role = none"]
    with tenancy.a.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    with tenancy.owner.connect() as conn:
        found = {str(d).split(" (")[0] for d in compare_catalog(conn)}
    assert found == {"extra role setting: bi_analyst in every database", f"extra role setting: {tenancy.a_role} in "
                     f"{database}", f"different role setting: {tenancy.a_role} in every database"}
    init_schema(tenancy.owner)
    with tenancy.owner.connect() as conn:
        assert compare_catalog(conn) == []
    tenancy.a.dispose()
    with tenancy.a.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user, current_setting('lock_timeout')")).one() == (
            ANALYST_ROLE, "5s")


def test_the_tenant_engine_does_not_depend_on_role_defaults_the_login_can_change(tenancy):
    """A login that gave itself role=none, no timeouts and another search_path still gets the pinned session."""
    database = tenancy.owner.url.database
    with tenancy.a.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        for statement in ("SET ROLE NONE", f"ALTER ROLE current_user IN DATABASE {database} SET role = none",
                          "ALTER ROLE current_user SET statement_timeout = 0",
                          "ALTER ROLE current_user SET idle_in_transaction_session_timeout = 0",
                          f"ALTER ROLE current_user IN DATABASE {database} SET search_path = pg_temp, public"):
            conn.exec_driver_sql(statement)
    try:
        tenancy.a.dispose()
        states = []
        for _checkout in range(2):  # a new connection, then the same one after DISCARD ALL
            with tenancy.a.connect() as conn:
                states.append(tuple(conn.execute(sa.text(
                    "SELECT current_user, current_setting('search_path'), current_setting('statement_timeout'), "
                    "current_setting('idle_in_transaction_session_timeout'), current_tenant() IS NOT NULL")).one()))
        assert states == [(ANALYST_ROLE, "public, pg_temp", "5min", "10min", True)] * 2
    finally:
        init_schema(tenancy.owner)  # `db init`: the login's own settings go
        tenancy.a.dispose()
    with tenancy.owner.connect() as conn:
        assert compare_catalog(conn) == []


def test_owner_ddl_does_not_queue_behind_a_tenant_holding_a_table_it_names_the_session(tenancy, monkeypatch):
    """A tenant idle in a transaction that read analytics_events: `db partitions` gives up in one line, changes nothing."""
    monkeypatch.setattr(locking, "LOCK_TIMEOUT", "300ms")
    monkeypatch.setattr(locking, "PAUSE_S", 0.05)

    def partitions(conn) -> int:
        return conn.execute(sa.text("SELECT count(*) FROM pg_inherits WHERE inhparent = 'analytics_events'::regclass")
                            ).scalar()

    with tenancy.owner.connect() as conn:
        before = partitions(conn)
    with tenancy.a.connect() as conn:
        conn.execute(sa.text("SELECT count(*) FROM analytics_events")).scalar()  # ACCESS SHARE, held until the end
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        # Without a lock timeout the owner would wait for ever: end the tenant's session after a while instead.
        rescue = threading.Timer(30, _terminate, (tenancy.owner, pid))
        rescue.start()
        try:
            with pytest.raises(LockBusyError, match=rf"^db partitions could not take its locks .*: session {pid} of "
                                                    rf"{tenancy.a_role} \(idle in transaction"):
                ensure_partitions_ahead(tenancy.owner, months_ahead=40)
        finally:
            rescue.cancel()
        conn.rollback()
    with tenancy.owner.connect() as conn:
        assert partitions(conn) == before
    assert ensure_partitions_ahead(tenancy.owner, months_ahead=40) > 0  # the tenant's transaction ended: it goes through


def _terminate(owner, pid: int) -> None:
    with owner.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})


# --- the audit trail -----------------------------------------------------------------------


def _audit_rows(owner, record_id) -> list:
    with owner.connect() as conn:
        return conn.execute(sa.text("SELECT user_id, ip_address, user_agent FROM audit_log WHERE record_id = :r"),
                            {"r": record_id}).all()


def test_audit_off_and_a_forged_actor_are_ignored_the_login_is_the_actor(tenancy):
    world = tenancy.world
    with tenancy.a.begin() as conn:
        conn.execute(sa.text("SELECT set_config('bi_workbench.audit', 'off', true)"))
        acting_as(conn, world.users["b"], ip="203.0.113.66", user_agent="someone else")
        widget = conn.execute(sa.text(
            "INSERT INTO dashboard_widgets (user_id, organization_id, widget_type) VALUES (:u, :o, 'kpi') RETURNING id"),
            {"u": world.users["a"], "o": world.a}).scalar_one()
    ((user, ip, agent),) = _audit_rows(tenancy.owner, widget)
    assert user is None  # B's user is no member of A: not recorded as the actor
    assert str(ip) != "203.0.113.66"
    assert agent == f"[tenant login {tenancy.a_role}] someone else"


def test_the_acting_member_is_recorded_beside_the_login(tenancy):
    world = tenancy.world
    with tenancy.a.begin() as conn:
        widget = conn.execute(sa.text(
            "INSERT INTO dashboard_widgets (user_id, organization_id, widget_type) VALUES (:u, :o, 'kpi') RETURNING id"),
            {"u": world.users["a"], "o": world.a}).scalar_one()
    ((user, _ip, agent),) = _audit_rows(tenancy.owner, widget)
    assert (user, agent.split("]")[0]) == (world.users["a"], f"[tenant login {tenancy.a_role}")


# --- the engine refuses what it cannot guarantee ----------------------------------------


@pytest.mark.parametrize("who", ["outsider", "invited", "member_of_b", "no_such_user"])
def test_an_acting_user_who_is_not_a_counted_member_is_refused(tenancy, who):
    user = tenancy.world.users.get({"member_of_b": "b"}.get(who, who), uuid.uuid4())
    with pytest.raises(TenantAccessError, match=f"user {user} is not a member of organization {tenancy.world.a}"):
        tenant_engine(tenancy.owner, tenancy.world.a, user)


def test_a_login_bound_to_another_organization_is_refused(tenancy):
    with pytest.raises(TenantAccessError, match="refusing the connection"):
        tenant_engine(tenancy.a, tenancy.world.b)


def test_an_organization_without_a_login_is_refused(tenancy):
    with pytest.raises(TenantAccessError, match="has no tenant login"):
        tenant_engine(tenancy.owner, uuid.uuid4())


def test_a_role_that_is_neither_owner_nor_tenant_login_is_refused(tenancy):
    role = f"stranger_{uuid.uuid4().hex[:8]}"
    with tenancy.owner.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'stranger-pw'")
    try:
        stranger = sa.create_engine(tenancy.owner.url.set(username=role, password="stranger-pw"))
        with pytest.raises(TenantAccessError, match="refusing the connection"):
            tenant_engine(stranger, tenancy.world.a)
        stranger.dispose()
    finally:
        with tenancy.owner.begin() as conn:
            conn.exec_driver_sql(f"DROP ROLE {role}")


def test_ids_that_are_not_uuids_are_refused(tenancy):
    with pytest.raises(InvalidParameterError, match="organization_id must be a UUID"):
        tenant_engine(tenancy.owner, "org-a")


def test_the_tenant_transaction_runs_as_the_login(tenancy):
    with tenant_transaction(tenancy.owner, tenancy.world.a, tenancy.world.users["a"]) as conn:
        assert conn.execute(sa.text("SELECT session_user, current_user")).one() == (tenancy.a_role, ANALYST_ROLE)
        conn.exec_driver_sql("COMMIT")
        assert conn.execute(sa.text("SELECT count(*) FROM organizations")).scalar() == 1


def test_the_owner_still_sees_every_row(tenancy):
    with tenancy.owner.connect() as conn:
        for name in tenancy.world.labels:
            labelled = set(tenancy.world.labels[name])
            ids = set(conn.execute(sa.select(key_of(metadata.tables[name]))).scalars())
            assert labelled <= ids, name


def test_every_visibility_label_is_exercised(tenancy):
    labels = {label for rows in tenancy.world.labels.values() for label in rows.values()}
    assert labels == {"A", "B", "AB", "none", "*"} and VISIBLE_TO_A < labels


def test_the_login_is_unprivileged_owns_nothing_and_reaches_only_bi_analyst(tenancy):
    with tenancy.owner.connect() as conn:
        attributes = conn.execute(sa.text(
            "SELECT rolcanlogin, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
            "FROM pg_roles WHERE rolname = :r"), {"r": tenancy.a_role}).one()
        reachable = set(conn.execute(sa.text(
            "SELECT r.rolname FROM pg_roles r WHERE pg_has_role(:r, r.oid, 'MEMBER') AND r.rolname <> :r"),
            {"r": tenancy.a_role}).scalars())
        owned = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = o.oid) + (SELECT count(*) FROM pg_proc "
            "WHERE proowner = o.oid) + (SELECT count(*) FROM pg_namespace WHERE nspowner = o.oid) "
            "+ (SELECT count(*) FROM pg_database WHERE datdba = o.oid) FROM pg_roles o WHERE o.rolname IN (:r, :g)"),
            {"r": tenancy.a_role, "g": ANALYST_ROLE}).scalars().all()
        settings = conn.execute(sa.text(
            "SELECT unnest(setconfig) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "WHERE r.rolname = :r"), {"r": tenancy.a_role}).scalars().all()
    assert tuple(attributes) == (True, False, False, False, False, False, False)
    assert reachable == {ANALYST_ROLE}
    assert owned == [0, 0]
    assert {"role=bi_analyst", "search_path=public, pg_temp", "statement_timeout=5min", "lock_timeout=5s"} <= set(settings)


def test_a_database_that_would_let_the_login_make_temporary_tables_is_refused(tenancy):
    database = tenancy.owner.url.database
    with tenancy.owner.begin() as conn:
        conn.exec_driver_sql(f"GRANT TEMPORARY ON DATABASE {database} TO PUBLIC")
    try:
        tenancy.a.dispose()  # new connections are checked
        with pytest.raises(TenantAccessError, match="could create temporary tables"):
            with tenancy.a.connect():
                pass
    finally:
        with tenancy.owner.begin() as conn:
            conn.exec_driver_sql(f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC")
        tenancy.a.dispose()
