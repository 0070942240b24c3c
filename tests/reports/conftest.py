"""Fixtures of the report tests: the example catalog, a database with a few users, Dask clusters, a render helper."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from bi_workbench.reports import worker

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CATALOG = "tests.reports.example_reports"

USERS = [
    # email, phone, industry
    ("ava.chen@acme-analytics.com", "+1 415-555-0142", "saas"),
    ("bo.berg@fjord-retail.no", "(212) 555-0199", "retail"),
    ("cy.diaz@acme-analytics.com", None, "saas"),
]


@pytest.fixture
def example_catalog(monkeypatch):
    """Declare the example reports (tests/reports/notebooks) for this process and the kernels it starts."""
    monkeypatch.setenv("BI_WORKBENCH_REPORT_CATALOGS", EXAMPLE_CATALOG)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return importlib.import_module(EXAMPLE_CATALOG)


@pytest.fixture
def report_database(schema_database):
    """An Engine on a fresh schema database holding three users (with emails and phone numbers) and one organization."""
    with schema_database.begin() as conn:
        for email, phone, industry in USERS:
            conn.execute(sa.text(
                "INSERT INTO users (email, first_name, last_name, phone, industry) VALUES (:e, 'First', 'Last', :p, :i)"
            ), {"e": email, "p": phone, "i": industry})
        conn.execute(sa.text("INSERT INTO organizations (name, slug) VALUES ('Acme Analytics', 'acme')"))
    return schema_database


def url_of(engine) -> str:
    """Return the engine's URL with its password, for a subprocess."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def shared_cluster():
    """The address of a LocalCluster of two worker processes, shared by the tests (starting one costs seconds)."""
    from bi_workbench.reports.executor import local_cluster

    with local_cluster(2) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def render_options(tmp_path, example_catalog, shared_cluster):
    """Return a factory of RenderOptions writing under tmp_path/reports from the example notebooks.

    They render on the shared local cluster; ``cluster=None`` starts the renderer's own, as the CLI does.
    """
    from bi_workbench.reports.render import RenderOptions

    def make(**overrides):
        settings = dict(notebooks_dir=example_catalog.NOTEBOOKS, output_dir=tmp_path / "reports", workers=2,
                        cell_timeout=120, run_timeout=300, progress=False, cluster=shared_cluster)
        settings.update(overrides)
        return RenderOptions(**settings)

    return make


def render_example(engine, options, name="example_users", **raw):
    """Validate and render one example report; return its RunResult."""
    from bi_workbench.reports.render import prepare, render

    requests = prepare(engine, [name], raw, notebooks_dir=options.notebooks_dir)
    (result,) = render(engine, requests, options)
    return result


@dataclass
class DaskProcesses:
    """A `dask scheduler` and its `dask worker` processes on 127.0.0.1; each worker renders under its own TMPDIR."""

    address: str
    scheduler: subprocess.Popen
    workers: dict[str, subprocess.Popen]
    tmpdirs: dict[str, Path]

    def work_folders(self, name: str) -> list[Path]:
        """The work folders of renders currently on worker ``name``."""
        root = self.tmpdirs[name] / worker.work_root().name
        return sorted(root.glob("run-*")) if root.is_dir() else []


def _wait_for_workers(address: str, count: int, timeout: float = 120) -> None:
    from distributed import Client

    with Client(address, timeout=timeout, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=timeout)


@pytest.fixture
def dask_processes(tmp_path):
    """Start `dask scheduler` and two `dask worker` processes (a, b; one thread each, no nanny); stop them after."""
    from tests.conftest import free_port

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    log = open(tmp_path / "dask.log", "w")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    scheduler = subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", ":0", "--no-show"], stdout=log, stderr=log, env=env)
    workers, tmpdirs = {}, {}
    try:
        for name in ("a", "b"):
            tmpdirs[name] = tmp_path / f"worker-{name}"
            tmpdirs[name].mkdir()
            workers[name] = subprocess.Popen(
                [str(bin_dir / "dask"), "worker", address, "--name", name, "--nthreads", "1", "--no-nanny",
                 "--host", "127.0.0.1", "--dashboard-address", ":0", "--memory-limit", "0"],
                stdout=log, stderr=log, env={**env, "TMPDIR": str(tmpdirs[name])})
        _wait_for_workers(address, 2)
        yield DaskProcesses(address, scheduler, workers, tmpdirs)
    finally:
        for process in [*workers.values(), scheduler]:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 5  # a worker may not stop on SIGTERM; then it is killed
        for process in [*workers.values(), scheduler]:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
