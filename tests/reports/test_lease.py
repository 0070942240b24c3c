"""Runs as leases: a dead run is found (expired lease, or its process gone) and closed by the next command,
its leftovers removed; a run that had published is closed from its run.json; the heartbeat keeps a lease alive."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date

import psutil
import pytest
import sqlalchemy as sa

from bi_workbench.reports import history, lease, outputs, worker


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Point this process's temporary folder (where renders keep their work folders) at tmp_path/tmp."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _run(engine, run_id):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM report_runs WHERE id = :id"), {"id": run_id}).mappings().one()


def _claim(engine, tmp_path, owner, lease_seconds):
    return history.start_run(engine, "example_counts", {"as_of": None}, owner=owner, lease_seconds=lease_seconds,
                             folder=lambda rid: outputs.run_folder(tmp_path / "reports", "example_counts",
                                                                   date(2024, 3, 1), rid))


def test_an_expired_run_is_marked_abandoned_and_its_staging_and_work_folders_removed(
        schema_database, tmp_path, private_tmp):
    dead = _claim(schema_database, tmp_path, "another-host:4242:1", 0)
    alive = _claim(schema_database, tmp_path, "another-host:4343:1", 3600)
    folder = outputs.run_folder(tmp_path / "reports", "example_counts", date(2024, 3, 1), dead)
    staging = folder.parent.parent / f".staging-{folder.name}-x1"
    work = worker.work_root() / f"{worker.work_prefix(dead, folder)}abc"
    other_work = worker.work_root() / f"{worker.work_prefix(alive, folder.parent / f'run-{alive}')}abc"
    # Another database's run with the same id, rendering on this machine: not ours to remove.
    other_database = worker.work_root() / f"{worker.work_prefix(dead, tmp_path / 'elsewhere' / f'run-{dead}')}abc"
    for path in (staging, work, other_work, other_database):
        path.mkdir(parents=True)
        (path / "executing.ipynb").write_text("{}")
    (recovered,) = lease.recover(schema_database)
    assert (recovered.run_id, recovered.status, recovered.removed) == (dead, "abandoned", 2)
    row = _run(schema_database, dead)
    assert row["status"] == "abandoned" and row["finished_at"] is not None
    assert row["error"] == "abandoned: its lease expired before the run was closed"
    assert row["output_paths"] == {"folder": str(folder)}
    assert not staging.exists() and not work.exists() and other_work.exists() and other_database.exists()
    assert _run(schema_database, alive)["status"] == "running"          # another machine's live lease is respected
    assert lease.recover(schema_database) == []


def test_a_run_whose_process_on_this_machine_is_gone_is_abandoned_before_its_lease_expires(schema_database, tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = f"{socket.gethostname()}:{child.pid}:{int(psutil.Process(child.pid).create_time())}"
    gone = _claim(schema_database, tmp_path, owner, 3600)
    mine = _claim(schema_database, tmp_path, lease.owner_id(), 3600)
    assert lease.recover(schema_database) == []                          # both owners alive
    child.kill()
    child.wait()
    (recovered,) = lease.recover(schema_database)
    assert recovered.run_id == gone and _run(schema_database, gone)["error"].startswith("abandoned: its process (")
    assert _run(schema_database, mine)["status"] == "running"
    assert lease.owner_is_gone(f"{socket.gethostname()}:{lease.owner_id().split(':')[1]}:1")  # a reused PID
    assert not lease.owner_is_gone("another-host:1:1")                  # another machine's: only its lease tells


def test_a_dead_run_that_had_published_is_closed_with_the_status_its_run_json_records(schema_database, tmp_path):
    run_id = _claim(schema_database, tmp_path, "another-host:1:1", 0)
    folder = outputs.run_folder(tmp_path / "reports", "example_counts", date(2024, 3, 1), run_id)
    html = str(folder / "example_counts.html")
    outputs.publish(folder, {"example_counts.html": b"<html></html>"},
                    {"run_id": run_id, "status": "succeeded", "error": None, "paths": {"html": html}})
    (recovered,) = lease.recover(schema_database)
    assert recovered.status == "succeeded"
    row = _run(schema_database, run_id)
    assert row["status"] == "succeeded" and row["output_paths"] == {"html": html} and row["error"] is None


def test_publishing_a_run_twice_keeps_the_first_copy_and_leaves_no_staging(tmp_path):
    folder = outputs.run_folder(tmp_path / "reports", "r", date(2024, 3, 1), 7)
    assert outputs.publish(folder, {"r.html": b"first"}, {"run_id": 7, "status": "succeeded"}) is True
    assert outputs.publish(folder, {"r.html": b"second"}, {"run_id": 7, "status": "succeeded"}) is False
    assert (folder / "r.html").read_bytes() == b"first" and json.loads((folder / "run.json").read_text())["run_id"] == 7
    assert sorted(p.name for p in folder.parent.parent.iterdir()) == ["2024-03-01"]


def test_the_heartbeat_extends_the_lease_of_running_runs_only(schema_database, tmp_path):
    run_id = _claim(schema_database, tmp_path, lease.owner_id(), 2)
    before = _run(schema_database, run_id)["lease_expires_at"]
    with lease.Heartbeat(schema_database, lease_seconds=2) as heartbeat:
        heartbeat.add(run_id)
        time.sleep(2.5)
        assert _run(schema_database, run_id)["lease_expires_at"] > before
        assert lease.recover(schema_database) == []                      # alive past its first lease
    assert history.finish_run(schema_database, run_id, "succeeded", {}) is True
    assert history.extend_leases(schema_database, [run_id], 60) == 0     # a closed run's lease is never revived
    assert history.finish_run(schema_database, run_id, "failed", {}) is False


def test_closing_a_run_records_when_rendering_began_not_when_it_was_queued(schema_database, tmp_path):
    from datetime import datetime, timedelta, timezone

    queued = _claim(schema_database, tmp_path, "this-host:1:1", 3600)
    claimed_at = _run(schema_database, queued)["started_at"]
    began = datetime.now(timezone.utc) + timedelta(milliseconds=1)
    assert history.finish_run(schema_database, queued, "succeeded", {"folder": "x"}, started_at=began)
    row = _run(schema_database, queued)
    assert row["started_at"] == began > claimed_at and row["finished_at"] >= row["started_at"]
    future = _claim(schema_database, tmp_path, "this-host:1:2", 3600)  # a worker's clock ahead of the database's
    assert history.finish_run(schema_database, future, "failed", {}, "boom",
                              started_at=datetime.now(timezone.utc) + timedelta(hours=1))
    row = _run(schema_database, future)
    assert row["started_at"] <= row["finished_at"] <= datetime.now(timezone.utc) + timedelta(minutes=1)


def test_claims_keep_working_once_the_server_plans_the_statement_generically(schema_database, tmp_path):
    # psycopg prepares a statement from its fifth run, PostgreSQL plans it generically after five more.
    claimed = [_claim(schema_database, tmp_path, f"this-host:1:{i}", 3600) for i in range(25)]
    assert None not in claimed and len(set(claimed)) == 25
    from datetime import datetime, timezone

    slot_start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    slot = dict(schedule_name="nightly", owner="this-host:1:1", lease_seconds=3600)
    for _ in range(12):
        first = history.start_run(schema_database, "example_counts", {}, slot=slot_start, **slot)
        assert first is not None
        assert history.start_run(schema_database, "example_counts", {}, slot=slot_start, **slot) is None
        history.finish_run(schema_database, first, "succeeded", {})
        with schema_database.begin() as conn:  # free the slot for the next round
            conn.execute(sa.text("UPDATE report_runs SET status = 'abandoned' WHERE id = :id"), {"id": first})


def test_work_folders_of_a_dead_render_are_swept_and_live_ones_kept(private_tmp):
    dead_process = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_process.wait()
    live, dead, foreign = (worker.work_root() / f"run-{i}-key-x" for i in (1, 2, 3))
    for path in (live, dead, foreign):
        path.mkdir(parents=True)
    (live / worker.OWNER).write_text(lease.owner_id())
    (dead / worker.OWNER).write_text(f"{socket.gethostname()}:{dead_process.pid}:1")
    (dead / "job.json").write_text('{"environment": {"BI_WORKBENCH_DATABASE_URL": "postgresql://u:secret@h/db"}}')
    assert lease.sweep_work_folders() == 1
    assert live.exists() and not dead.exists() and foreign.exists()   # no owner file: not a render's, left alone

