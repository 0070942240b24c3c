"""The same schema on a second, independent PostgreSQL: the distribution's server (15 on Debian 12;
the session's `system_server_url`, tests/conftest.py)."""

import sqlalchemy as sa

from bi_workbench.database import create_engine
from bi_workbench.schema import init_schema
from bi_workbench.schema.drift import compare


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
