"""URLs and reachability: every bad input is one clear error."""

import pytest
import sqlalchemy as sa

from bi_workbench.database import create_engine, normalize_url
from bi_workbench.database.connection import WORK_MEM, raise_work_mem, resolve_url
from bi_workbench.errors import ConfigurationError, DatabaseUnavailableError
from bi_workbench.settings import load_settings
from tests.conftest import free_port


@pytest.mark.parametrize("raw", ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_are_normalised_to_psycopg3(raw):
    assert normalize_url(raw).drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    "raw, message",
    [
        ("not a url", "is not a database URL"),
        ("mysql://u@h/db", "needs PostgreSQL"),
        ("postgresql://u@h", "names no database"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(raw, message):
    with pytest.raises(ConfigurationError, match=message):
        normalize_url(raw)


def test_an_unreachable_server_is_named_without_its_password():
    port = free_port()
    with pytest.raises(DatabaseUnavailableError, match=f"cannot connect to .*:{port}/db.*check the URL") as info:
        create_engine(f"postgresql://me:secret@127.0.0.1:{port}/db")
    assert "secret" not in str(info.value)


def test_a_url_in_the_environment_wins_over_the_embedded_server(monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", "postgresql://u@example.invalid:5432/analytics")
    url = resolve_url(load_settings(), start=False)
    assert (url.host, url.database) == ("example.invalid", "analytics")


def test_an_explicit_url_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", "postgresql://u@env-host/env")
    assert resolve_url(load_settings("postgresql://u@arg-host/arg"), start=False).host == "arg-host"


def test_a_bad_port_setting_is_refused(monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_PORT", "eighty")
    with pytest.raises(ConfigurationError, match="BI_WORKBENCH_PORT='eighty' is not a port number"):
        load_settings()


def _work_mem(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_size_bytes(current_setting('work_mem'))").scalar()


def test_sessions_get_the_analytic_work_mem_and_a_higher_setting_is_kept(empty_database):
    with empty_database.connect() as conn:
        wanted = conn.execute(sa.select(sa.func.pg_size_bytes(WORK_MEM))).scalar()
    assert wanted > 4 * 1024 ** 2 and _work_mem(empty_database) == wanted  # above the server's default
    higher = create_engine(empty_database.url, connect_args={"options": "-c work_mem=1GB"})
    try:
        assert _work_mem(higher) == 1024 ** 3
    finally:
        higher.dispose()


def test_a_transaction_of_any_engine_can_raise_work_mem_for_itself_only(empty_database):
    plain = sa.create_engine(empty_database.url)        # not ours: the server's default work_mem
    try:
        default = _work_mem(plain)
        with plain.begin() as conn:
            raise_work_mem(conn, transaction=True)
            inside = conn.exec_driver_sql("SELECT pg_size_bytes(current_setting('work_mem'))").scalar()
            wanted = conn.execute(sa.select(sa.func.pg_size_bytes(WORK_MEM))).scalar()
        assert default < wanted and inside == wanted
        assert _work_mem(plain) == default              # the next transaction has the session's setting again
    finally:
        plain.dispose()
