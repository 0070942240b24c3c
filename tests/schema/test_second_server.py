"""The same schema on a second, independent PostgreSQL: the distribution's server (15 on Debian 12)."""

import glob
from pathlib import Path

import pytest
import sqlalchemy as sa

from bi_workbench.database import EmbeddedServer, create_engine
from bi_workbench.schema import init_schema
from bi_workbench.schema.drift import compare
from tests.conftest import free_port


def _system_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


@pytest.fixture(scope="module")
def system_server_url(tmp_path_factory):
    bin_dir = _system_bin_dir()
    if bin_dir is None:
        pytest.skip("no system PostgreSQL under /usr/lib/postgresql (.ci/run installs Debian's `postgresql`)")
    server = EmbeddedServer(tmp_path_factory.mktemp("system-pg") / "pgdata", free_port(), bin_dir=bin_dir)
    server.start()
    yield server.url("postgres")
    server.destroy()


def test_init_and_check_succeed_on_the_system_server(system_server_url):
    engine = create_engine(system_server_url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version_num")).scalar_one()
    assert int(version) >= 150000
    assert init_schema(engine)[0] is None
    with engine.connect() as conn:
        assert compare(conn) == []
        conn.execute(sa.text("SELECT refresh_analytics_views()"))
    engine.dispose()
