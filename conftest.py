"""Notebook regression tests (nbval): the notebooks run against the small deterministic demo database.

The notebooks in notebooks/ are committed with the outputs of the small demo
dataset (seed 42). Before nbval starts the first notebook's kernel, this
builds that database on a throwaway embedded server and points the kernels at
it through BI_WORKBENCH_DATABASE_URL, which they inherit.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

from bi_workbench.reports.kernel import BATCH_ENV
from bi_workbench.settings import DATABASE_URL_ENV

_demo = {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_demo_database() -> str:
    from bi_workbench.database import EmbeddedServer, create_engine
    from bi_workbench.pipeline import build_demo_database

    server = EmbeddedServer(Path(tempfile.mkdtemp(prefix="bi-workbench-nbval-")) / "pgdata", _free_port())
    server.start()
    _demo["server"] = server
    admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE demo")
    admin.dispose()
    engine = create_engine(server.url("demo"))
    build_demo_database(engine, "small", 42, progress=False)
    engine.dispose()
    return server.url("demo")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook cell runs (and its kernel starts), point the kernel at the demo database, as a batch run.

    Batch is said outright: the kernel's parent is not always recognisably pytest
    (a pytest-xdist worker is a bare ``python -c``), and a kernel that believed
    itself interactive would show widgets that the committed outputs do not hold.
    """
    if item.path.suffix != ".ipynb":
        return
    if "url" not in _demo:
        _demo["url"] = _start_demo_database()
    kernel_env = {DATABASE_URL_ENV: _demo["url"], BATCH_ENV: "1"}
    _demo.setdefault("outside", {name: os.environ.get(name) for name in kernel_env})
    os.environ.update(kernel_env)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    """After a notebook cell, give the process its own environment back.

    The kernel inherited the notebook's when it started; the tests that run next in
    this process (with pytest-xdist, other modules follow a notebook) must not.
    """
    if item.path.suffix != ".ipynb" or "outside" not in _demo:
        return
    for name, value in _demo.pop("outside").items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def pytest_sessionfinish(session):
    """Stop and delete the notebooks' demo server."""
    server = _demo.pop("server", None)
    if server is not None:
        server.destroy()


def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist's ``--dist load``: every test on its own, but each notebook's cells together in one process.

    nbval runs a notebook's cells in one kernel, in order. Handing every other
    test out on its own spreads the slow end-to-end tests over the processes
    instead of leaving them to trail in one. (xdist's own ``loadgroup`` would
    say this with a mark, but it loses its groups on pytest 9.2: pytest-xdist
    issue 1386.)
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.endswith(".ipynb") else nodeid

    return NotebookScheduling(config, log)
