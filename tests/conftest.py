"""Fixtures: a real PostgreSQL for every test, never a mock.

By default a throwaway embedded server is started for the session. Set
BI_WORKBENCH_TEST_ADMIN_URL to a superuser URL of any PostgreSQL 15+ server to
run the suite there instead (each test still gets its own database).
"""

from __future__ import annotations

import glob
import os
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from bi_workbench.database import EmbeddedServer, create_engine
from bi_workbench.schema import init_schema

ADMIN_URL_ENV = "BI_WORKBENCH_TEST_ADMIN_URL"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now.

    Chosen below the kernel's ephemeral range (32768 and up on Linux), from which
    kernels, Dask and every outgoing connection take theirs: a port handed to a
    server that starts a moment later is then not taken meanwhile by one of them.
    """
    import random

    for _ in range(200):
        port = random.randint(20_000, 32_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000 on 127.0.0.1")


@pytest.fixture(scope="session")
def admin_url(tmp_path_factory) -> URL:
    """Superuser URL of the server the suite runs on."""
    if os.environ.get(ADMIN_URL_ENV):
        yield make_url(os.environ[ADMIN_URL_ENV]).set(drivername="postgresql+psycopg")
        return
    server = EmbeddedServer(tmp_path_factory.mktemp("embedded") / "pgdata", free_port())
    server.start()
    yield make_url(server.url("postgres"))
    server.destroy()


class Databases:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, admin_url: URL):
        self.admin_url = admin_url
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def create(self, *, template: str | None = None) -> URL:
        name = f"t_{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}{clause}")
        return self.admin_url.set(database=name)

    def drop(self, url: URL) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)")


@pytest.fixture(scope="session")
def databases(admin_url) -> Databases:
    """Factory of throwaway databases on the test server."""
    factory = Databases(admin_url)
    yield factory
    factory.admin.dispose()


def schema_template_database(databases):
    """Yield the name of a new database of ``databases`` holding the whole schema (to clone); drop it afterwards."""
    url = databases.create()
    engine = create_engine(url)
    init_schema(engine)
    engine.dispose()
    yield url.database
    databases.drop(url)


@pytest.fixture(scope="session")
def schema_template(databases) -> str:
    """Name of a database holding the whole schema, cloned by `schema_database`."""
    yield from schema_template_database(databases)


def _engine_fixture(databases, template=None):
    url = databases.create(template=template)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    databases.drop(url)


@pytest.fixture
def empty_database(databases):
    """An Engine on a fresh, empty database."""
    yield from _engine_fixture(databases)


@pytest.fixture
def schema_database(databases, schema_template):
    """An Engine on a fresh database holding the whole new schema."""
    yield from _engine_fixture(databases, template=schema_template)


def demo_database(databases, template: str):
    """Yield an Engine on a small demo database (seed 42) cloned from ``template``; drop it afterwards."""
    from bi_workbench.pipeline import build_demo_database

    url = databases.create(template=template)
    engine = create_engine(url)
    build_demo_database(engine, "small", 42, progress=False)
    yield engine
    engine.dispose()
    databases.drop(url)


@pytest.fixture(scope="session")
def demo_engine(databases, schema_template):
    """An Engine on the small demo database (seed 42), built once for the session; tests only read it."""
    yield from demo_database(databases, schema_template)


def filled(engine, fill):
    """Return ``engine`` after ``fill(connection)`` ran and committed in one transaction."""
    with engine.begin() as conn:
        fill(conn)
    return engine


@contextmanager
def filled_database(databases, template: str, fill):
    """Yield an Engine on a fresh copy of ``template`` after ``fill(connection)`` ran in one transaction."""
    url = databases.create(template=template)
    engine = create_engine(url)
    with engine.begin() as conn:
        fill(conn)
    yield engine
    engine.dispose()
    databases.drop(url)


@pytest.fixture(scope="module")
def hand_engine(request, databases, schema_template):
    """An Engine on a fresh schema database filled by the test module's ``insert_hand_data(conn)``."""
    with filled_database(databases, schema_template, request.module.insert_hand_data) as engine:
        yield engine


@pytest.fixture
def hand(hand_engine):
    """A connection on the module's hand-made database (`hand_engine`, or the module's own)."""
    with hand_engine.connect() as conn:
        yield conn


@pytest.fixture
def demo(demo_engine):
    """A connection on the shared small demo database (modules may override it)."""
    with demo_engine.connect() as conn:
        yield conn


def _system_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


@pytest.fixture(scope="session")
def system_server_url(tmp_path_factory):
    """Superuser URL of a second, independent server: the distribution's PostgreSQL (15 on Debian 12),
    started once for the session (.ci/run installs Debian's `postgresql`)."""
    bin_dir = _system_bin_dir()
    if bin_dir is None:
        pytest.skip("no system PostgreSQL under /usr/lib/postgresql (.ci/run installs Debian's `postgresql`)")
    server = EmbeddedServer(tmp_path_factory.mktemp("system-pg") / "pgdata", free_port(), bin_dir=bin_dir)
    server.start()
    yield server.url("postgres")
    server.destroy()
