"""The metrics tests run on both servers: the embedded PostgreSQL and Debian's PostgreSQL 15.

``demo_engine`` is the small demo database (seed 42) on the server named by the
session's parameter, built once per server for the session; ``server_databases`` makes throwaway
databases on that server for hand-made data.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import Databases, demo_database, schema_template_database

SERVERS = ["embedded", "postgresql15"]


@pytest.fixture(scope="session", params=SERVERS)
def server_databases(request, databases):
    """A factory of throwaway databases on the server of this parameter."""
    if request.param == "embedded":
        yield databases
        return
    factory = Databases(sa.engine.make_url(request.getfixturevalue("system_server_url")))
    yield factory
    factory.admin.dispose()


@pytest.fixture(scope="session")
def server_schema_template(server_databases):
    """A database holding the whole schema on the module's server (to clone)."""
    yield from schema_template_database(server_databases)


@pytest.fixture(scope="session")
def demo_engine(server_databases, server_schema_template):
    """The small demo database (seed 42) on the module's server; tests only read it."""
    yield from demo_database(server_databases, server_schema_template)
