"""Fixtures of the report tests: the example catalog, a database with a few users, a render helper."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CATALOG = "tests.reports.example_reports"

USERS = [
    # email, phone, industry
    ("ava.chen@acme-analytics.com", "+1 415-555-0142", "saas"),
    ("bo.berg@fjord-retail.no", "(212) 555-0199", "retail"),
    ("cy.diaz@acme-analytics.com", None, "saas"),
]


@pytest.fixture
def example_catalog(monkeypatch):
    """Declare the example reports (tests/reports/notebooks) for this process and the kernels it starts."""
    monkeypatch.setenv("BI_WORKBENCH_REPORT_CATALOGS", EXAMPLE_CATALOG)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return importlib.import_module(EXAMPLE_CATALOG)


@pytest.fixture
def report_database(schema_database):
    """An Engine on a fresh schema database holding three users (with emails and phone numbers) and one organization."""
    with schema_database.begin() as conn:
        for email, phone, industry in USERS:
            conn.execute(sa.text(
                "INSERT INTO users (email, first_name, last_name, phone, industry) VALUES (:e, 'First', 'Last', :p, :i)"
            ), {"e": email, "p": phone, "i": industry})
        conn.execute(sa.text("INSERT INTO organizations (name, slug) VALUES ('Acme Analytics', 'acme')"))
    return schema_database


def url_of(engine) -> str:
    """Return the engine's URL with its password, for a subprocess."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def render_options(tmp_path, example_catalog):
    """Return a factory of RenderOptions writing under tmp_path/reports from the example notebooks."""
    from bi_workbench.reports.render import RenderOptions

    def make(**overrides):
        settings = dict(notebooks_dir=example_catalog.NOTEBOOKS, output_dir=tmp_path / "reports", workers=2,
                        cell_timeout=120, run_timeout=300, progress=False)
        settings.update(overrides)
        return RenderOptions(**settings)

    return make


def render_example(engine, options, name="example_users", **raw):
    """Validate and render one example report; return its RunResult."""
    from bi_workbench.reports.render import prepare, render

    requests = prepare(engine, [name], raw, notebooks_dir=options.notebooks_dir)
    (result,) = render(engine, requests, options)
    return result
