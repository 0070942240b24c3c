"""URLs and reachability: every bad input is one clear error."""

import pytest

from bi_workbench.database import create_engine, normalize_url
from bi_workbench.database.connection import resolve_url
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
