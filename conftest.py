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
    """Before the first notebook cell runs, build the demo database and point kernels at it."""
    if item.path.suffix == ".ipynb" and "url" not in _demo:
        _demo["url"] = _start_demo_database()
        os.environ["BI_WORKBENCH_DATABASE_URL"] = _demo["url"]


def pytest_sessionfinish(session):
    """Stop and delete the notebooks' demo server."""
    server = _demo.pop("server", None)
    if server is not None:
        server.destroy()
