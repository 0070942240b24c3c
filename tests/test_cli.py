"""The command line: a thin layer that turns expected failures into one line and an exit code."""

import subprocess
import sys

import pytest
import sqlalchemy as sa

from bi_workbench.database import EmbeddedServer
from tests.conftest import filled_database, free_port


def run_cli(*args, env_url=None, data_dir=None, port=None, extra_env=None):
    """Run `bi-workbench ARGS` in a subprocess; return (exit code, stdout, stderr)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
    env.update(extra_env or {})
    if env_url:
        env["BI_WORKBENCH_DATABASE_URL"] = env_url
    if data_dir:
        env["BI_WORKBENCH_DATA_DIR"] = str(data_dir)
    if port:
        env["BI_WORKBENCH_PORT"] = str(port)
    done = subprocess.run([sys.executable, "-m", "bi_workbench.cli", *args], capture_output=True, text=True, env=env)
    return done.returncode, done.stdout, done.stderr


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_init_then_check_on_a_database_given_by_url(empty_database):
    code, out, _ = run_cli("db", "init", env_url=_url(empty_database))
    assert code == 0 and "schema created to revision" in out
    code, out, _ = run_cli("db", "init", env_url=_url(empty_database))
    assert code == 0 and "up to date" in out
    code, out, _ = run_cli("db", "check", env_url=_url(empty_database))
    assert code == 0 and "schema matches the model" in out


def test_check_exits_non_zero_with_a_readable_report_on_drift(schema_database):
    with schema_database.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_users_company"))
    code, _, err = run_cli("db", "check", env_url=_url(schema_database))
    assert code == 5
    assert "differs from the schema model in 1 place" in err and "- missing index: users.ix_users_company" in err


def test_check_on_a_database_without_the_schema_says_what_to_do(empty_database):
    code, _, err = run_cli("db", "check", env_url=_url(empty_database))
    assert code == 4 and err.strip() == "error: the database holds no bi-workbench schema; run `bi-workbench db init` first."


def test_an_unreachable_server_is_one_line_without_traceback():
    code, _, err = run_cli("--database-url", f"postgresql://u@127.0.0.1:{free_port()}/db", "db", "check")
    assert code == 3
    assert err.count("\n") == 1 and err.startswith("error: cannot connect to") and "Traceback" not in err


def test_start_and_stop_refuse_an_external_url():
    code, _, err = run_cli("db", "stop", env_url="postgresql://u@localhost/db")
    assert code == 2 and "no embedded server to stop" in err


def test_the_embedded_lifecycle_from_the_command_line(tmp_path):
    port = free_port()
    where = dict(data_dir=tmp_path / "data", port=port)
    try:
        code, out, _ = run_cli("db", "status", **where)
        assert code == 0 and "not initialised" in out
        code, out, _ = run_cli("db", "init", **where)
        assert code == 0 and "schema created" in out
        code, out, _ = run_cli("db", "url", **where)
        secret = (tmp_path / "data" / ".pgdata.password").read_text()  # SCRAM: the stored superuser secret
        assert out.strip() == f"postgresql://postgres:{secret}@127.0.0.1:{port}/bi_workbench"
        code, out, _ = run_cli("db", "check", **where)
        assert code == 0
        code, out, _ = run_cli("db", "status", **where)
        assert "running" in out and "schema revision: 0" in out
        code, out, _ = run_cli("db", "reset", "--yes", **where)
        assert code == 0 and "database reset" in out
        code, out, _ = run_cli("db", "stop", **where)
        assert code == 0 and out.startswith("stopped")
    finally:
        run_cli("db", "stop", **where)
        EmbeddedServer(tmp_path / "data" / "pgdata", port).destroy()


def assert_one_line(code, err, expected_code, *fragments):
    """The CLI's contract for expected failures: one line on stderr, no traceback, the right exit code."""
    assert code == expected_code, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


@pytest.mark.parametrize(
    "env, fragments",
    [
        ({"BI_WORKBENCH_PORT": "abc"}, ["BI_WORKBENCH_PORT='abc' is not a port number"]),
        ({"BI_WORKBENCH_PORT": "80"}, ["BI_WORKBENCH_PORT=80 is outside 1024-65535"]),
        ({"BI_WORKBENCH_TENANT": "garbage"}, ["BI_WORKBENCH_TENANT='garbage' must be ORGANIZATION_ID"]),
        ({"BI_WORKBENCH_TENANT": "not-a-uuid:also-not"}, ["BI_WORKBENCH_TENANT='not-a-uuid:also-not' must be"]),
        ({"BI_WORKBENCH_DATA_DIR": "/dev/null"}, ["BI_WORKBENCH_DATA_DIR=/dev/null cannot hold the database",
                                                   "/dev/null is not a folder"]),
        ({"BI_WORKBENCH_DATA_DIR": "/dev/null/below"}, ["/dev/null is not a folder"]),
        ({"BI_WORKBENCH_DATABASE_URL": "postgresql://host:abc/db"}, ["'postgresql://host:abc/db' is not a database URL",
                                                                      "port is not a number"]),
        ({"BI_WORKBENCH_DATABASE_URL": "postgresql://[::1:5432/db"}, ["lacks the closing ']'"]),
        ({"BI_WORKBENCH_DATABASE_URL": "postgresql://u@h:99999/db"}, ["has port 99999, outside 1-65535"]),
        ({"BI_WORKBENCH_DATABASE_URL": "mysql://u@h/db"}, ["bi-workbench needs PostgreSQL"]),
        ({"BI_WORKBENCH_DATABASE_URL": "postgresql://u:secret@h:5432"}, ["names no database"]),
    ],
)
@pytest.mark.parametrize("command", [("db", "status"), ("report", "history")])
def test_a_malformed_setting_is_one_line_naming_it(env, fragments, command):
    code, out, err = run_cli(*command, extra_env=env)
    assert_one_line(code, err, 2, *fragments)
    assert "secret" not in err and out == ""


def test_a_url_option_the_driver_refuses_is_one_line():
    code, _, err = run_cli("db", "check", env_url=f"postgresql://u@127.0.0.1:{free_port()}/db?sslmode=bogus")
    assert_one_line(code, err, 3, 'invalid sslmode value: "bogus"')


def test_report_history_on_a_database_without_the_schema_says_to_init(empty_database):
    code, _, err = run_cli("report", "history", env_url=_url(empty_database))
    assert_one_line(code, err, 4, "holds no bi-workbench schema; run `bi-workbench db init` first.")


def test_a_view_without_security_invoker_is_drift_and_db_init_restores_isolation(databases, demo_engine):
    demo_engine.dispose()  # a template database must have no open session
    reset = "ALTER VIEW organization_analytics RESET (security_invoker)"
    with filled_database(databases, demo_engine.url.database, lambda conn: conn.exec_driver_sql(reset)) as engine:
        with engine.connect() as conn:
            organizations = conn.execute(sa.text("SELECT count(*) FROM organizations")).scalar()

        def visible() -> int:
            # The analysts' role with no tenant in force: row-level security must show it nothing.
            with engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL ROLE bi_analyst")
                return conn.execute(sa.text("SELECT count(*) FROM organization_analytics")).scalar()

        assert organizations > 1 and visible() == organizations  # the leak: the view runs with its owner's rights
        code, _, err = run_cli("db", "check", env_url=_url(engine))
        assert code == 5 and "- different view option: organization_analytics (database has none; " \
                             "model has security_invoker=true)" in err
        code, out, _ = run_cli("db", "init", env_url=_url(engine))
        assert code == 0 and "repaired different view option: organization_analytics" in out
        assert visible() == 0
        code, out, _ = run_cli("db", "check", env_url=_url(engine))
        assert code == 0 and "schema matches the model" in out


def test_a_date_no_report_can_hold_is_refused_before_any_cell_runs(schema_database, tmp_path):
    code, _, err = run_cli("report", "run", "01_users_orgs", "-p", "until", "9999-12-31", "--output", str(tmp_path),
                           env_url=_url(schema_database))
    assert_one_line(code, err, 2, "report 01_users_orgs: parameter until='9999-12-31' is outside the dates a report "
                                  "can hold (1677-09-23 to 2262-04-10).")
    assert list(tmp_path.iterdir()) == []


def test_the_refresh_crontab_line_keeps_the_url_out_and_logs_under_the_state_folder(tmp_path):
    import os
    import stat

    secret = "postgresql://analyst:s3cr%et@db.example:5432/bi"
    state = tmp_path / "state"
    # the URL given as an option, not in the environment: the line must still reach that database
    code, out, err = run_cli("--database-url", secret, "db", "refresh", "--crontab",
                             extra_env={"XDG_STATE_HOME": str(state)})
    assert code == 0, err
    line = out.strip()
    (environment,) = (state / "bi-workbench").glob("cron-*.env")
    assert line.startswith(f"*/15 * * * * . {environment} && ") and "s3cr" not in line and "analyst" not in line
    assert line.endswith(f"-m bi_workbench.cli db refresh >> {state / 'bi-workbench' / 'db-refresh.log'} 2>&1")
    assert stat.S_IMODE(os.stat(environment).st_mode) == 0o600 and "s3cr%et" in environment.read_text()


def test_a_reader_that_stops_early_ends_the_output_quietly():
    import fcntl
    import os

    reader, writer = os.pipe()
    fcntl.fcntl(writer, 1031, 4096)  # F_SETPIPE_SZ: the smallest pipe, which `report list` overfills
    env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
    listing = subprocess.Popen([sys.executable, "-m", "bi_workbench.cli", "report", "list"], stdout=writer,
                               stderr=subprocess.PIPE, env=env)
    os.close(writer)
    os.read(reader, 100)  # `| head -c 100`
    os.close(reader)
    _, err = listing.communicate(timeout=120)
    assert listing.returncode == 141 and err == b"", err   # as `head` expects of a Unix tool: no error text
