"""What notebooks call: setup, controls (widgets bound to the globals), provenance; and the plain papermill CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import nbformat
import pytest

from bi_workbench.errors import InvalidParameterError
from bi_workbench.reports import ReportParameters, controls, is_batch, provenance, setup
from bi_workbench.reports.kernel import build_controls
from tests.reports.conftest import url_of


def test_setup_returns_typed_parameters_and_checks_the_organization(report_database, example_catalog, monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", url_of(report_database))
    namespace = {**example_catalog.EXAMPLE_USERS.defaults(), "since": "2024-01-01"}
    params = setup("example_users", namespace)
    assert isinstance(params, ReportParameters) and params.report.name == "example_users"
    assert params["since"] == date(2024, 1, 1) and params["mask_contacts"] is True
    namespace["organization_id"] = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(InvalidParameterError, match="names nothing in the database"):
        setup("example_users", namespace)


def test_controls_bind_widgets_to_the_notebook_globals_and_call_back_on_change(report_database, example_catalog, monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", url_of(report_database))
    report = example_catalog.EXAMPLE_USERS
    namespace, calls = dict(report.defaults()), []
    _box, widgets, _output = build_controls(report, namespace, calls.append)
    assert calls == [report.defaults()]  # drawn once at once
    assert widgets["industry"].options == (("(all)", None), ("retail", "retail"), ("saas", "saas"))
    assert [label for label, _ in widgets["organization_id"].options] == ["(all)", "Acme Analytics"]
    assert type(widgets["since"]).__name__ == "DatePicker" and type(widgets["fail"]).__name__ == "Checkbox"
    widgets["industry"].value = "saas"
    widgets["since"].value = date(2024, 1, 1)
    assert namespace["industry"] == "saas" and namespace["since"] == "2024-01-01"
    assert calls[-1]["industry"] == "saas" and calls[-1]["since"] == date(2024, 1, 1)
    calls.clear()
    widgets["until"].value = date(2023, 1, 1)  # before since: refused, globals and report unchanged
    assert calls == [] and namespace["until"] is None


def test_outside_an_interactive_session_controls_show_nothing_and_call_back_once(example_catalog):
    assert is_batch()  # pytest is no JupyterLab
    calls = []
    assert controls("example_counts", dict(example_catalog.EXAMPLE_COUNTS.defaults()), calls.append) is None
    assert calls == [example_catalog.EXAMPLE_COUNTS.defaults()]


def test_provenance_names_parameters_data_date_database_without_password_version_commit_and_time(monkeypatch):
    monkeypatch.setenv("BI_WORKBENCH_DATABASE_URL", "postgresql://analyst:s3cret@db.internal:5432/bi")
    from bi_workbench.reports import catalog

    report = catalog.get("01_users_orgs")
    record = provenance(ReportParameters(report, {**report.defaults(), "as_of": date(2024, 1, 31)}))
    assert record["report"] == "01_users_orgs: Users and organizations"
    assert "as_of='2024-01-31'" in record["parameters"] and record["data_as_of"] == "2024-01-31"
    assert record["database"] == "postgresql+psycopg://analyst:***@db.internal:5432/bi"
    assert record["package"].startswith("bi-workbench ") and record["git_commit"] and record["rendered_at"].endswith("UTC")
    assert "s3cret" not in record._repr_markdown_() and "| data as of | 2024-01-31 |" in record._repr_markdown_()


def test_the_plain_papermill_command_runs_a_report_notebook(report_database, example_catalog, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BI_WORKBENCH_BATCH"}
    env["BI_WORKBENCH_DATABASE_URL"] = url_of(report_database)
    out = tmp_path / "out.ipynb"
    papermill = [sys.executable, "-m", "papermill", "--no-progress-bar"]
    done = subprocess.run([*papermill, str(example_catalog.NOTEBOOKS / "example_users.ipynb"), str(out)],
                          capture_output=True, text=True, env=env, cwd=example_catalog.NOTEBOOKS)
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = [o for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code" for o in c.outputs]
    kinds = {mime for o in outputs for mime in o.get("data", {})}
    assert "application/vnd.plotly.v1+json" in kinds and "text/markdown" in kinds  # figure and provenance
    assert "application/vnd.jupyter.widget-view+json" not in kinds  # no widgets in a batch run
    done = subprocess.run([*papermill, str(example_catalog.NOTEBOOKS / "example_counts.ipynb"), str(out),
                           "-p", "as_of", "2024-01-31"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
