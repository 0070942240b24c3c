"""Fault injection: `bi-workbench report run` killed with SIGKILL mid-render leaves nothing running, and the next
command marks the run abandoned, removes its work folder and renders normally."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import sqlalchemy as sa

from tests.reports.conftest import ROOT, url_of


def _environment(tmp_path, engine) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
    env.update(BI_WORKBENCH_REPORT_CATALOGS="tests.reports.example_reports", BI_WORKBENCH_DATABASE_URL=url_of(engine),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               TMPDIR=str(tmp_path / "tmp"))
    return env


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _started(server) -> bool:
    from bi_workbench.errors import WorkbenchError

    try:
        return server.start().running
    except WorkbenchError:  # its killed backends may still hold the shared memory for a moment
        return False


def _runs(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT id, status, error FROM report_runs ORDER BY id")).all()


def test_report_run_killed_mid_render_is_abandoned_and_cleaned_by_the_next_command(report_database, tmp_path):
    (tmp_path / "notebooks").symlink_to(ROOT / "tests" / "reports" / "notebooks")
    (tmp_path / "tmp").mkdir()
    env = _environment(tmp_path, report_database)
    command = [sys.executable, "-m", "bi_workbench.cli", "report", "run", "example_counts", "--workers", "1",
               "--no-progress"]
    victim = subprocess.Popen([*command, "-p", "sleep_seconds", "120"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    work_root = tmp_path / "tmp" / f"bi-workbench-runs-{os.getuid()}"
    executing = _wait_for(lambda: list(work_root.glob("run-*/executing.ipynb")), 240, "the notebook to start executing")
    descendants = psutil.Process(victim.pid).children(recursive=True)
    assert len(descendants) >= 3                                       # a Dask worker, the rendering process, its kernel
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    (run,) = _runs(report_database)
    assert run.status == "running"                                     # nobody closed it
    _wait_for(lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in descendants), 60,
              "the killed command's worker, rendering process and kernel to exit")
    assert executing[0].parent.exists()                                # its work folder is left behind

    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"note: run #{run.id} of example_counts was left running by a process that is gone: marked abandoned" \
        in done.stderr
    (first, second) = _runs(report_database)
    assert first.status == "abandoned" and first.error.startswith("abandoned: its process (")
    assert second.status == "succeeded"
    assert not executing[0].parent.exists()                            # the abandoned run's work folder is removed
    assert not list((tmp_path / "reports" / "example_counts").glob(".staging-*"))
    assert [p.name for p in (tmp_path / "reports" / "example_counts").glob("*/run-*")] == [f"run-{second.id}"]


def test_the_server_killed_during_a_render_fails_the_report_without_a_traceback_and_the_run_is_closed_later(
        tmp_path, render_options):
    """The database goes away mid-render: the report fails, closing its run is a warning, not an error; once the
    server is back, the next command closes the run from the run.json the render published."""
    import threading

    from bi_workbench.database.embedded import EmbeddedServer
    from bi_workbench.reports import lease, worker
    from bi_workbench.reports.render import prepare, render
    from bi_workbench.schema.apply import init_schema
    from tests.conftest import free_port

    server = EmbeddedServer(tmp_path / "pg" / "pgdata", free_port())
    server.start()
    engine = sa.create_engine(server.url("postgres"))
    try:
        init_schema(engine)
        options = render_options(lease_seconds=4)   # this test process stays alive: its lease must run out
        requests = prepare(engine, ["example_counts"], {"sleep_seconds": "15"}, notebooks_dir=options.notebooks_dir)
        results = []
        rendering = threading.Thread(target=lambda: results.extend(render(engine, requests, options)))
        rendering.start()
        (run,) = _wait_for(lambda: [r for r in _runs(engine) if r.status == "running"], 120, "the run to be claimed")
        _wait_for(lambda: list(worker.work_root().glob(f"run-{run.id}-*/executing.ipynb")), 240,
                  "the notebook to start executing")
        os.kill(server.status().pid, signal.SIGKILL)
        rendering.join(600)
        (result,) = results
        assert result.status == "failed" and result.error
        assert result.note.startswith(f"run #{run.id} could not be closed in the history (")
        assert "Traceback" not in result.note and "\n" not in result.note
        assert (result.folder / "run.json").exists() and (result.folder / "failed.ipynb").exists()
        engine.dispose()
        _wait_for(lambda: _started(server), 120, "the server to start again")
        time.sleep(5)
        (recovered,) = lease.recover(engine)
        assert (recovered.run_id, recovered.status) == (run.id, "failed")
        (closed,) = _runs(engine)
        assert closed.status == "failed" and closed.error == result.error
    finally:
        engine.dispose()
        server.destroy()
