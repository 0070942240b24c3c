"""The metrics tests run on both servers: the embedded PostgreSQL and Debian's PostgreSQL 15.

``demo_engine`` is the small demo database (seed 42) on the server named by the
module's parameter, built once per module; ``server_databases`` makes throwaway
databases on that server for hand-made data.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import Databases, demo_database, schema_template_database
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
    yield from schema_template_database(server_databases)


@pytest.fixture(scope="module")
def demo_engine(server_databases, server_schema_template):
    """The small demo database (seed 42) on the module's server; tests only read it."""
    yield from demo_database(server_databases, server_schema_template)
