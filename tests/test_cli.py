"""The command line: a thin layer that turns expected failures into one line and an exit code."""

import subprocess
import sys

import sqlalchemy as sa

from tests.conftest import free_port


def run_cli(*args, env_url=None, data_dir=None, port=None):
    """Run `bi-workbench ARGS` in a subprocess; return (exit code, stdout, stderr)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
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
