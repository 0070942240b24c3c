"""Fault injection: the server killed with SIGKILL in the middle of `bi-workbench migrate`.

Each case runs on a server of its own (it is killed), holds the migration inside one
phase with a row lock, kills every process of that server, and then checks: the
command said what happened in one line and exited non-zero; after a restart nothing of
the interrupted phase is in the database and the earlier phases are intact; the next
`migrate` finishes the job and `migrate check` passes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from bi_workbench.database import EmbeddedServer, create_engine
from bi_workbench.schema import init_schema

from ..conftest import free_port
from ..legacy import legacy_data as data
from ..legacy.legacy_data import write_legacy

CLI = str(Path(sys.executable).with_name("bi-workbench"))

#: phase: (a row the blocker writes and keeps uncommitted, which the phase must also write)
BLOCKERS = {
    1: ("INSERT INTO users (id, email, first_name, last_name) VALUES (:id, 'blocker@example.test', '', '')",
        {"id": data.ANN_2}),
    2: ("INSERT INTO legacy_id_map (legacy_table, legacy_id, new_table, new_id, outcome) "
        "VALUES ('onboarding_assessments', :key, 'assessments', :id, 'migrated')",
        {"key": str(data.A2), "id": data.A2}),
    3: ("INSERT INTO business_trends (id, title, insight) VALUES (md5('realtime_business_trends:1')::uuid, 'b', 'b')",
        {}),
}


@pytest.fixture
def server(tmp_path):
    """A running embedded server of this test's own, with a database holding the schema and legacy rows."""
    server = EmbeddedServer(tmp_path / "pgdata", free_port())
    server.start()
    admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE faults")
    admin.dispose()
    engine = create_engine(server.url("faults"))
    init_schema(engine)
    with engine.begin() as conn:
        write_legacy(conn)
    engine.dispose()
    yield server
    server.destroy()


def run_cli(server: EmbeddedServer, *args: str, **popen) -> subprocess.Popen:
    """Start `bi-workbench --database-url <the test database> ARGS` and return the process."""
    env = {**os.environ, "BI_WORKBENCH_DATABASE_URL": server.url("faults")}
    return subprocess.Popen([CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)


def wait_for_blocked_migration(engine, timeout: float = 60) -> None:
    """Return once a backend other than ours waits for a lock (the migration, held inside its phase)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            waiting = conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'faults' AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()")).scalar_one()
        if waiting:
            return
        time.sleep(0.1)
    raise AssertionError("the migration never reached the blocked write")


def kill_server(server: EmbeddedServer) -> None:
    """SIGKILL the postmaster of ``server`` and every process it started (no other process)."""
    postmaster = psutil.Process(server.status().pid)
    processes = [postmaster, *postmaster.children(recursive=True)]
    for process in processes:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:  # it ended on its own in between (a parallel worker done, or the postmaster gone)
            pass
    psutil.wait_procs(processes, timeout=30)


def state(server: EmbeddedServer) -> dict:
    """Return the completed phases and the rows of the new tables the phases write."""
    engine = create_engine(server.url("faults"))
    try:
        with engine.connect() as conn:
            phases = conn.execute(sa.text("SELECT array_agg(DISTINCT phase ORDER BY phase) FROM migration_ledger "
                                          "WHERE status = 'completed'")).scalar_one() or []
            rows = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
                    for t in ("users", "assessments", "assessment_scores", "business_trends", "legacy_id_map",
                              "migration_quarantine")}
        return {"phases": phases, **rows}
    finally:
        engine.dispose()


#: The rows of each phase's tables once it committed (the hand-written dataset).
AFTER_PHASE = {
    0: {"users": 0, "assessments": 0, "assessment_scores": 0, "business_trends": 0, "legacy_id_map": 0,
        "migration_quarantine": 0},
    1: {"users": 5, "assessments": 0, "assessment_scores": 0, "business_trends": 0, "legacy_id_map": 8,
        "migration_quarantine": 1},
    2: {"users": 5, "assessments": 5, "assessment_scores": 7, "business_trends": 0, "legacy_id_map": 20,
        "migration_quarantine": 8},
}


@pytest.mark.parametrize("phase", sorted(BLOCKERS))
def test_kill_9_of_the_server_during_migrate_loses_nothing_and_the_next_migrate_recovers(server, phase):
    blocker_engine = sa.create_engine(server.url("faults"))
    blocker = blocker_engine.connect()
    statement, params = BLOCKERS[phase]
    blocker.execute(sa.text(statement), params)  # uncommitted: the phase waits for it

    migrating = run_cli(server, "migrate")
    monitor = sa.create_engine(server.url("faults"), poolclass=sa.pool.NullPool)
    wait_for_blocked_migration(monitor)
    kill_server(server)
    _stdout, stderr = migrating.communicate(timeout=60)
    blocker.invalidate()
    blocker_engine.dispose()
    monitor.dispose()

    # One line naming the problem, a non-zero exit, no traceback.
    assert migrating.returncode == 6  # MigrationError
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith(f"error: migration phase {phase} ")
    assert "connection to the database was lost" in stderr

    # After a restart: the earlier phases whole, nothing of the interrupted one.
    server.start()
    assert state(server) == {"phases": list(range(1, phase)), **AFTER_PHASE[min(phase - 1, 2)]}

    # The next migrate finishes the job; the check passes.
    again = run_cli(server, "migrate")
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert [line.split(":")[1].split(";")[0].strip() for line in stdout.splitlines()] == (
        ["unchanged"] * (phase - 1) + ["completed"] * (5 - phase))
    checked = run_cli(server, "migrate", "check")
    stdout, stderr = checked.communicate(timeout=120)
    assert checked.returncode == 0, stdout + stderr
    assert state(server)["phases"] == [1, 2, 3, 4]
