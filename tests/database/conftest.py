"""A two-tenant database built once per module on each server: the embedded one and Debian's PostgreSQL 15."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bi_workbench.database import create_engine
from bi_workbench.database.tenancy import tenant_engine
from bi_workbench.database.tenant_logins import add_login, remove_login
from bi_workbench.schema import init_schema
from tests.database.tenant_world import World, build_world


@dataclass
class Tenancy:
    server: str
    owner: Engine
    world: World
    #: A's tenant engine, acting as A's member "a".
    a: Engine
    a_role: str
    b_role: str


@pytest.fixture(scope="module")
def secret_store(tmp_path_factory):
    """Point the workbench's data folder (and so its tenant password store) at a private temporary folder."""
    patch = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("workbench-data")
    patch.setenv("BI_WORKBENCH_DATA_DIR", str(folder))
    yield folder
    patch.undo()


@pytest.fixture(scope="module", params=["embedded", "postgresql15"])
def tenancy(request, databases, secret_store) -> Tenancy:
    """The world on a fresh database of the server named by the parameter, with a tenant login for A and B."""
    yield from _tenancy(request, request.param, databases)


@pytest.fixture(scope="module")
def embedded_tenancy(request, databases, secret_store) -> Tenancy:
    """The world on the embedded server only."""
    yield from _tenancy(request, "embedded", databases)


def _tenancy(request, server: str, databases):
    if server == "embedded":
        admin = databases.admin
    else:
        admin = sa.create_engine(request.getfixturevalue("system_server_url"), isolation_level="AUTOCOMMIT")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    owner = create_engine(admin.url.set(database=name))
    init_schema(owner)
    with owner.begin() as conn:
        world = build_world(conn)
    a_role, b_role = add_login(owner, world.a).role, add_login(owner, world.b).role
    a = tenant_engine(owner, world.a, world.users["a"])
    yield Tenancy(server, owner, world, a, a_role, b_role)
    a.dispose()
    for organization in (world.a, world.b):
        remove_login(owner, organization)
    owner.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if admin is not databases.admin:
        admin.dispose()


@pytest.fixture(params=["embedded", "postgresql15"])
def counted(request):
    """(An Engine, the name of its table ``counted_<hex>(n int)`` holding one row), on either server.

    Dropped at the end with whatever depends on it.
    """
    if request.param == "embedded":
        engine = request.getfixturevalue("empty_database")
    else:
        engine = create_engine(request.getfixturevalue("system_server_url"))
    table = f"counted_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {table} (n int)")
        conn.exec_driver_sql(f"INSERT INTO {table} VALUES (1)")
    yield engine, table
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {table} CASCADE")
