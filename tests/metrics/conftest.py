"""The metrics tests run on both servers: the embedded PostgreSQL and Debian's PostgreSQL 15.

``demo_engine`` is the small demo database (seed 42) on the server named by the
module's parameter, built once per module; ``server_databases`` makes throwaway
databases on that server for hand-made data.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bi_workbench.database import create_engine
from bi_workbench.schema import init_schema
from tests.conftest import Databases
from tests.schema.test_second_server import system_server_url  # noqa: F401  (the PostgreSQL 15 server fixture)

SERVERS = ["embedded", "postgresql15"]


@pytest.fixture(scope="module", params=SERVERS)
def server_databases(request, databases):
    """A factory of throwaway databases on the server of this parameter."""
    if request.param == "embedded":
        yield databases
        return
    factory = Databases(sa.engine.make_url(request.getfixturevalue("system_server_url")))
    yield factory
    factory.admin.dispose()


@pytest.fixture(scope="module")
def server_schema_template(server_databases):
    """A database holding the whole schema on the module's server (to clone)."""
    url = server_databases.create()
    engine = create_engine(url)
    init_schema(engine)
    engine.dispose()
    yield url.database
    server_databases.drop(url)


@pytest.fixture(scope="module")
def demo_engine(server_databases, server_schema_template):
    """The small demo database (seed 42) on the module's server; tests only read it."""
    from bi_workbench.pipeline import build_demo_database

    url = server_databases.create(template=server_schema_template)
    engine = create_engine(url)
    build_demo_database(engine, "small", 42, progress=False)
    yield engine
    engine.dispose()
    server_databases.drop(url)
