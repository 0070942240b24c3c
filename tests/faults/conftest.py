"""Fault injection against a real embedded server run by the real command line.

Each test drives `bi-workbench` in subprocesses on its own embedded server
(its own data directory and port), breaks something mid-command (kill -9 of
the server, a full disk), and checks the command's contract: it ends with one
line on stderr and a non-zero exit, nothing is lost, and the next plain
command recovers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from bi_workbench.legacy.contract import LEGACY_TABLES
from bi_workbench.schema import metadata
from bi_workbench.schema.report_runs import REPORT_TABLES
from tests.conftest import free_port

#: Tables whose whole content is deterministic for a seed (the migration bookkeeping stamps clock times).
FINGERPRINTED = ("tier2_users", "onboarding_assessments", "users", "organizations", "assessments",
                 "assessment_scores", "analytics_events", "events")


class Workbench:
    """`bi-workbench` on one embedded server: run commands, connect, kill the server."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port = data_dir, port
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("BI_WORKBENCH_")}
        self.env.update(BI_WORKBENCH_DATA_DIR=str(data_dir), BI_WORKBENCH_PORT=str(port))

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bi_workbench.cli", *args]

    def run(self, *args: str, timeout: float = 900) -> tuple[int, str, str]:
        done = subprocess.run(self.command(*args), capture_output=True, text=True, env=self.env, timeout=timeout)
        return done.returncode, done.stdout, done.stderr

    def start(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env, **kwargs)

    @property
    def server(self):
        """The workbench's embedded server (its URLs, its log file)."""
        from bi_workbench.database import EmbeddedServer

        return EmbeddedServer(self.data_dir / "pgdata", self.port)

    @property
    def url(self) -> str:
        """The workbench database's URL, with the superuser's password once the server made one."""
        return self.server.url("bi_workbench")

    def wait_until(self, sql: str, process: subprocess.Popen, timeout: float = 300) -> None:
        """Poll ``sql`` (true/false) on the server while ``process`` runs, until it is true."""
        deadline = time.monotonic() + timeout
        conn = None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the command ended before the moment came: {process.communicate()}")
            try:
                conn = conn or psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True, connect_timeout=2)
                if conn.execute(sql).fetchone()[0]:
                    conn.close()
                    return
            except psycopg.Error:
                conn = None  # the server is not up yet
                time.sleep(0.05)
            time.sleep(0.005)
        raise AssertionError(f"timed out waiting for: {sql}")

    def destroy(self) -> None:
        """Stop the server and delete its data (as root it may live outside the data folder)."""
        from bi_workbench.database import EmbeddedServer

        self.run("db", "stop")
        EmbeddedServer(self.data_dir / "pgdata", self.port).destroy()

    def kill_server(self) -> int:
        """kill -9 the postmaster (as a crash or the OOM killer would); return its pid."""
        pid = int((self.data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        return pid


@pytest.fixture
def workbench(tmp_path):
    bench = Workbench(tmp_path / "data", free_port())
    yield bench
    bench.destroy()


def assert_one_line(code: int, err: str, *fragments: str) -> None:
    """A failed command's contract: non-zero exit, one line on stderr, no traceback."""
    assert code != 0, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def fingerprint(engine) -> dict[str, tuple]:
    """{table: (rows, md5 of every row)} of the demo data; equal fingerprints mean the same database."""
    present = set(sa.inspect(engine).get_table_names())
    kept = {t.name for t in REPORT_TABLES}
    found = {}
    with engine.connect() as conn:
        for table in [*metadata.sorted_tables, *LEGACY_TABLES]:
            if table.name not in present or table.name in kept:
                continue
            name = conn.dialect.identifier_preparer.quote(table.name)
            digest = (f"md5(string_agg(t::text, '|' ORDER BY t::text))" if table.name in FINGERPRINTED else "NULL")
            found[table.name] = tuple(conn.exec_driver_sql(f"SELECT count(*), {digest} FROM {name} AS t").one())
    return found
