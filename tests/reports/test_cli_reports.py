"""`bi-workbench report ...`: one-line errors before anything runs, exit codes, list, run, schedule, history."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest

from tests.conftest import free_port
from tests.reports.conftest import ROOT, url_of
from tests.test_cli import run_cli


def _report(*args, env_url=None):
    return run_cli("report", *args, env_url=env_url)


@pytest.fixture
def workdir(tmp_path):
    """Run the CLI as from a project folder: notebooks/ with the example notebooks, reports/ for the output."""
    (tmp_path / "notebooks").symlink_to(ROOT / "tests" / "reports" / "notebooks")
    return tmp_path


def _cli(workdir, *args, env_url=None):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
    env.update(BI_WORKBENCH_REPORT_CATALOGS="tests.reports.example_reports", XDG_STATE_HOME=str(workdir / "state"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    if env_url:
        env["BI_WORKBENCH_DATABASE_URL"] = env_url
    done = subprocess.run([sys.executable, "-m", "bi_workbench.cli", "report", *args], capture_output=True, text=True,
                          env=env, cwd=workdir)
    return done.returncode, done.stdout, done.stderr


def test_list_shows_every_report_with_parameter_types_defaults_and_allowed_values():
    code, out, _ = _report("list")
    assert code == 0
    assert "01_users_orgs: Users and organizations" in out
    assert "    top_n (int, default 10; from 1 to 100): how many organizations to list in the rankings" in out
    assert "granularity (str, default 'week'; one of day, week, month)" in out


@pytest.mark.parametrize(("args", "code", "message"), [
    (["-p", "topn", "3"], 2, "error: report example_users: unknown parameter(s) topn; its parameters are: organization_id,"),
    (["-p", "since", "yesterday"], 2, "error: report example_users: parameter since='yesterday' is not a date (YYYY-MM-DD)"),
    (["-p", "as_of", str(date.today() + timedelta(days=3))], 2, "is in the future"),
    (["-p", "organization_id", "00000000-0000-4000-8000-000000000000"], 2, "names nothing in the database"),
    (["-p", "industry", "Spaceships"], 2, "parameter industry='Spaceships' names nothing in the database"),
])
def test_bad_parameters_fail_in_one_line_before_any_cell_runs(report_database, workdir, args, code, message):
    done_code, out, err = _cli(workdir, "run", "example_users", *args, env_url=url_of(report_database))
    assert done_code == code and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (workdir / "reports").exists()  # nothing rendered, nothing overwritten


def test_an_unreachable_database_fails_in_one_line_before_any_cell_runs(workdir):
    code, _, err = _cli(workdir, "run", "example_users", env_url=f"postgresql://u@127.0.0.1:{free_port()}/db")
    assert code == 3 and err.startswith("error: cannot connect to") and err.count("\n") == 1
    assert not (workdir / "reports").exists()


def test_an_unknown_report_fails_in_one_line(report_database, workdir):
    code, _, err = _cli(workdir, "run", "no_such_report", env_url=url_of(report_database))
    assert code == 2 and err.startswith("error: no report named 'no_such_report'; the reports are:")


def test_run_renders_reports_and_a_failure_exits_non_zero(report_database, workdir):
    code, out, err = _cli(workdir, "run", "example_users", "example_counts", "-p", "as_of", "2024-01-31",
                          env_url=url_of(report_database))
    assert code == 0, err
    assert re.search(rf"example_users: succeeded -> reports/example_users/{date.today()}/run-\d+/example_users.html", out)
    assert "index: reports/index.html" in out and (workdir / "reports" / "index.html").exists()
    code, out, err = _cli(workdir, "run", "example_users", "-p", "fail", "yes", env_url=url_of(report_database))
    assert code == 9 and "example_users: FAILED (RuntimeError: example_users was asked to fail" in out
    assert err.startswith("error: 1 of 1 report(s) failed (example_users); their last good reports were kept")
    code, out, _ = _cli(workdir, "history", "example_users", env_url=url_of(report_database))
    failed, succeeded = out.splitlines()
    assert code == 0 and failed.startswith("#") and " example_users failed " in failed and " fail=True " in failed
    assert failed.endswith("-> RuntimeError: example_users was asked to fail in cell [4]")
    assert re.search(r" example_users succeeded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \(\d+\.\d s\) "
                     r"as_of=2024-01-31 .*-> \S+/run-\d+/example_users\.html$", succeeded), succeeded


def test_schedule_renders_what_is_due_once_and_prints_its_crontab_line(report_database, workdir):
    (workdir / "schedules.toml").write_text(
        '[[schedule]]\nname = "counts"\nreport = "example_counts"\ncron = "0 6 * * *"\ntimezone = "UTC"\n')
    args = ["schedule", "--schedules", "schedules.toml", "--at", "2024-03-01T06:03:00+00:00"]
    code, out, err = _cli(workdir, *args, env_url=url_of(report_database))
    assert code == 0 and re.search(r"example_counts: succeeded -> reports/example_counts/2024-03-01/run-\d+/example_counts.html",
                                   out), err
    code, out, _ = _cli(workdir, *args, env_url=url_of(report_database))
    assert code == 0 and "example_counts: skipped (slot 2024-03-01 06:00:00+00:00 of schedule counts already claimed)" in out
    code, out, _ = _cli(workdir, "schedule", "--schedules", "schedules.toml", "--at", "2024-03-01T12:00:00+00:00",
                        env_url=url_of(report_database))
    assert code == 0 and out.strip() == "nothing due (1 schedule(s) in schedules.toml)"
    code, out, _ = _cli(workdir, "schedule", "--schedules", "schedules.toml", "--crontab", "--every", "10")
    assert code == 0 and re.match(rf"\*/10 \* \* \* \* \. {workdir}/state/bi-workbench/cron-\w+\.env && cd ", out), out
    assert f"--schedules {workdir}/schedules.toml" in out


def test_schedule_runs_the_good_entries_and_names_each_bad_one_in_a_line(report_database, workdir):
    good = '[[schedule]]\nname = "counts"\nreport = "example_counts"\ncron = "0 6 * * *"\ntimezone = "UTC"\n'
    bad = good.replace('"counts"', '"{name}"').replace('timezone = "UTC"\n', 'timezone = "UTC"\n{line}\n')
    (workdir / "schedules.toml").write_text(
        bad.format(name="nan", line="parameters = { sleep_seconds = nan }") + good
        + bad.format(name="text-bool", line='parameters = { mask_contacts = "no" }'))
    code, out, err = _cli(workdir, "schedule", "--schedules", "schedules.toml", "--at", "2024-03-01T06:03:00+00:00",
                          env_url=url_of(report_database))
    assert code == 2 and "Traceback" not in err
    assert err.splitlines() == [
        "error: schedules.toml: schedule nan: parameter sleep_seconds = nan must be a finite number",
        "error: schedules.toml: schedule text-bool: parameter mask_contacts = 'no' must be true or false (a TOML boolean)",
    ]
    assert re.search(r"example_counts: succeeded -> reports/example_counts/2024-03-01/run-\d+/example_counts.html", out)


def test_run_per_organization_names_what_it_leaves_out(report_database, workdir):
    code, _out, err = _cli(workdir, "run", "example_counts", "--per-organization", env_url=url_of(report_database))
    assert code == 2 and err == ("error: report example_counts has no organization_id parameter, so it cannot render "
                                 "per organization; leave it out or drop --per-organization.\n")
    code, _out, err = _cli(workdir, "run", "example_users", "--per-organization", "-p", "organization_id", "none",
                           env_url=url_of(report_database))
    assert code == 2 and err == "error: --per-organization chooses the organizations; do not also give -p organization_id.\n"
    code, _out, err = _cli(workdir, "run", "05_events_audit", "--per-organization", "--notebooks", str(ROOT / "notebooks"),
                           env_url=url_of(report_database))
    assert code == 2, err
    assert err == ("error: report 05_events_audit reads the platform's own records, so it renders only "
                                 "for the platform; leave it out or drop --per-organization.\n")


def test_new_writes_a_skeleton_that_matches_the_catalog_and_never_overwrites(tmp_path):
    from bi_workbench.reports import catalog
    from bi_workbench.reports.notebooks import parameter_differences

    code, out, _ = _cli(tmp_path, "new", "04_growth")
    assert code == 0 and out.strip() == "wrote notebooks/04_growth.ipynb"
    assert parameter_differences(catalog.get("04_growth"), tmp_path / "notebooks" / "04_growth.ipynb") == []
    code, _, err = _cli(tmp_path, "new", "04_growth")
    assert code == 2 and "already exists" in err


def test_an_unreachable_cluster_fails_in_one_line_before_any_run_is_claimed(report_database, workdir):
    import sqlalchemy as sa

    address = f"tcp://127.0.0.1:{free_port()}"
    code, _, err = _cli(workdir, "run", "example_users", "--cluster", address, env_url=url_of(report_database))
    assert code == 2 and err.startswith(f"error: cannot reach the Dask scheduler at {address}: ") and err.count("\n") == 1
    for malformed in ("", "http://x:8786", "tls://x:8786"):
        code, _, err = _cli(workdir, "run", "example_users", "--cluster", malformed, env_url=url_of(report_database))
        assert code == 2 and "is not a Dask scheduler address" in err and err.count("\n") == 1, err
    with report_database.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM report_runs")).scalar() == 0


def test_history_closes_the_runs_dead_processes_left_running(report_database, workdir):
    import socket
    import subprocess
    import sys

    from bi_workbench.reports import history

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run_id = history.start_run(report_database, "example_users", {}, owner=f"{socket.gethostname()}:{gone.pid}:1",
                               lease_seconds=3600)
    code, out, err = _cli(workdir, "history", env_url=url_of(report_database))
    assert code == 0 and f"note: run #{run_id} of example_users was left running" in err, err
    assert f"#{run_id} example_users abandoned " in out
