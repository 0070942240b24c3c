"""The command line under a tenant: it runs as the tenant's login or refuses, in one line."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from bi_workbench.cli import TENANT_COMMANDS, _Context, cli


def _run(tenancy, *args, tenant: str | None = None):
    env = {"BI_WORKBENCH_DATABASE_URL": tenancy.owner.url.render_as_string(hide_password=False),
           "BI_WORKBENCH_TENANT": tenant}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def tenancy(request):
    """The two-tenant database on the embedded server only (the CLI is the same on any server)."""
    return request.getfixturevalue("embedded_tenancy")


@pytest.mark.parametrize("args", [
    ["db", "init"], ["db", "check"], ["db", "status"], ["db", "reset", "--yes"], ["db", "partitions"],
    ["db", "refresh"], ["db", "start"], ["db", "stop"], ["migrate", "check"], ["migrate"], ["events", "check"],
    ["report", "history"], ["report", "schedule"], ["seed"], ["demo"], ["tenant", "list"], ["tenant", "add", "x"],
], ids=" ".join)
def test_owner_commands_are_refused_under_a_tenant_in_one_line(tenancy, args):
    code, output = _run(tenancy, *args, tenant=str(tenancy.world.a))
    assert code != 0
    assert output.count("\n") == 1 and "needs the database owner and does not run as a tenant" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("value", ["not-a-uuid", f"{uuid.UUID(int=7)}:nobody", ":", "", " "])
def test_a_malformed_tenant_is_refused_before_anything_runs(tenancy, value):
    code, output = _run(tenancy, "db", "url", tenant=value)
    assert code != 0 and output.count("\n") == 1 and "BI_WORKBENCH_TENANT" in output


def test_db_url_prints_the_tenants_login_never_the_owners(tenancy):
    code, output = _run(tenancy, "db", "url", tenant=f"{tenancy.world.a}:{tenancy.world.users['a']}")
    assert code == 0
    url = make_url(output.strip())
    assert url.username == tenancy.a_role and url.password
    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:  # what a psql user or a kernel gets: the login, bound to A
        assert conn.execute(sa.text("SELECT session_user, current_tenant()")).one() == (tenancy.a_role, tenancy.world.a)
    engine.dispose()
    code, output = _run(tenancy, "db", "url")
    assert code == 0 and make_url(output.strip()).username == tenancy.owner.url.username


def test_lab_kernels_get_the_tenants_url(tenancy, monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", tenancy.owner.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BI_WORKBENCH_TENANT", str(tenancy.world.a))
    assert _Context(None).client_url().username == tenancy.a_role
    assert {"lab", "db url", "report run"} <= TENANT_COMMANDS


def test_tenant_add_list_and_remove(tenancy, secret_store):
    with tenancy.owner.begin() as conn:
        organization = conn.execute(sa.text(
            "INSERT INTO organizations (name, slug) VALUES ('Org C', :s) RETURNING id"), {"s": uuid.uuid4().hex}).scalar()
    code, output = _run(tenancy, "tenant", "add", str(organization))
    assert code == 0 and "tenant login bi_tenant_" in output
    store = secret_store / "secrets" / "tenant-logins.json"
    assert store.stat().st_mode & 0o777 == 0o600 and (store.parent.stat().st_mode & 0o777) == 0o700
    code, output = _run(tenancy, "tenant", "list")
    assert code == 0 and f"{organization}  Org C  bi_tenant_" in output and "password stored" in output
    code, output = _run(tenancy, "tenant", "remove", str(organization))
    assert code == 0 and "removed" in output
    code, output = _run(tenancy, "tenant", "remove", str(organization))
    assert code != 0 and output == f"error: organization {organization} has no tenant login\n"
    code, output = _run(tenancy, "tenant", "add", str(uuid.UUID(int=7)))
    assert code != 0 and "does not exist" in output


def _new_login(tenancy, name: str):
    with tenancy.owner.begin() as conn:
        organization = conn.execute(sa.text("INSERT INTO organizations (name, slug) VALUES (:n, :s) RETURNING id"),
                                    {"n": name, "s": uuid.uuid4().hex}).scalar()
    code, output = _run(tenancy, "tenant", "add", str(organization))
    assert code == 0, output
    with tenancy.owner.connect() as conn:
        role = conn.execute(sa.text("SELECT role_name FROM tenant_logins WHERE organization_id = :o"),
                            {"o": organization}).scalar_one()
    return organization, role


def test_tenant_remove_ends_access_even_when_the_login_owns_or_was_granted_something(tenancy):
    organization, role = _new_login(tenancy, "Org D")
    with tenancy.owner.begin() as conn:  # what a login could have made or been given before (a large object, a grant)
        large_object = conn.execute(sa.text("SELECT lo_create(0)")).scalar()
        conn.exec_driver_sql(f"ALTER LARGE OBJECT {large_object} OWNER TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT ON migration_ledger TO {role}")
    code, output = _run(tenancy, "tenant", "remove", str(organization))
    assert (code, output) == (0, f"tenant login {role} removed\n")
    with tenancy.owner.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar() == 0


def test_a_tenant_remove_that_cannot_finish_fails_in_one_line_and_changes_nothing(tenancy):
    organization, role = _new_login(tenancy, "Org E")
    other = sa.create_engine(tenancy.owner.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    table = f"owned_elsewhere_{uuid.uuid4().hex[:8]}"
    with other.connect() as conn:  # something of the login's in another database: DROP ROLE must fail
        conn.exec_driver_sql(f"CREATE TABLE {table} (x int)")
        conn.exec_driver_sql(f"ALTER TABLE {table} OWNER TO {role}")
    try:
        code, output = _run(tenancy, "tenant", "remove", str(organization))
        assert code != 0 and output.count("\n") == 1 and "Traceback" not in output
        assert output.startswith(f"error: removing the tenant login of organization {organization} failed")
        with tenancy.owner.connect() as conn:
            assert conn.execute(sa.text("SELECT organization_id FROM tenant_logins WHERE role_name = :r"),
                                {"r": role}).scalar() == organization
    finally:
        with other.connect() as conn:
            conn.exec_driver_sql(f"DROP TABLE {table}")
        other.dispose()
    assert _run(tenancy, "tenant", "remove", str(organization))[0] == 0


def test_tenant_add_again_resets_what_the_login_set_for_itself(tenancy):
    organization, role = _new_login(tenancy, "Org F")
    login = sa.create_engine(make_url(_run(tenancy, "db", "url", tenant=str(organization))[1].strip())
                             .set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with login.connect() as conn:
        for statement in ("SET ROLE NONE", "ALTER ROLE current_user SET statement_timeout = 0",
                          f"ALTER ROLE current_user IN DATABASE {tenancy.owner.url.database} SET role = none"):
            conn.exec_driver_sql(statement)
    login.dispose()
    assert _run(tenancy, "tenant", "add", str(organization))[0] == 0
    with tenancy.owner.connect() as conn:
        settings = conn.execute(sa.text(
            "SELECT coalesce(d.datname, ''), s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "LEFT JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname = :r"), {"r": role}).all()
    assert [(database, sorted(config)) for database, config in settings] == [("", sorted([
        "role=bi_analyst", "search_path=public, pg_temp", "statement_timeout=5min", "lock_timeout=5s",
        "idle_in_transaction_session_timeout=10min"]))]
    assert _run(tenancy, "tenant", "remove", str(organization))[0] == 0


def test_db_init_sets_a_password_the_login_changed_back_to_the_stored_one(tenancy):
    organization, role = _new_login(tenancy, "Org G")
    url = make_url(_run(tenancy, "db", "url", tenant=str(organization))[1].strip()).set(drivername="postgresql+psycopg")
    login = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with login.connect() as conn:
        conn.exec_driver_sql("SET ROLE NONE")
        conn.exec_driver_sql("ALTER ROLE current_user PASSWORD 'locked-out'")
    login.dispose()
    assert _run(tenancy, "db", "init")[0] == 0
    login = sa.create_engine(url)
    with login.connect() as conn:  # the stored password works again
        assert conn.execute(sa.text("SELECT current_tenant()")).scalar() == organization
    login.dispose()
    assert _run(tenancy, "tenant", "remove", str(organization))[0] == 0


@pytest.mark.parametrize("database", ["postgres", "template1"])
def test_a_tenant_login_cannot_enter_the_servers_own_databases(tenancy, database):
    """On the embedded server, pg_hba.conf rejects members of bi_analyst outside the workbench's databases."""
    url = make_url(_run(tenancy, "db", "url", tenant=str(tenancy.world.a))[1].strip())
    login = sa.create_engine(url.set(drivername="postgresql+psycopg", database=database))
    with pytest.raises(sa.exc.OperationalError, match="pg_hba.conf rejects connection"):
        with login.connect():
            pass
    login.dispose()


def test_a_platform_only_report_is_refused_under_a_tenant_in_one_line(tenancy, tmp_path, monkeypatch):
    from bi_workbench.jupyter import shipped_notebooks

    monkeypatch.chdir(tmp_path)
    code, output = _run(tenancy, "report", "run", "05_events_audit", "--notebooks", str(shipped_notebooks()),
                        tenant=str(tenancy.world.a))
    assert code == 2 and output.count("\n") == 1, output
    assert "report 05_events_audit reads the platform's own records and does not render as a tenant" in output
    assert not (tmp_path / "reports").exists()   # refused before any run was claimed or rendered
